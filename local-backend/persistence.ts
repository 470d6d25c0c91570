// Saves the in-memory database to <dataDir>/db.json and restores it on start.
//
// What is saved, per component (the app is ""): convex-test's committed documents (IDs
// included, so IDs stay valid across restarts), its ID counter and last creation time (so
// new IDs never collide and _creationTime keeps increasing), stored files, plus the
// scheduler's cron state and the last commit timestamp. A stored file's bytes are in
// <dataDir>/storage/<key>.blob (storage.ts); db.json names the key and type of each. `_scheduled_functions` is an
// ordinary table in each component, so pending scheduled functions are saved too.
//
// Writes are debounced and atomic: write a temp file, fsync, rename over the old one. A
// crash mid-write leaves the previous complete file. Only commits schedule a save; cron
// bookkeeping rides along with the next one (or the final save), and nothing is written
// when nothing changed.
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import path from "node:path";
// The real timers, not the per-backend wrappers functions get (see runtime.ts).
import { clearTimeout, setTimeout } from "node:timers";
import { convexToJson, jsonToConvex, type Value } from "convex/values";
import type { Engine } from "./engine.js";
import { FileStore } from "./storage.js";

const FORMAT = 1;
const FILE = "db.json";

interface SavedComponent {
  documents: Record<string, unknown>;
  nextDocId: number;
  lastCreationTime: number;
  /** storageId -> its file under storage/ (older data dirs: the bytes as base64) */
  files: Record<string, { type: string; key: string } | { type: string; base64: string }>;
}

export interface SavedState {
  format: number;
  savedAt: number;
  ts: string;
  components: Record<string, SavedComponent>;
  scheduler: unknown;
}

/**
 * A committed document's JSON text. Documents are replaced, never changed in place, when written,
 * so each is encoded once, not again by every save: at 100 streaming replies (~20,000 documents)
 * re-encoding them all twice a second was a tenth of the backend's CPU.
 */
const encoded = new WeakMap<object, string>();
function docJson(doc: Record<string, Value>): string {
  let text = encoded.get(doc);
  if (text === undefined) encoded.set(doc, (text = JSON.stringify(convexToJson(doc as Value))));
  return text;
}

export class Persistence {
  private timer: NodeJS.Timeout | null = null;
  private firstDirtyAt = 0;
  private lastSaveAt = -Infinity;
  /** How long the last save took to encode (ms). */
  private lastSaveMs = 0;
  /** Something changed since the last snapshot was taken. */
  private dirty = false;
  private saving: Promise<void> = Promise.resolve();
  private closed = false;
  readonly file: string;

  constructor(
    private engine: Engine,
    readonly dir: string,
    private getSchedulerState: () => unknown,
    private onError: (message: string) => void,
    private debounceMs = 50,
    private maxDelayMs = 500,
  ) {
    this.file = path.join(dir, FILE);
  }

  static reset(dir: string) {
    rmSync(path.join(dir, FILE), { force: true });
    FileStore.reset(dir);
  }

  /** Load saved state into the engine. Returns the scheduler's saved state, if any. */
  async restore(): Promise<unknown> {
    const storage = this.engine.scope?.storage;
    if (!existsSync(this.file)) {
      storage?.files.sweep(new Set());
      return undefined;
    }
    let state: SavedState;
    try {
      state = JSON.parse(readFileSync(this.file, "utf8")) as SavedState;
    } catch (e) {
      throw new Error(
        `cannot read saved data ${this.file}: ${e instanceof Error ? e.message : String(e)} (start with --reset to discard it)`,
      );
    }
    if (state.format !== FORMAT)
      throw new Error(`saved data ${this.file} has unknown format ${state.format} (start with --reset)`);
    const live = new Set<string>();
    for (const [componentPath, saved] of Object.entries(state.components)) {
      const db = this.engine.dbs.get(componentPath);
      if (!db) continue; // component no longer in convex.config.ts
      const documents: Record<string, Record<string, Value>> = {};
      for (const [id, doc] of Object.entries(saved.documents))
        documents[id] = jsonToConvex(doc as never) as Record<string, Value>;
      const files: Record<string, Blob> = {};
      for (const [id, f] of Object.entries(saved.files ?? {})) {
        if (!storage) continue;
        const key = "key" in f ? f.key : (await storage.files.write([Buffer.from(f.base64, "base64")], f.type)).key;
        files[id] = await storage.files.open(key, f.type);
        storage.remember(key, componentPath, id);
        live.add(key);
      }
      db.restore({ documents, nextDocId: saved.nextDocId, lastCreationTime: saved.lastCreationTime, files });
    }
    storage?.files.sweep(live);
    const ts = BigInt(state.ts);
    if (ts > this.engine.ts) this.engine.ts = ts;
    return state.scheduler;
  }

  /**
   * Data changed; saves after a short quiet period, at most maxDelayMs later, and not sooner
   * than maxDelayMs (or 20 times the last save's encoding time) after the previous save (each save
   * rewrites the whole file, so a steady stream of writes, e.g. a streamed reply, costs two saves
   * a second, not one per write, and a large database fewer).
   */
  markDirty() {
    if (this.closed) return;
    this.dirty = true;
    // performance.now(): Date.now() inside a backend's functions follows its test clock.
    const now = performance.now();
    if (this.timer === null) this.firstDirtyAt = now;
    else clearTimeout(this.timer);
    // A save blocks the event loop while it encodes: keep that under a twentieth of the time.
    const due = Math.max(
      Math.min(now + this.debounceMs, this.firstDirtyAt + this.maxDelayMs),
      this.lastSaveAt + Math.max(this.maxDelayMs, 20 * this.lastSaveMs),
    );
    const wait = Math.max(0, due - now);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.save();
    }, wait);
  }

  /** State that needs no save of its own changed (e.g. a cron's next run): save it with the next one. */
  markStale() {
    this.dirty = true;
  }

  /** Save now if anything changed (serialized with any save in progress). */
  save(): Promise<void> {
    this.saving = this.saving
      .then(() => this.writeSnapshot())
      .catch((e: unknown) => {
        this.dirty = true; // try again with the next save
        this.onError(`could not save data to ${this.file}: ${e instanceof Error ? e.message : String(e)}`);
      });
    return this.saving;
  }

  /** Final save; no more saves after this. */
  async close() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.save();
    this.closed = true;
  }

  private async writeSnapshot() {
    if (!this.dirty) return;
    // Read committed state synchronously (one consistent cut: commits are synchronous),
    // then encode files, which is async.
    this.dirty = false;
    this.lastSaveAt = performance.now();
    const started = performance.now();
    const components: Record<string, SavedComponent> = {};
    /** Each component's documents, already JSON text: spliced into the file below. */
    const documentsJson = new Map<string, string>();
    const blobs: [SavedComponent, string, Blob][] = [];
    const storage = this.engine.scope?.storage;
    const gone: string[] = [];
    for (const [componentPath, db] of this.engine.dbs) {
      const contents = db.contents();
      const entries: string[] = [];
      for (const [id, doc] of Object.entries(contents.documents)) entries.push(`${JSON.stringify(id)}:${docJson(doc)}`);
      documentsJson.set(componentPath, `{${entries.join(",")}}`);
      const saved: SavedComponent = {
        documents: {},
        nextDocId: contents.nextDocId,
        lastCreationTime: contents.lastCreationTime,
        files: {},
      };
      // convex-test keeps the blob of a deleted row (a blob is only ever added once its row
      // committed): drop it, and its bytes once db.json no longer names them.
      for (const [id, blob] of Object.entries(contents.files)) {
        if (!storage) break;
        if (contents.documents[id]) blobs.push([saved, id, blob]);
        else {
          this.engine.dbs.get(componentPath)?.dropFile(id);
          const key = storage.files.keyOf(blob);
          if (key) gone.push(key);
        }
      }
      components[componentPath] = saved;
    }
    const state: SavedState = {
      format: FORMAT,
      savedAt: Date.now(),
      ts: this.engine.ts.toString(),
      components,
      scheduler: this.getSchedulerState(),
    };
    for (const [saved, id, blob] of blobs) {
      // Every blob is on disk already (uploads and ctx.storage.store write it first); adopt
      // finds its key, or writes one that somehow is not.
      const key = storage!.files.keyOf(blob) ?? (await storage!.files.adopt(blob)).key;
      saved.files[id] = { type: blob.type, key };
    }
    // The file is JSON.stringify(state) with each component's documents in place of `{}`.
    const text = JSON.stringify({ ...state, components: {} }).replace(
      /"components":\{\}/,
      () =>
        `"components":{${Object.entries(components)
          .map(([componentPath, saved]) =>
            JSON.stringify({ [componentPath]: saved })
              .slice(1, -1)
              .replace(/"documents":\{\}/, () => `"documents":${documentsJson.get(componentPath)}`),
          )
          .join(",")}}`,
    );
    this.lastSaveMs = performance.now() - started;
    mkdirSync(this.dir, { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fd = openSync(tmp, "w");
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    for (const key of gone) storage?.files.remove(key);
  }
}
