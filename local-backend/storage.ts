// File storage as a deployment offers it (get-convex/convex-backend crates/local_backend/src/storage.rs,
// crates/keybroker, model/src/file_storage):
//
// - `ctx.storage.generateUploadUrl()` is `<cloud url>/api/storage/upload?token=<token>`. The token
//   names the component, is signed (HMAC-SHA256 with the admin key, so it survives a restart as a
//   deployment's encrypted token does), valid for an hour and reusable within it. A bad one is 401
//   `StorageTokenInvalid`, an old one 401 `StorageTokenExpired` "Store File Authorization expired".
// - `POST` there streams the body to disk, hashing as it goes (no size limit, as on a deployment),
//   commits the `_storage` row (`sha256` base64, `size`, `contentType` from the header or null),
//   and answers `{"storageId"}`.
// - `ctx.storage.getUrl(id)` is `<cloud url>/api/storage/<key>`: the blob's random key (a UUID,
//   as the deployment's URL carries the storage UUID, not the document ID), so URLs cannot be
//   guessed from the sequential IDs. `GET`/`HEAD` there serve the bytes with `Content-Type`,
//   `Content-Length`, `Digest`, `Cache-Control: private, max-age=2592000`, one byte range (206) or
//   416; an unknown key is 404 `FileNotFound`, a malformed one 400 `InvalidStoragePath`.
//
// Bytes live in `<data>/storage/<key>.blob`, one file each; convex-test keeps a file-backed Blob
// (`fs.openAsBlob`), so no file is held in memory and db.json lists only `{ id: { key, type } }`.
// (Base64 inside db.json, as before, made every save rewrite every file ever stored, and the
// whole of them lived in memory.)
import { createHash, createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  openAsBlob,
  readdirSync,
  rmSync,
  statSync,
} from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { finished } from "node:stream/promises";
import type { StorageSyscalls } from "./convexTestInternals.js";
import type { Engine } from "./engine.js";
import { functionStorage } from "./runtime.js";

/** crates/local_backend/src/storage.rs STORE_FILE_AUTHORIZATION_VALIDITY */
export const UPLOAD_TOKEN_VALIDITY_MS = 60 * 60 * 1000;
/** crates/local_backend/src/storage.rs MAX_CACHE_AGE (30 days) */
const MAX_CACHE_AGE_S = 60 * 60 * 24 * 30;
const KEY_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DIR = "storage";

export interface StoredBytes {
  key: string;
  blob: Blob;
  size: number;
  /** base64, as the `_storage` table holds it */
  sha256: string;
}

export type TokenCheck = { componentPath: string } | { status: number; code: string; message: string };

export class FileStore {
  readonly dir: string;
  /** Which blob is which file (every blob convex-test holds for this backend is one of these). */
  private keys = new WeakMap<Blob, string>();

  constructor(
    dataDir: string,
    private secret: string,
    /** The backend's clock (tests move it with advanceTime). */
    private now: () => number = Date.now,
  ) {
    this.dir = path.join(dataDir, DIR);
  }

  static reset(dataDir: string) {
    rmSync(path.join(dataDir, DIR), { recursive: true, force: true });
  }

  private fileOf(key: string) {
    return path.join(this.dir, `${key}.blob`);
  }

  keyOf(blob: Blob): string | undefined {
    return this.keys.get(blob);
  }

  /** A stored file as a Blob that reads from disk. */
  async open(key: string, type: string): Promise<Blob> {
    const blob = await openAsBlob(this.fileOf(key), { type });
    this.keys.set(blob, key);
    return blob;
  }

  /** Writes the bytes to a new file, hashing them on the way. */
  async write(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, type: string): Promise<StoredBytes> {
    mkdirSync(this.dir, { recursive: true });
    const key = randomUUID();
    const file = this.fileOf(key);
    const hash = createHash("sha256");
    const out = createWriteStream(file);
    let size = 0;
    try {
      for await (const chunk of source) {
        hash.update(chunk);
        size += chunk.length;
        if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
      }
      out.end();
      await finished(out);
    } catch (e) {
      out.destroy();
      rmSync(file, { force: true });
      throw e;
    }
    return { key, blob: await this.open(key, type), size, sha256: hash.digest("base64") };
  }

  /** A blob a function made (`ctx.storage.store`), written to disk and swapped for the file-backed one. */
  async adopt(blob: Blob): Promise<StoredBytes> {
    const known = this.keyOf(blob);
    if (known) {
      const bytes = new Uint8Array(await blob.arrayBuffer());
      return { key: known, blob, size: bytes.length, sha256: createHash("sha256").update(bytes).digest("base64") };
    }
    const stored = await this.write(blob.stream() as unknown as AsyncIterable<Uint8Array>, blob.type);
    this.keys.set(blob, stored.key); // saving the original again finds the same file
    return stored;
  }

  remove(key: string) {
    rmSync(this.fileOf(key), { force: true });
  }

  /** At start, before anything is pending: delete files no saved document points to. */
  sweep(live: Set<string>) {
    if (!existsSync(this.dir)) return;
    for (const name of readdirSync(this.dir)) {
      const key = name.replace(/\.blob$/, "");
      if (!live.has(key)) rmSync(path.join(this.dir, name), { force: true });
    }
  }

  private sign(payload: string): string {
    return createHmac("sha256", this.secret).update(`storage-upload:${payload}`).digest("hex");
  }

  /** What generateUploadUrl's token carries: the component and when it was issued. */
  uploadToken(componentPath: string): string {
    const payload = Buffer.from(JSON.stringify({ c: componentPath, t: this.now() })).toString("hex");
    return `${payload}.${this.sign(payload)}`;
  }

  checkToken(token: string | null): TokenCheck {
    const invalid = {
      status: 401,
      code: "StorageTokenInvalid",
      message: "Couldn't decode the StoreFileAuthorization token",
    };
    const [payload, mac, ...rest] = (token ?? "").split(".");
    if (!payload || !mac || rest.length > 0 || !/^[0-9a-f]+$/.test(payload)) return invalid;
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return invalid;
    const { c, t } = JSON.parse(Buffer.from(payload, "hex").toString("utf8")) as { c: string; t: number };
    if (t + UPLOAD_TOKEN_VALIDITY_MS <= this.now())
      return { status: 401, code: "StorageTokenExpired", message: "Store File Authorization expired" };
    return { componentPath: c };
  }

  isKey(s: string): boolean {
    return KEY_PATTERN.test(s);
  }

  /** GET/HEAD of a stored file, with a deployment's headers and its one-range rule. */
  serve(req: IncomingMessage, res: ServerResponse, key: string, meta: { sha256: string; contentType: string | null }) {
    const file = this.fileOf(key);
    const size = statSync(file).size;
    const headers: Record<string, string> = {
      "cache-control": `private, max-age=${MAX_CACHE_AGE_S}`,
      "accept-ranges": "bytes",
    };
    if (meta.contentType) headers["content-type"] = meta.contentType;
    const range = req.headers.range;
    if (range && size > 0) {
      const parsed = parseRange(range, size);
      if (parsed === "unsatisfiable") {
        res.writeHead(416);
        res.end();
        return;
      }
      if (parsed) {
        const [start, end] = parsed;
        res.writeHead(206, {
          ...headers,
          "content-range": `bytes ${start}-${end}/${size}`,
          "content-length": String(end - start + 1),
        });
        if (req.method === "HEAD") res.end();
        else createReadStream(file, { start, end }).pipe(res);
        return;
      }
    }
    res.writeHead(200, { ...headers, digest: `sha-256=${meta.sha256}`, "content-length": String(size) });
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
  }
}

/** One `bytes=a-b` range; several ranges are refused, an unparsable header means the whole file. */
function parseRange(header: string, size: number): [number, number] | "unsatisfiable" | null {
  const m = /^bytes=(.*)$/.exec(header.trim());
  if (!m) return null;
  const specs = m[1].split(",");
  if (specs.length !== 1) return "unsatisfiable";
  const r = /^\s*(\d*)-(\d*)\s*$/.exec(specs[0]);
  if (!r || (r[1] === "" && r[2] === "")) return null;
  let start: number;
  let end: number;
  if (r[1] === "") {
    start = Math.max(0, size - Number(r[2]));
    end = size - 1;
  } else {
    start = Number(r[1]);
    end = r[2] === "" ? size - 1 : Math.min(Number(r[2]), size - 1);
  }
  if (start > end || start >= size) return "unsatisfiable";
  return [start, end];
}

/**
 * One backend's file storage: the syscalls its functions make (convexTestInternals.ts
 * interceptStorageSyscalls) and the two HTTP endpoints on the deployment URL.
 */
export class LocalStorage implements StorageSyscalls {
  /** A URL's key -> the row it serves. Filled by getUrl, uploads and the restore. */
  private rows = new Map<string, { componentPath: string; id: string }>();

  constructor(
    private engine: Engine,
    readonly files: FileStore,
  ) {}

  private cloudUrl(): string {
    return this.engine.scope.systemEnv.CONVEX_CLOUD_URL ?? "";
  }

  remember(key: string, componentPath: string, id: string) {
    this.rows.set(key, { componentPath, id });
  }

  generateUploadUrl(): string {
    return `${this.cloudUrl()}/api/storage/upload?token=${this.files.uploadToken(currentComponent())}`;
  }

  getUrl(storageId: string): string | null {
    const componentPath = currentComponent();
    const blob = this.engine.dbs.get(componentPath)?.file(storageId);
    const key = blob ? this.files.keyOf(blob) : undefined;
    if (!key) return null;
    this.remember(key, componentPath, storageId);
    return `${this.cloudUrl()}/api/storage/${key}`;
  }

  async store(blob: Blob): Promise<Blob> {
    return (await this.files.adopt(blob)).blob;
  }

  /** `POST /api/storage/upload?token=`: the body becomes a file of the token's component. */
  async upload(req: IncomingMessage, res: ServerResponse, token: string | null) {
    const check = this.files.checkToken(token);
    const db = "componentPath" in check ? this.engine.dbs.get(check.componentPath) : undefined;
    if (!("componentPath" in check) || !db) {
      req.resume();
      const refusal =
        "status" in check
          ? check
          : { status: 401, code: "InvalidStorageToken", message: "Storage token is for an invalid component" };
      sendJson(res, refusal.status, { code: refusal.code, message: refusal.message });
      return;
    }
    const contentType = req.headers["content-type"] ?? null;
    const stored = await this.files.write(req, contentType ?? "");
    const digest = /^sha-256=(.+)$/i.exec(String(req.headers.digest ?? ""))?.[1];
    if (digest !== undefined && digest !== stored.sha256) {
      this.files.remove(stored.key);
      sendJson(res, 400, {
        code: "Sha256Mismatch",
        message: `Sha256 mismatch. Expected: ${digest} Actual: ${stored.sha256}`,
      });
      return;
    }
    const id = await this.engine.inScope(() =>
      this.engine.t.runInComponent(check.componentPath, async () =>
        db.insertFile({ sha256: stored.sha256, size: stored.size, contentType }),
      ),
    );
    db.attachFile(id, stored.blob);
    this.remember(stored.key, check.componentPath, id);
    sendJson(res, 200, { storageId: id });
  }

  /** `GET`/`HEAD /api/storage/<key>`. */
  download(req: IncomingMessage, res: ServerResponse, key: string) {
    if (!this.files.isKey(key)) {
      sendJson(res, 400, {
        code: "InvalidStoragePath",
        message: `Invalid storage path: "${key}". Please use \`storage.getUrl()\` to generate a valid URL to retrieve files.`,
      });
      return;
    }
    const row = this.rows.get(key);
    const doc = row ? this.engine.dbs.get(row.componentPath)?.documents()[row.id] : undefined;
    if (!row || !doc) {
      sendJson(res, 404, { code: "FileNotFound", message: `File ${key} not found` });
      return;
    }
    this.files.serve(req, res, key, {
      sha256: String(doc.sha256),
      contentType: typeof doc.contentType === "string" ? doc.contentType : null,
    });
  }
}

function currentComponent(): string {
  return functionStorage.getStore()?.componentPath ?? "";
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
