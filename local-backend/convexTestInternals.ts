// Every use of convex-test's private internals, in one place.
//
// convex-test's public API runs functions and reads data through transactions; a server
// also needs a commit hook, raw table access (to save and restore the database), the
// component databases, a view of every syscall, how an index orders rows and what a page
// cursor holds (conflicts.ts), and when a scheduled job's run ends. None of that is public,
// so this module reaches into convex-test 0.0.60 and nowhere else does.
// `checkConvexTestVersion()` runs before anything here touches convex-test and refuses any
// other installed version with one line: these patches silently break (or corrupt data)
// when the internals move.
// convex-test's async-context storages become slots of the backend's one (see the module): in this order.
import "./convexTestContextBegin.js";
import { convexTest } from "convex-test";
// Not exported by convex-test; the same module instance its index.js uses.
import { TransactionMetricsTracker } from "convex-test/dist/transactionMetrics.js";
import "./convexTestContextEnd.js";
import type { JSONValue, Value } from "convex/values";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { ContextSlot } from "./context.js";

/** The convex-test version this module was written and checked against. */
export const CONVEX_TEST_VERSION = "0.0.60";

export class ConvexTestVersionError extends Error {}

/** The installed convex-test version (read from its package.json). */
export function installedConvexTestVersion(): string {
  // convex-test's package.json is not in its `exports`; find it next to its entry point.
  const entry = createRequire(import.meta.url).resolve("convex-test");
  let dir = path.dirname(entry);
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "convex-test") return pkg.version ?? "unknown";
    } catch {
      // no package.json here; keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir) return "unknown";
    dir = parent;
  }
}

/** Throws one clear line when the installed convex-test is not the one these patches were written for. */
export function checkConvexTestVersion(installed = installedConvexTestVersion()): void {
  if (installed !== CONVEX_TEST_VERSION) {
    throw new ConvexTestVersionError(
      `convex-test ${installed} is installed, but local-backend/convexTestInternals.ts patches the internals of ${CONVEX_TEST_VERSION}: ` +
        `install convex-test@${CONVEX_TEST_VERSION} (npm ci) or port that module to ${installed}`,
    );
  }
}

export interface FunctionPath {
  udfPath: string;
  componentPath: string;
}

/** The parts of a convex-test accessor we use (the public typings hide the *FromPath calls). */
export interface Accessor {
  queryFromPath(p: FunctionPath, args: Record<string, Value>): Promise<Value>;
  mutationFromPath(p: FunctionPath, args: Record<string, Value>): Promise<Value>;
  actionFromPath(p: FunctionPath, args: Record<string, Value>): Promise<Value>;
  /** Runs a function of any type by path (how convex-test runs scheduled functions). */
  fun(p: FunctionPath, args: Record<string, Value>): Promise<Value>;
  run<T>(handler: (ctx: any) => Promise<T>): Promise<T>;
  runInComponent<T>(componentPath: string, handler: (ctx: any) => Promise<T>): Promise<T>;
  fetch(pathQuery: string, init?: RequestInit): Promise<Response>;
  withIdentity(identity: Record<string, unknown>): Accessor;
}

/** convex-test's in-memory database of one component (a private class; the fields we touch). */
interface DatabaseFake {
  _componentPath: string;
  _documents: Record<string, Record<string, Value>>;
  _storage: Record<string, Blob>;
  _nextDocId: number;
  _lastCreationTime: number;
  _writes: Record<string, unknown>[];
  /** The component's schema, as convex-test keeps it (each table's `export()`). */
  _schema: { tables: Map<string, { indexes: { indexDescriptor: string; fields: string[] }[] }> } | null;
  _iterateDocs(table: string, callback: (doc: Record<string, Value>) => void): void;
  _resolveQuerySource(query: { source: QuerySource }): unknown;
  vectorSearch(tableAndIndex: string, ...rest: unknown[]): unknown;
  insert(table: string, value: Record<string, Value>): string;
  storeFile(storageId: string, blob: Blob): void;
  get(table: string | undefined, id: string): Record<string, Value> | null;
  patch(table: string, id: string, value: Record<string, unknown>): void;
  commit(commitTs?: bigint | null): void;
  /** Called by insert, patch (with the merged fields) and replace with the user fields. */
  _validate(table: string, fields: Record<string, Value>): void;
}

/** One component's database as saved to disk and restored. */
export interface DatabaseContents {
  documents: Record<string, Record<string, Value>>;
  nextDocId: number;
  lastCreationTime: number;
  files: Record<string, Blob>;
}

/** A component database, opaque outside this module. */
export interface ComponentDatabase {
  readonly componentPath: string;
  /** Committed documents, by ID (no transaction needed; do not mutate). */
  documents(): Record<string, Record<string, Value>>;
  contents(): DatabaseContents;
  restore(saved: DatabaseContents): void;
  /** Inside `runInComponent` (a transaction of that component): read or patch one document. */
  get(table: string, id: string): Record<string, Value> | null;
  patch(table: string, id: string, value: Record<string, unknown>): void;
  /** Inside `runInComponent`: a new `_storage` row for bytes already stored. */
  insertFile(fields: { sha256: string; size: number; contentType: string | null }): string;
  /** Once its row committed (as convex-test's storeBlob does): the row's blob. */
  attachFile(id: string, blob: Blob): void;
  /** The blob of a `_storage` row, as this transaction sees it (null when the row is gone). */
  file(id: string): Blob | null;
  /** Forget the blob of a deleted row (convex-test keeps them). */
  dropFile(id: string): void;
  /**
   * The fields rows are ordered by in an index ("table.index"): its own, then `_creationTime` and
   * `_id`, as convex-test sorts a read of it (and a deployment keys it); null when not declared.
   */
  indexFields(indexName: string): string[] | null;
}

const PROBE = "__localBackendProbe__";
const ownBudget = new ContextSlot<true>("ownBudget");

/** `before`: each applied write's previous value (undefined: none, a new document). */
type CommitListener = (
  componentPath: string,
  ids: string[],
  before?: Map<string, Record<string, Value> | undefined>,
) => void;
const commitListeners = new WeakMap<object, CommitListener>();
let databaseHooksInstalled = false;
let syscallsWrapped = false;

function componentDatabase(db: DatabaseFake): ComponentDatabase {
  return {
    componentPath: db._componentPath,
    documents: () => db._documents,
    contents: () => ({
      documents: db._documents,
      nextDocId: db._nextDocId,
      lastCreationTime: db._lastCreationTime,
      files: db._storage,
    }),
    restore(saved) {
      db._documents = saved.documents;
      tableIndexes.delete(db);
      // IDs and _creationTime keep increasing past what was saved.
      db._nextDocId = Math.max(db._nextDocId, saved.nextDocId);
      db._lastCreationTime = Math.max(db._lastCreationTime, saved.lastCreationTime);
      db._storage = saved.files;
    },
    get: (table, id) => db.get(table, id),
    patch: (table, id, value) => db.patch(table, id, value),
    insertFile: (fields) => db.insert("_storage", fields),
    attachFile: (id, blob) => db.storeFile(id, blob),
    file(id) {
      try {
        return db.get("_storage", id) === null ? null : (db._storage[id] ?? null);
      } catch {
        return null; // not an ID of this component's _storage
      }
    },
    dropFile(id) {
      delete db._storage[id];
    },
    indexFields(indexName) {
      // convex-test's _resolveQuerySource, case "IndexRange".
      const [table, index] = indexName.split(".");
      if (index === "by_creation_time") return ["_creationTime", "_id"];
      if (index === "by_id") return ["_id"];
      const fields = db._schema?.tables.get(table)?.indexes.find((i) => i.indexDescriptor === index)?.fields;
      return fields ? [...fields, "_creationTime", "_id"] : null;
    },
  };
}

/**
 * A convex-test page cursor (`paginate`'s `_encodeCursor`): the key of the row it is after (each
 * sort field's value as JSON, undefined when absent), "end" (`_end_cursor`: past the range's
 * end), or null (none: the range's start).
 */
export function decodeCursor(cursor: string | null | undefined): (JSONValue | undefined)[] | "end" | null {
  if (cursor === null || cursor === undefined || cursor === "") return null;
  if (cursor === "_end_cursor") return "end";
  return (JSON.parse(cursor) as (string | null)[]).map((k) => (k === null ? undefined : JSON.parse(k)));
}

/**
 * `convexTest()` plus what a server needs from its internals: each component's database and
 * a hook called on every outermost commit with the IDs written. Call after registering every
 * component (`registerComponent` on the returned `t`), then `databases()`.
 */
export function createConvexTest(
  schema: unknown,
  modules: Record<string, () => Promise<unknown>>,
  hooks: {
    onCommit: CommitListener;
    /** Before every document write, with the document's user fields; throws to refuse it. */
    checkDocument: (table: string, fields: Record<string, Value>) => void;
  },
) {
  checkConvexTestVersion();
  patchTransactionMetricsTracker();
  // transactionLimits: true enforces the deployment's transaction limits (convex-test's
  // TransactionMetricsTracker: 16 MiB read/written, 32,000 documents scanned, 4,096 index
  // ranges, 16,000 documents written, 1,000 functions scheduled, 16 MiB of scheduled args).
  const t = convexTest({
    schema: schema as never,
    modules,
    transactionLimits: true,
  } as never) as unknown as Accessor & {
    registerComponent(componentPath: string, schema: unknown, modules: Record<string, () => Promise<unknown>>): void;
  };
  const components = captureComponentMap(t);
  return {
    t,
    registerComponent: (
      componentPath: string,
      componentSchema: unknown,
      mods: Record<string, () => Promise<unknown>>,
    ) => t.registerComponent(componentPath, componentSchema, mods),
    /** Every component's database ("" is the app), with the commit hook attached. */
    databases(): Map<string, ComponentDatabase> {
      const out = new Map<string, ComponentDatabase>();
      for (const [componentPath, info] of Object.entries(components)) {
        if (componentPath === PROBE) continue;
        commitListeners.set(info.db, hooks.onCommit);
        installDatabaseHooks(Object.getPrototypeOf(info.db) as DatabaseFake, hooks.checkDocument);
        out.set(componentPath, componentDatabase(info.db));
      }
      return out;
    },
  };
}

/**
 * convex-test keeps its component map in a closure. `registerComponent` assigns
 * `components[path] = ...` on it, so for one call a setter on Object.prototype under a
 * probe name sees the map as `this`.
 */
function captureComponentMap(t: { registerComponent: (...a: any[]) => void }): Record<string, { db: DatabaseFake }> {
  let captured: Record<string, { db: DatabaseFake }> | null = null;
  Object.defineProperty(Object.prototype, PROBE, {
    configurable: true,
    set(this: Record<string, { db: DatabaseFake }>) {
      captured = this;
    },
  });
  try {
    t.registerComponent(PROBE, null, { [`/${PROBE}/_generated/x.js`]: async () => ({}) });
  } finally {
    delete (Object.prototype as Record<string, unknown>)[PROBE];
  }
  if (!captured) throw new ConvexTestVersionError("convex-test internals changed: could not reach its component map");
  const map = captured as Record<string, { db: DatabaseFake }>;
  delete map[PROBE];
  return map;
}

/**
 * There is no commit hook in convex-test; the outermost commit (commitTs !== null) is the
 * moment writes become visible, so DatabaseFake.prototype.commit is wrapped once. Every
 * insert/patch/replace passes its document through `_validate` (schema validation), which
 * is where the deployment's document limits are checked too.
 */
function installDatabaseHooks(
  proto: DatabaseFake,
  checkDocument: (table: string, fields: Record<string, Value>) => void,
) {
  if (databaseHooksInstalled) return;
  databaseHooksInstalled = true;
  const validate = proto._validate;
  proto._validate = function (this: DatabaseFake, table: string, fields: Record<string, Value>) {
    checkDocument(table, fields);
    validate.call(this, table, fields);
  };
  // A deployment's `_storage` rows carry `contentType` (null when none was given); convex-test's
  // `storage/storeBlob` inserts only size and sha256, so the blob's type rides along here.
  const insert = proto.insert;
  proto.insert = function (this: DatabaseFake, table: string, value: Record<string, Value>) {
    const type = storedBlobType.getStore();
    if (table === "_storage" && type !== undefined && !("contentType" in value))
      return insert.call(this, table, { ...value, contentType: type });
    return insert.call(this, table, value);
  };
  const commit = proto.commit;
  proto.commit = function (this: DatabaseFake, commitTs: bigint | null = null) {
    const pending = this._writes[this._writes.length - 1];
    // The outermost level's writes go to `_documents`; an inner one's merge into its parent.
    const applied = this._writes.length === 1 && pending ? Object.keys(pending) : [];
    const before = applied.map((id) => this._documents[id]);
    commit.call(this, commitTs);
    if (applied.length > 0) tableIndexes.get(this)?.update(applied, before, this._documents);
    if (commitTs === null || !pending) return;
    const ids = Object.keys(pending);
    if (ids.length === 0) return;
    const previous = applied.length > 0 ? new Map(applied.map((id, i) => [id, before[i]])) : undefined;
    commitListeners.get(this)?.(this._componentPath, ids, previous);
  };
  installIndexedReads(proto);
}

type QuerySource = { type: string; tableName?: string; indexName?: string; range?: RangeExpression[] };
type RangeExpression = { type: string; fieldPath: string; value?: unknown };

/**
 * convex-test answers every query, whatever its index range, by listing all of the component's
 * documents (`Object.keys` of every table together), keeping the query's table and filtering by
 * the range: a read costs as much as the component's whole database. At 100 streaming replies
 * (~17,000 deltas and chunks) each flush's "last delta" read scanned them all, and the backend
 * served ~8 flushes a second (bench row 10). A deployment reads an index range. Here committed
 * documents are kept by table, and by the value of each field a query has asked for with `eq`,
 * so a read visits its table, or only the documents with that value, plus the transaction's
 * own pending writes. The candidates still pass convex-test's range filter and sort, so results
 * (and the documents a read is charged for) are the same; only what is skipped changes.
 */
class TableIndexes {
  /** table -> committed IDs, in `_documents` order. */
  private readonly tables = new Map<string, Set<string>>();
  /** "table\0fieldPath" -> value key -> committed IDs. */
  private readonly fields = new Map<string, Map<string, Set<string>>>();

  constructor(documents: Record<string, Record<string, Value>>) {
    for (const id of Object.keys(documents)) this.table(tableOfId(id)).add(id);
  }

  private table(name: string | null): Set<string> {
    let ids = this.tables.get(name ?? "");
    if (!ids) this.tables.set(name ?? "", (ids = new Set()));
    return ids;
  }

  /** Committed IDs of `table` whose `fieldPath` may equal `value`, building that field's index on first use. */
  candidates(
    documents: Record<string, Record<string, Value>>,
    table: string,
    eq: RangeExpression | undefined,
  ): Iterable<string> {
    const ids = this.table(table);
    const wanted = eq === undefined ? undefined : queryValueKey(eq.value);
    if (eq === undefined || wanted === undefined) return ids;
    const name = `${table}\0${eq.fieldPath}`;
    let byValue = this.fields.get(name);
    if (!byValue) {
      byValue = new Map();
      for (const id of ids) addTo(byValue, fieldKey(documents[id], eq.fieldPath), id);
      this.fields.set(name, byValue);
    }
    return byValue.get(wanted) ?? [];
  }

  /** After a commit: `ids` were written, `before` held their previous values. */
  update(
    ids: string[],
    before: (Record<string, Value> | undefined)[],
    documents: Record<string, Record<string, Value>>,
  ) {
    ids.forEach((id, i) => {
      const table = tableOfId(id);
      const now = documents[id];
      if (now === undefined) this.table(table).delete(id);
      else this.table(table).add(id);
      const prefix = `${table}\0`;
      for (const [name, byValue] of this.fields) {
        if (!name.startsWith(prefix)) continue;
        const fieldPath = name.slice(prefix.length);
        const old = before[i];
        if (old !== undefined) byValue.get(fieldKey(old, fieldPath))?.delete(id);
        if (now !== undefined) addTo(byValue, fieldKey(now, fieldPath), id);
      }
    });
  }
}

const tableIndexes = new WeakMap<DatabaseFake, TableIndexes>();

function addTo(byValue: Map<string, Set<string>>, key: string, id: string) {
  let ids = byValue.get(key);
  if (!ids) byValue.set(key, (ids = new Set()));
  ids.add(id);
}

/** convex-test's tableNameFromId. */
function tableOfId(id: string): string | null {
  const m = /^[0-9]+/.exec(id);
  return m && m[0].length < id.length ? id.slice(m[0].length) : null;
}

/** convex-test's isSimpleObject: a plain object, the only kind a field path walks into. */
function isSimpleObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === null || prototype === Object.prototype || prototype?.constructor?.name === "Object";
}

/**
 * A document's value at `fieldPath` as a key: equal keys for every pair of values convex-test's
 * `compareValues` finds equal (the index may hold more, never fewer).
 */
function fieldKey(doc: Record<string, Value>, fieldPath: string): string {
  let v: unknown = doc;
  for (const part of fieldPath.split(".")) {
    v =
      v !== undefined && v !== null && typeof v === "object" && isSimpleObject(v)
        ? (v as Record<string, unknown>)[part]
        : undefined;
  }
  return valueKey(v);
}

function valueKey(v: unknown): string {
  if (typeof v === "string") return `s${v}`;
  if (typeof v === "number") return `n${v === 0 ? 0 : v}`;
  if (typeof v === "boolean") return v ? "t" : "f";
  if (v === null) return "null";
  // Everything else (int64, bytes, arrays, objects, absent) shares one key: `eq` on those scans.
  return "other";
}

/** The key of an `eq` bound (its JSON form): only strings, finite numbers, booleans and null are looked up. */
function queryValueKey(json: unknown): string | undefined {
  if (typeof json === "string" || typeof json === "boolean" || json === null) return valueKey(json);
  if (typeof json === "number" && Number.isFinite(json)) return valueKey(json);
  return undefined;
}

/** The query `_resolveQuerySource` is answering, so `_iterateDocs` can use its `eq`. */
const currentSource = new WeakMap<DatabaseFake, QuerySource>();

function installIndexedReads(proto: DatabaseFake) {
  const resolve = proto._resolveQuerySource;
  proto._resolveQuerySource = function (this: DatabaseFake, query: { source: QuerySource }) {
    currentSource.set(this, query.source);
    try {
      return resolve.call(this, query);
    } finally {
      currentSource.delete(this);
    }
  };
  proto._iterateDocs = function (
    this: DatabaseFake,
    tableName: string,
    callback: (doc: Record<string, Value>) => void,
  ) {
    let index = tableIndexes.get(this);
    if (!index) tableIndexes.set(this, (index = new TableIndexes(this._documents)));
    const source = currentSource.get(this);
    const inRange =
      source?.type === "IndexRange" && source.indexName?.split(".")[0] === tableName ? source.range : undefined;
    const ids = new Set(
      index.candidates(
        this._documents,
        tableName,
        inRange?.find((e) => e.type === "Eq"),
      ),
    );
    for (const level of this._writes) {
      for (const id of Object.keys(level)) if (tableOfId(id) === tableName) ids.add(id);
    }
    for (const id of ids) {
      const document = this.get(tableName, id);
      if (document !== null) callback(document);
    }
  };
}

export type SyscallObserver = {
  /** Before an async syscall: throws to refuse it, as a deployment refuses it (the only hook that may throw). */
  before(op: string): void;
  /** After an async syscall resolved (db reads): its op, JSON args and JSON result. */
  async(op: string, jsonArgs: string, result: string): void;
  /** After a sync syscall (e.g. 1.0/queryStream): its op, JSON args and JSON result. */
  sync(op: string, jsonArgs: string, result: string): void;
};

/** The syscalls that schedule a function: a mutation's, and an action's (which convex-test passes on to the first). */
const SCHEDULING_SYSCALLS = new Set(["1.0/schedule", "1.0/actions/schedule"]);
/** Set while a scheduling syscall runs: convex-test arms the scheduled function's timer inside it. */
const schedulingCall = new ContextSlot<boolean>("schedulingCall");

/**
 * True while convex-test schedules a function, so a timer armed now is that function's (its
 * `1.0/schedule` arms one per job, synchronously). Any other timer is someone else's, whatever
 * runs meanwhile: a transaction in flight says nothing about who arms a timer (engine.ts
 * `stampScheduledRuns`).
 */
export function schedulingFunction(): boolean {
  return schedulingCall.getStore() === true;
}

/** Runs `fn` outside any scheduling syscall: a scheduled function's run, which its timer's context would put inside one. */
export function outsideScheduling<T>(fn: () => T): T {
  return schedulingCall.run(undefined, fn);
}

/**
 * The Convex runtime talks to convex-test through the global `Convex` object; wrapping it
 * sees every syscall of every engine in the process (callers tell whose from their own
 * AsyncLocalStorage). Installed once; the observer must never throw, but for `before`'s refusals.
 * A scheduling syscall runs with `schedulingFunction()` true.
 */
export function observeSyscalls(observer: SyscallObserver): void {
  if (syscallsWrapped) return;
  syscallsWrapped = true;
  const g = globalThis as unknown as { Convex: Record<string, (...a: any[]) => any> };
  const original = g.Convex;
  g.Convex = {
    syscall: (op: string, jsonArgs: string) => {
      const result = original.syscall(op, jsonArgs);
      observer.sync(op, jsonArgs, result);
      return result;
    },
    jsSyscall: (op: string, args: unknown) => original.jsSyscall(op, args),
    asyncSyscall: async (op: string, jsonArgs: string) => {
      observer.before(op);
      const result = await (SCHEDULING_SYSCALLS.has(op)
        ? schedulingCall.run(true, () => original.asyncSyscall(op, jsonArgs))
        : original.asyncSyscall(op, jsonArgs));
      observer.async(op, jsonArgs, result);
      return result;
    },
  };
}

/** The type of the blob `storage/storeBlob` is storing (null: none), for its `_storage` row. */
const storedBlobType = new ContextSlot<string | null>("storedBlobType");
let storageIntercepted = false;

/** What the local backend puts in place of convex-test's fake storage syscalls. */
export interface StorageSyscalls {
  /** `ctx.storage.generateUploadUrl()` of the current function's component. */
  generateUploadUrl(): string;
  /** `ctx.storage.getUrl(id)` once convex-test found the row: the URL serving it, or null. */
  getUrl(storageId: string): string | null;
  /** `ctx.storage.store(blob)`: the blob to keep instead (written to disk). */
  store(blob: Blob): Promise<Blob>;
}

/**
 * Replaces convex-test's storage URLs (fake `https://some-deployment.convex.cloud/...` ones) and
 * blob keeping with the backend's own, for calls where `current()` answers (the calling
 * backend's storage); other calls keep convex-test's behaviour. Installed once per process.
 */
export function interceptStorageSyscalls(current: () => StorageSyscalls | undefined): void {
  if (storageIntercepted) return;
  storageIntercepted = true;
  const g = globalThis as unknown as { Convex: Record<string, (...a: any[]) => any> };
  const original = g.Convex;
  g.Convex = {
    ...original,
    syscall: (op: string, jsonArgs: string) => original.syscall(op, jsonArgs),
    asyncSyscall: async (op: string, jsonArgs: string) => {
      const storage = current();
      if (storage && op === "1.0/storageGenerateUploadUrl") {
        await original.asyncSyscall(op, jsonArgs); // convex-test's own checks (e.g. not in a query)
        return JSON.stringify(storage.generateUploadUrl());
      }
      const result = await original.asyncSyscall(op, jsonArgs);
      if (storage && op === "1.0/storageGetUrl" && result !== "null") {
        return JSON.stringify(storage.getUrl((JSON.parse(jsonArgs) as { storageId: string }).storageId));
      }
      return result;
    },
    jsSyscall: async (op: string, args: { blob?: Blob }) => {
      const storage = current();
      if (storage && op === "storage/storeBlob" && args.blob instanceof Blob) {
        const type = args.blob.type || null;
        const blob = await storage.store(args.blob);
        return await storedBlobType.run(type, () => original.jsSyscall(op, { ...args, blob }));
      }
      return await original.jsSyscall(op, args);
    },
  };
}

/** crates/database/src/reads.rs OVER_LIMIT_HELP */
const OVER_LIMIT_HELP =
  "Consider using smaller limits in your queries, paginating your queries, or using indexed queries with a selective index range expressions.";

/**
 * convex-test's transaction-limit errors, reworded as a deployment words them
 * (crates/database/src/reads.rs, writes.rs; crates/model/src/scheduled_jobs/mod.rs).
 */
const DEPLOYMENT_WORDING: [RegExp, (limit: string) => string][] = [
  [
    /^Scanned too many documents .*\(limit: (\d+)\)/,
    (l) => `Too many documents read in a single function execution (limit: ${l}). ${OVER_LIMIT_HELP}`,
  ],
  [
    /^Read too much data .*\(limit: (\d+) bytes\)/,
    (l) => `Too many bytes read in a single function execution (limit: ${l} bytes). ${OVER_LIMIT_HELP}`,
  ],
  [
    /^Too many index ranges read .*\(limit: (\d+)\)/,
    (l) => `Too many reads in a single function execution (limit: ${l}). ${OVER_LIMIT_HELP}`,
  ],
  [
    /^Wrote too many documents .*\(limit: (\d+)\)/,
    (l) => `Too many writes in a single function execution (limit: ${l})`,
  ],
  [
    /^Wrote too much data .*\(limit: (\d+) bytes\)/,
    (l) => `Too many bytes written in a single function execution (limit: ${formatBytes(Number(l))})`,
  ],
  [
    /^Scheduled too many functions .*\(limit: (\d+)\)/,
    (l) => `Too many functions scheduled by this mutation (limit: ${l})`,
  ],
];

/** crates/common/src/fmt.rs format_bytes, for the whole-MiB limits used here. */
function formatBytes(n: number): string {
  return n % (1 << 20) === 0 ? `${n / (1 << 20)} MiB` : `${n} bytes`;
}

/** Told when a top-level transaction takes the lock and when it ends (conflicts.ts). */
export interface TransactionObserver {
  begin(): void;
  end(committed: boolean): void;
}
let transactionObserver: TransactionObserver | null = null;

/**
 * convex-test makes one TransactionMetricsTracker per top-level transaction, once it holds the
 * lock, and drives its layers with the databases': its first layer is the transaction's start,
 * and the `commit` or `rollback` that empties it the transaction's end. One observer for the
 * process; it tells engines apart by their own AsyncLocalStorage.
 */
export function observeTransactions(observer: TransactionObserver): void {
  transactionObserver = observer;
}

let trackerPatched = false;
function patchTransactionMetricsTracker() {
  if (trackerPatched) return;
  trackerPatched = true;
  const proto = TransactionMetricsTracker.prototype as unknown as Record<string, (...a: unknown[]) => unknown> & {
    _layers: unknown[];
    _rootLayer(): unknown;
  };
  const start = proto.startTransaction;
  proto.startTransaction = function (this: typeof proto, limits: unknown) {
    if (ownBudget.getStore() && this._layers.length === 1) {
      this._layers.push(this._rootLayer());
      return;
    }
    if (this._layers.length === 0) transactionObserver?.begin();
    start.call(this, limits);
  };
  for (const [method, committed] of [
    ["commit", true],
    ["rollback", false],
  ] as const) {
    const end = proto[method];
    proto[method] = function (this: typeof proto, ...args: unknown[]) {
      const result = end.apply(this, args);
      if (this._layers.length === 0) transactionObserver?.end(committed);
      return result;
    };
  }
  for (const method of ["trackRead", "trackWrite", "trackIndexRange", "trackScheduledFunction"]) {
    const track = proto[method];
    proto[method] = function (this: unknown, ...args: unknown[]) {
      try {
        return track.apply(this, args);
      } catch (e) {
        const message = e instanceof Error ? e.message : "";
        for (const [pattern, reword] of DEPLOYMENT_WORDING) {
          const m = pattern.exec(message);
          if (m) throw new Error(reword(m[1]));
        }
        throw e;
      }
    };
  }
}

/**
 * Runs `fn` so that a query it starts with `ctx.runQuery` directly inside a `t.run`
 * transaction gets its own transaction-limit budget, as each subscription's query does on
 * a deployment. Without this, convex-test counts every query of a snapshot against the one
 * enclosing transaction (a child layer inherits its parent's usage).
 */
export function withOwnTransactionBudget<T>(fn: () => T): T {
  return ownBudget.run(true, fn);
}

/**
 * Calls convex-test's scheduled-function timer callback and returns the run it starts. The
 * callback (index.js, "1.0/schedule") returns nothing: it starts `runScheduledFunction(...)`,
 * chains `.finally(...)` on it and hands that to its own bookkeeping, all synchronously. So the
 * promise its last `.finally` call returns settles when the job's run has ended (pending ->
 * inProgress -> its function -> success/failed, or nothing when canceled). engine.ts holds a
 * deployment's scheduled-job slot until then; were the shape to change, the run would settle at
 * once and slots would free early (convexTestInternals.test.ts checks it).
 */
export function scheduledRun(callback: () => unknown): Promise<unknown> {
  const original = Promise.prototype.finally;
  let run: Promise<unknown> = Promise.resolve();
  Promise.prototype.finally = function (this: Promise<unknown>, onFinally) {
    const chained = original.call(this, onFinally);
    run = chained;
    return chained;
  };
  try {
    callback();
  } finally {
    Promise.prototype.finally = original;
  }
  return run.catch(() => {});
}
