// Contention made visible: which writes would have conflicted on a deployment.
//
// A deployment runs transactions at once and validates each mutation at commit (optimistic
// concurrency control): a mutation whose read set another transaction wrote after its snapshot
// and before its commit fails with an OCC error and is retried (a few times, then it fails).
// convex-test, under this backend, runs one transaction at a time, so nothing ever conflicts
// here. To show what would, each transaction is recorded:
// - when it was requested (`requested()`: a client's call, an action's `ctx.runQuery` /
//   `ctx.runMutation`; a scheduled function when its timer fired) and when it ended. Two
//   transactions were in flight together when one was requested before the other ended: here
//   it waited for the lock while the other ran; a deployment would have run them at once, each
//   from its own snapshot. One requested after the other ended saw its writes either way;
// - its read set: each document read (`db.get`, and each document a query returned), each index
//   range (`withIndex` and its range expression; filters are ignored, which can only widen it),
//   and each table scanned whole. A range read counts as far as the read went, as a deployment
//   records it (crates/database/src/query/index_range.rs: each row returned extends the interval
//   read from the range's start to that row's index key; running out of rows, to the range's end).
//   A `.first()`, `.take(n)`, `.unique()` or page that stopped before the end read up to its last
//   row, inclusive, in the index's order (desc reads from the top); one that ran out, all of it;
//   a page, from its cursor on; a whole table is walked in creation order (`by_creation_time`,
//   as crates/database/src/query/mod.rs does). A stream opened and never read reads nothing;
// - its write set: each document it committed, with its value before and after (none when
//   inserted or deleted).
// A conflict is counted when a committed mutation W wrote a document that another committed
// mutation R had read (by ID, or its old or new value inside one of R's index ranges or scanned
// tables: a row moved out of a range, or deleted, was in it; crates/database/src/reads.rs
// `writes_overlap_docs` checks both), and R was requested before W ended and ended after it:
// R's snapshot would not have had W's write, and R would have been refused at commit and
// retried. Queries never conflict (a read-only snapshot), and a mutation's calls into
// components are part of it. The local wait for the lock stands in for a deployment's time in
// flight, which it does not measure: the count says which documents are contended and roughly
// how often, not exactly how often a deployment would retry.
//
// `GET /api/local_backend/conflicts` (admin key) returns the report; `DELETE` clears it.
import type { IncomingMessage, ServerResponse } from "node:http";
import { convexToJson, type Value } from "convex/values";
import { adminKeyFromHeader, BAD_ADMIN_KEY, isAdminKey } from "./adminKey.js";
import { ContextSlot } from "./context.js";

export const CONFLICTS_PATH = "/api/local_backend/conflicts";

/** Committed transactions are compared with later ones for this long (ms) after they end. */
const WINDOW_MS = 120_000;
/** Entries in the report's `top` list. */
const TOP = 20;

type JsonValue = ReturnType<typeof convexToJson>;
type RangeExpr = { type: "Eq" | "Gt" | "Gte" | "Lt" | "Lte"; fieldPath: string; value: JsonValue };
/** A document's index key: its value of each of the index's fields (undefined: absent). */
export type IndexKey = (JsonValue | undefined)[];
/** The part of a range a read went through, in the index's order (keys compared field by field). */
interface Bound {
  /** The index's fields, then `_creationTime` and `_id` (how rows are ordered in it). */
  fields: string[];
  order: "asc" | "desc";
  /** Only keys after this one (a page's cursor). */
  after?: IndexKey;
  /** Only keys up to this one, inclusive (the last row read). */
  upTo?: IndexKey;
}
interface IndexRange {
  /** "componentPath:table" */
  table: string;
  range: RangeExpr[];
  /** None: all of the range was read. */
  bound?: Bound;
}
/** A query stream being read (`1.0/queryStream`, then `1.0/queryStreamNext` until it is done or dropped). */
interface Stream {
  query: unknown;
  fields: string[];
  order: "asc" | "desc";
  /** `.take(n)` / `.first()` / `.unique()`'s n: the stream ends there without reading on. */
  limit: number | null;
  returned: number;
  /** The last row returned, as the syscall answered it (JSON; its key is worked out at the end). */
  last: Record<string, JsonValue> | undefined;
  ranOut: boolean;
}
/** The fields a component's index is ordered by ("table.index"), or null when not known. */
export type IndexFields = (componentPath: string, indexName: string) => string[] | null;

interface Transaction {
  name: string;
  /** When it was asked for, until its function (the first named) claims it. */
  asked: { at: number; used: boolean } | undefined;
  requestedAt: number;
  /** When it took the lock. */
  startedAt: number;
  endedAt: number;
  /** "componentPath:table:id" */
  docs: Set<string>;
  ranges: IndexRange[];
  /** "componentPath:table" scanned without an index range. */
  scans: Set<string>;
  /** "componentPath:queryId" -> a query stream, until the transaction ends. */
  streams: Map<string, Stream>;
  /** "componentPath:table:id" -> its value before and after (null: none, inserted or deleted). */
  writes: Map<string, { before: Record<string, Value> | null; after: Record<string, Value> | null }>;
}

export interface ConflictEntry {
  /** "table" for the app's tables, "componentPath/table" for a component's. */
  table: string;
  document: string;
  conflicts: number;
  /** Function -> conflicts: the mutation that would have been refused and retried. */
  retried: Record<string, number>;
  /** Function -> conflicts: the mutation whose write it was. */
  writers: Record<string, number>;
}

export interface ConflictReport {
  /** Committed mutations recorded. */
  mutations: number;
  /** Of those, how many were in flight together with an earlier one (could have conflicted). */
  concurrent: number;
  /** Mutations that would have been refused at least once (each pair counted once). */
  conflicts: number;
  /** Per table: conflicts. */
  byTable: Record<string, number>;
  /** Per function: committed mutations. */
  functions: Record<string, number>;
  /** Per table: distinct documents the committed mutations wrote (inserted, changed or deleted). */
  documentsWritten: Record<string, number>;
  /** The most conflicted documents first. */
  top: ConflictEntry[];
}

const requestClock = new ContextSlot<{ at: number; used: boolean }>("requested");

/**
 * Runs `fn` (which starts one transaction: a client's call, or an action's `ctx.runQuery` /
 * `ctx.runMutation`) noting when it was asked for, before it waits for the transaction lock.
 */
export function requested<T>(fn: () => T): T {
  return requestClock.run({ at: performance.now(), used: false }, fn);
}

const key = (componentPath: string, table: string) => `${componentPath}:${table}`;
const displayTable = (componentTable: string) => {
  const i = componentTable.lastIndexOf(":");
  const componentPath = componentTable.slice(0, i);
  const table = componentTable.slice(i + 1);
  return componentPath ? `${componentPath}/${table}` : table;
};

/** Convex's order of types, for the common ones (others compare as "maybe in range"). */
function rank(v: JsonValue): number | null {
  if (v === null) return 1;
  if (typeof v === "number") return 3;
  if (typeof v === "boolean") return 4;
  if (typeof v === "string") return 5;
  return null;
}

/** -1, 0, 1, or null when unknown (then the document counts as in range). */
function compare(a: JsonValue | undefined, b: JsonValue | undefined): number | null {
  // An absent field sorts before every value (convex/values' order: undefined first).
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? -1 : 1;
  const ra = rank(a);
  const rb = rank(b);
  if (ra === null || rb === null) return JSON.stringify(a) === JSON.stringify(b) ? 0 : null;
  if (ra !== rb) return ra < rb ? -1 : 1;
  return (a as number | string | boolean) < (b as number | string | boolean)
    ? -1
    : (a as number | string | boolean) > (b as number | string | boolean)
      ? 1
      : 0;
}

function fieldOf(doc: Record<string, Value>, fieldPath: string): JsonValue | undefined {
  let v: unknown = doc;
  for (const part of fieldPath.split(".")) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v === undefined ? undefined : convexToJson(v as Value);
}

export function inRange(doc: Record<string, Value>, range: RangeExpr[]): boolean {
  for (const expr of range) {
    const value = fieldOf(doc, expr.fieldPath);
    // An absent field: its order against the bound is not worked out; counted as in range.
    const c = value === undefined ? null : compare(value, expr.value);
    if (c === null) continue;
    const ok =
      expr.type === "Eq"
        ? c === 0
        : expr.type === "Gt"
          ? c > 0
          : expr.type === "Gte"
            ? c >= 0
            : expr.type === "Lt"
              ? c < 0
              : c <= 0;
    if (!ok) return false;
  }
  return true;
}

/** `doc`'s key against `key`, field by field: -1, 0, 1, or null when an order is not worked out. */
function compareKey(doc: Record<string, Value>, fields: string[], key: IndexKey): number | null {
  for (let i = 0; i < fields.length; i++) {
    const c = compare(fieldOf(doc, fields[i]), key[i]);
    if (c !== 0) return c;
  }
  return 0;
}

/** Whether `doc` is in the part of a range a read went through (when not worked out: yes). */
function inBound(doc: Record<string, Value>, bound: Bound | undefined): boolean {
  if (!bound) return true;
  const dir = bound.order === "asc" ? 1 : -1;
  if (bound.after) {
    const c = compareKey(doc, bound.fields, bound.after);
    if (c !== null && c * dir <= 0) return false;
  }
  if (bound.upTo) {
    const c = compareKey(doc, bound.fields, bound.upTo);
    if (c !== null && c * dir > 0) return false;
  }
  return true;
}

/** A row's index key, from the row in its JSON form (as a syscall answers it). */
function keyOfJson(doc: Record<string, JsonValue>, fields: string[]): IndexKey {
  return fields.map((fieldPath) => {
    let v: JsonValue | undefined = doc;
    for (const part of fieldPath.split(".")) {
      v = v !== null && typeof v === "object" && !Array.isArray(v) ? v[part] : undefined;
    }
    return v;
  });
}

/** The table of a serialized query's source ("messages.by_threadId" -> "messages"). */
export function sourceOf(query: unknown): { table: string; range: RangeExpr[] | null } | null {
  const source = (query as { source?: { type?: string; indexName?: string; tableName?: string; range?: RangeExpr[] } })
    ?.source;
  if (!source) return null;
  if (source.type === "FullTableScan" && source.tableName) return { table: source.tableName, range: null };
  if (source.indexName) return { table: source.indexName.split(".")[0], range: source.range ?? [] };
  return null;
}

/**
 * The index a serialized query walks in order ("table.index"; a whole-table scan walks
 * `by_creation_time`), its direction and its limit, or null for a search.
 */
function walkOf(query: unknown): { indexName: string; order: "asc" | "desc"; limit: number | null } | null {
  const q = query as {
    source?: { type?: string; indexName?: string; tableName?: string; order?: "asc" | "desc" | null };
    operators?: { limit?: number }[];
  };
  const source = q?.source;
  const indexName =
    source?.type === "FullTableScan" && source.tableName
      ? `${source.tableName}.by_creation_time`
      : source?.type === "IndexRange"
        ? source.indexName
        : undefined;
  if (!indexName) return null;
  const limit = q.operators?.find((o) => typeof o?.limit === "number")?.limit ?? null;
  return { indexName, order: source?.order === "desc" ? "desc" : "asc", limit };
}

/** A page cursor: after the row with this key, past the range's end ("end"), or none (null). */
export type Cursor = IndexKey | "end" | null;

/** What one `1.0/queryPage` read: its query, and its cursors (`continueCursor` from its answer). */
export interface PageRead {
  query: unknown;
  /** Where the page starts (null: the range's start). */
  cursor: Cursor;
  /** Where it must end, inclusive: a row, the range's end, or null (none: at its page size). */
  endCursor: Cursor;
  /** Where the next page starts: its last row read, or the range's end when it was the last. */
  continueCursor: Cursor;
}

/** One backend's recorder: its current transaction (one at a time) and recent committed ones. */
export class ConflictRecorder {
  /** `indexFields` says how an index orders its rows, so that a range read ends where the read did. */
  constructor(private readonly indexFields: IndexFields) {}

  private current: Transaction | null = null;
  private recent: Transaction[] = [];
  private mutations = 0;
  private concurrent = 0;
  private functions = new Map<string, number>();
  private written = new Map<string, Set<string>>();
  private entries = new Map<string, ConflictEntry>();
  private byTable = new Map<string, number>();
  private total = 0;

  /** The transaction lock was taken (a top-level query or mutation begins). */
  begin(): void {
    const now = performance.now();
    this.current = {
      name: "",
      asked: requestClock.getStore(),
      requestedAt: now,
      startedAt: now,
      endedAt: now,
      docs: new Set(),
      ranges: [],
      scans: new Set(),
      streams: new Map(),
      writes: new Map(),
    };
  }

  /**
   * The function running (the first named is the transaction's). It claims the request time:
   * a scheduled function's run starts with an unnamed transaction of convex-test's own (its
   * job's state), which must not.
   */
  named(name: string): void {
    const tx = this.current;
    if (!tx || tx.name) return;
    tx.name = name;
    if (tx.asked && !tx.asked.used) {
      tx.requestedAt = Math.min(tx.asked.at, tx.startedAt);
      tx.asked.used = true;
    }
  }

  readDocument(componentPath: string, table: string, id: string): void {
    this.current?.docs.add(`${key(componentPath, table)}:${id}`);
  }

  /** All of a query's range (or table) was read. */
  readQuery(componentPath: string, query: unknown): void {
    const source = sourceOf(query);
    if (!source || !this.current) return;
    const table = key(componentPath, source.table);
    if (source.range === null) this.current.scans.add(table);
    else this.current.ranges.push({ table, range: source.range });
  }

  /** A query's range read after `after` (exclusive) up to `upTo` (inclusive); null: from its start, to its end. */
  private readPart(
    componentPath: string,
    query: unknown,
    bound: { fields: string[]; order: "asc" | "desc"; after: IndexKey | null; upTo: IndexKey | null },
  ): void {
    const source = sourceOf(query);
    if (!source || !this.current) return;
    const { fields, order, after, upTo } = bound;
    if (!after && !upTo) return this.readQuery(componentPath, query);
    this.current.ranges.push({
      table: key(componentPath, source.table),
      range: source.range ?? [],
      bound: { fields, order, ...(after ? { after } : {}), ...(upTo ? { upTo } : {}) },
    });
  }

  /** `1.0/queryStream` opened query `queryId`: what it reads is known as it is read (`streamNext`). */
  openStream(componentPath: string, queryId: number, query: unknown): void {
    const tx = this.current;
    if (!tx) return;
    const walk = walkOf(query);
    const fields = walk && this.indexFields(componentPath, walk.indexName);
    // A search, or an index whose order is not known: all of it counts as read.
    if (!walk || !fields) return this.readQuery(componentPath, query);
    tx.streams.set(`${componentPath}:${queryId}`, {
      query,
      fields,
      order: walk.order,
      limit: walk.limit,
      returned: 0,
      last: undefined,
      ranOut: false,
    });
  }

  /**
   * `1.0/queryPage` answered a page (`.paginate()`): it read from its cursor to its end cursor, or
   * else to the row its continue cursor names (its last row read), or else, the last page, to the
   * range's end (async_syscall.rs `read_page_from_query`, an IndexRange between the cursors).
   */
  readPage(componentPath: string, read: PageRead): void {
    const walk = walkOf(read.query);
    const fields = walk && this.indexFields(componentPath, walk.indexName);
    if (!walk || !fields) return this.readQuery(componentPath, read.query);
    const { cursor, endCursor, continueCursor } = read;
    if (cursor === "end") return; // past the end: nothing to read
    const upTo = endCursor ?? continueCursor;
    this.readPart(componentPath, read.query, {
      fields,
      order: walk.order,
      after: cursor,
      upTo: upTo === "end" ? null : upTo,
    });
  }

  /** `1.0/queryStreamNext` of query `queryId` returned `value` (its JSON), or `done`. */
  streamNext(componentPath: string, queryId: number, value: Record<string, JsonValue> | null, done: boolean): void {
    const stream = this.current?.streams.get(`${componentPath}:${queryId}`);
    if (!stream) return;
    if (done) {
      // Done at its limit: the limit stopped it at its last row, with no read past it. Done short
      // of it (or with none): the range ran out of rows.
      stream.ranOut = stream.limit === null || stream.returned < stream.limit;
    } else if (value) {
      stream.returned++;
      stream.last = value;
    }
  }

  wrote(
    componentPath: string,
    table: string,
    id: string,
    before: Record<string, Value> | null,
    after: Record<string, Value> | null,
  ): void {
    this.current?.writes.set(`${key(componentPath, table)}:${id}`, { before, after });
  }

  /** The transaction ended: committed (a mutation) or not (a query, or a mutation that threw). */
  end(committed: boolean): void {
    const tx = this.current;
    // Unnamed: convex-test's own bookkeeping (a scheduled job's state), not a function.
    if (tx && committed && tx.name) this.closeStreams(tx);
    this.current = null;
    if (!tx || !committed || !tx.name) return;
    tx.endedAt = performance.now();
    this.mutations++;
    this.functions.set(tx.name, (this.functions.get(tx.name) ?? 0) + 1);
    for (const doc of tx.writes.keys()) {
      const table = displayTable(doc.slice(0, doc.lastIndexOf(":")));
      let ids = this.written.get(table);
      if (!ids) this.written.set(table, (ids = new Set()));
      ids.add(doc);
    }
    // Every transaction in `recent` ended before this one (one runs at a time), in order of
    // their ends: the first write to what it read refuses it; it is counted once. Only those that
    // ended after it was requested can have (found by bisection: at 100 streams `recent` holds
    // tens of thousands, and walking all of them on every commit cost more than the commits).
    const horizon = tx.endedAt - WINDOW_MS;
    const expired = this.firstEndedAfter(horizon, true);
    if (expired > 0) this.recent.splice(0, expired);
    const from = this.firstEndedAfter(tx.requestedAt, false);
    if (from < this.recent.length) this.concurrent++;
    for (let i = from; i < this.recent.length; i++) if (this.check(tx, this.recent[i])) break;
    this.recent.push(tx);
  }

  /**
   * Each query stream's read, into the read set of `tx` (still the current transaction): all of
   * its range when it ran out of rows; up to its last row when it stopped before (its limit, or
   * dropped); nothing when never read.
   */
  private closeStreams(tx: Transaction): void {
    for (const [id, stream] of tx.streams) {
      const componentPath = id.slice(0, id.lastIndexOf(":"));
      if (stream.ranOut) this.readQuery(componentPath, stream.query);
      else if (stream.last)
        this.readPart(componentPath, stream.query, {
          fields: stream.fields,
          order: stream.order,
          after: null,
          upTo: keyOfJson(stream.last, stream.fields),
        });
    }
    tx.streams.clear();
  }

  /** Index of the first of `recent` that ended after `t` (at or after, with `orAt`). */
  private firstEndedAfter(t: number, orAt: boolean): number {
    let lo = 0;
    let hi = this.recent.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const ended = this.recent[mid].endedAt;
      if (ended > t || (orAt && ended === t)) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** `reader` (ended last) is refused if `writer` ended while it was in flight, writing what it read. */
  private check(reader: Transaction, writer: Transaction): boolean {
    if (writer.writes.size === 0) return false;
    if (!(reader.requestedAt < writer.endedAt && writer.endedAt <= reader.endedAt)) return false;
    for (const [doc, { before, after }] of writer.writes) {
      const table = doc.slice(0, doc.lastIndexOf(":"));
      // Both index keys: a row moved out of a range (or deleted) was in it (reads.rs writes_overlap_docs).
      const read = (value: Record<string, Value> | null) =>
        value !== null &&
        reader.ranges.some((r) => r.table === table && inRange(value, r.range) && inBound(value, r.bound));
      const hit = reader.docs.has(doc) || reader.scans.has(table) || read(after) || read(before);
      if (!hit) continue;
      this.count(table, doc.slice(table.length + 1), reader.name, writer.name);
      return true;
    }
    return false;
  }

  private count(table: string, document: string, retried: string, writer: string): void {
    this.total++;
    const shown = displayTable(table);
    this.byTable.set(shown, (this.byTable.get(shown) ?? 0) + 1);
    const k = `${shown}:${document}`;
    let entry = this.entries.get(k);
    if (!entry) {
      entry = { table: shown, document, conflicts: 0, retried: {}, writers: {} };
      this.entries.set(k, entry);
    }
    entry.conflicts++;
    entry.retried[retried || "?"] = (entry.retried[retried || "?"] ?? 0) + 1;
    entry.writers[writer || "?"] = (entry.writers[writer || "?"] ?? 0) + 1;
  }

  report(): ConflictReport {
    return {
      mutations: this.mutations,
      concurrent: this.concurrent,
      conflicts: this.total,
      byTable: Object.fromEntries([...this.byTable].sort((a, b) => b[1] - a[1])),
      functions: Object.fromEntries([...this.functions].sort((a, b) => b[1] - a[1])),
      documentsWritten: Object.fromEntries([...this.written].map(([table, ids]) => [table, ids.size])),
      top: [...this.entries.values()].sort((a, b) => b.conflicts - a.conflicts).slice(0, TOP),
    };
  }

  clear(): void {
    this.recent = [];
    this.mutations = 0;
    this.concurrent = 0;
    this.functions.clear();
    this.written.clear();
    this.entries.clear();
    this.byTable.clear();
    this.total = 0;
  }
}

/**
 * `GET CONFLICTS_PATH`: the report; `DELETE`: starts a new one. Both need the admin key
 * (`Authorization: Convex <key>`). Returns false for any other path.
 */
export function handleConflictReport(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  recorder: ConflictRecorder,
  adminKey: string,
): boolean {
  if (pathname !== CONFLICTS_PATH) return false;
  req.resume();
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  if (!isAdminKey(adminKeyFromHeader(req.headers.authorization), adminKey)) {
    send(401, { code: "BadAdminKey", message: BAD_ADMIN_KEY });
  } else if (req.method === "GET") {
    send(200, recorder.report());
  } else if (req.method === "DELETE") {
    recorder.clear();
    send(200, recorder.report());
  } else {
    send(405, { code: "MethodNotAllowed", message: `${req.method} ${CONFLICTS_PATH}: use GET or DELETE` });
  }
  return true;
}
