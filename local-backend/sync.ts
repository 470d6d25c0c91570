// Convex's sync protocol over WebSocket (/api/<version>/sync), as the unmodified
// ConvexClient speaks it (node_modules/convex/src/browser/sync/protocol.ts).
//
// Per connection we keep the client's query set and the last StateVersion sent
// (querySet, identity, ts). Every Transition starts at the previous endVersion. Query
// results are computed in one transaction per pass (Engine.snapshotQueries), so a
// Transition is one consistent snapshot; only results that changed are sent. After a
// commit, only subscriptions that read a written table are re-run.
//
// Mutations from one connection run in order. A MutationResponse is always followed by a
// Transition whose ts is >= the mutation's commit ts: the client resolves the mutation's
// promise only then (so its optimistic update and the server result never flicker).
import { clearInterval, setInterval } from "node:timers";
import { WebSocket, type RawData } from "ws";
import { convexToJson, jsonToConvex, type JSONValue, type Value } from "convex/values";
import { AuthVerifier, identityFromClaims } from "./auth.js";
import { errorDataField, type CommitEvent, type Engine, type Identity, type QueryRunResult } from "./engine.js";
import { InvalidMessage, parseClientMessage, type ClientMessage } from "./syncMessages.js";
import { inRange } from "./conflicts.js";
import type { PreciseReads } from "./runtime.js";

const PING_INTERVAL_MS = 15_000;
/** WebSocket close code 1013, "Try Again Later". */
const TRY_AGAIN_LATER = 1013;

export interface ConnectionStats {
  id: number;
  /** Bytes of all messages sent on this WebSocket (JSON text). */
  bytesSent: number;
  messagesSent: number;
  transitions: number;
  /** Query function runs for this connection's subscriptions. */
  queryRuns: number;
  /** Documents read by those runs (db.get hits, query results, page items). */
  documentsRead: number;
  open: boolean;
}

interface Subscription {
  queryId: number;
  udfPath: string;
  args: Record<string, Value>;
  /** Why `args` could not be decoded: the query fails with this instead of running. */
  argsError?: string;
  dirty: boolean;
  /** Serialized last modification sent (to send only changes). */
  lastSent?: string;
  /** "componentPath:table" read by the last run; null = not run yet. */
  tables: Set<string> | null;
  /** The documents, ranges and whole tables the last run read (absent: invalidated by table). */
  precise?: PreciseReads;
}

interface StateVersion {
  querySet: number;
  identity: number;
  ts: bigint;
}

export function encodeTs(ts: bigint): string {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(ts);
  return b.toString("base64");
}

/**
 * A message's `args: [obj]` as Convex values. Throws on anything else (several arguments, a
 * non-object, a `$`-prefixed field name): the caller fails that one function call with it.
 */
function decodeArgs(args: JSONValue[]): Record<string, Value> {
  if (args.length > 1) throw new Error(`expected one argument object, got ${args.length} arguments`);
  const value = jsonToConvex(args[0] ?? {});
  if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof ArrayBuffer) {
    throw new Error("the argument is not an object");
  }
  return value as Record<string, Value>;
}

function encodeVersion(v: StateVersion) {
  return { querySet: v.querySet, identity: v.identity, ts: encodeTs(v.ts) };
}

let nextConnectionId = 1;

export class SyncConnection {
  readonly stats: ConnectionStats;
  private subs = new Map<number, Subscription>();
  private removed: number[] = [];
  private querySetVersion = 0;
  private identityVersion = 0;
  private identity: Identity | null = null;
  private sent: StateVersion;
  private forceTransition = false;
  private refreshing = false;
  private again = false;
  private closed = false;
  /** Closing for load (closeForLoad): the mutations already running finish first. */
  private closing = false;
  private mutations: Promise<void> = Promise.resolve();
  private auths: Promise<void> = Promise.resolve();
  private ping: NodeJS.Timeout;
  private unsubscribe: () => void;

  constructor(
    private ws: WebSocket,
    private engine: Engine,
    private auth: AuthVerifier,
    private log: (level: "log" | "error", line: string) => void,
  ) {
    this.stats = {
      id: nextConnectionId++,
      bytesSent: 0,
      messagesSent: 0,
      transitions: 0,
      queryRuns: 0,
      documentsRead: 0,
      open: true,
    };
    this.sent = { querySet: 0, identity: 0, ts: 0n };
    this.unsubscribe = engine.onCommit((e) => this.onCommit(e));
    // The client reconnects after 60 s without any message.
    this.ping = setInterval(() => this.send({ type: "Ping" }), PING_INTERVAL_MS);
    this.ping.unref?.();
    ws.on("message", (data: RawData, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on("close", () => this.close());
    ws.on("error", () => this.close());
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.stats.open = false;
    clearInterval(this.ping);
    this.unsubscribe();
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }

  /**
   * A pass turned away at the query limit, as a deployment's sync worker fails when a subscription's
   * run is refused for load: the socket closes with the error's code as its reason and no
   * FatalError (a rate limit is not the client's fault: crates/local_backend/src/subs/mod.rs), so
   * the client reconnects after its backoff for "TooManyConcurrentRequests" and subscribes again.
   * Answering QueryFailed instead left the query failed for good: nothing it read would re-run it.
   */
  private closeForLoad() {
    if (this.closed || this.closing) return;
    // Messages from now on are not acted on (the client sends them again once reconnected), and
    // mutations already running answer first: a response lost with the socket would make the
    // client send its mutation again, and it would run twice.
    this.closing = true;
    void this.mutations.finally(() => {
      if (this.closed) return;
      this.closed = true;
      this.stats.open = false;
      clearInterval(this.ping);
      this.unsubscribe();
      if (this.ws.readyState === WebSocket.OPEN) this.ws.close(TRY_AGAIN_LATER, "TooManyConcurrentRequests");
      else this.ws.terminate();
    });
  }

  private send(msg: Record<string, unknown>) {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return;
    const text = JSON.stringify(msg);
    this.stats.bytesSent += Buffer.byteLength(text);
    this.stats.messagesSent += 1;
    this.ws.send(text);
  }

  private fatal(error: string) {
    this.log("error", `sync: closing connection ${this.stats.id}: ${error}`);
    this.send({ type: "FatalError", error });
    this.close();
  }

  /**
   * One frame. Nothing in it is trusted: a frame that is not a well-formed ClientMessage ends
   * this connection with a FatalError (as a deployment does), and an exception while acting on
   * one ends it too, instead of escaping to the ws event emitter and exiting the process.
   */
  private onMessage(data: RawData, isBinary: boolean) {
    if (this.closed || this.closing) return;
    let msg: ClientMessage;
    try {
      if (isBinary) throw new InvalidMessage("binary frames are not part of the protocol");
      msg = parseClientMessage(data.toString());
    } catch (e) {
      return this.fatal(`Received Invalid JSON on websocket: ${e instanceof Error ? e.message : String(e)}`);
    }
    try {
      this.dispatch(msg);
    } catch (e) {
      this.fatal(`Internal error handling ${msg.type}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private dispatch(msg: ClientMessage) {
    switch (msg.type) {
      case "Connect":
      case "Event":
        return;
      case "ModifyQuerySet":
        return this.modifyQuerySet(msg);
      case "Authenticate":
        this.auths = this.auths
          .then(() => this.authenticate(msg))
          .catch((e: unknown) => this.failed("Authenticate", e));
        return;
      case "Mutation":
        this.mutations = this.mutations
          .then(() => this.run("mutation", msg))
          .catch((e: unknown) => this.failed("Mutation", e));
        return;
      case "Action":
        this.run("action", msg).catch((e: unknown) => this.failed("Action", e));
        return;
    }
  }

  /** An unexpected exception while handling a message: this connection ends, the backend does not. */
  private failed(what: string, e: unknown) {
    this.fatal(`Internal error handling ${what}: ${e instanceof Error ? e.message : String(e)}`);
  }

  private modifyQuerySet(msg: Extract<ClientMessage, { type: "ModifyQuerySet" }>) {
    if (msg.baseVersion !== this.querySetVersion) {
      return this.fatal(`ModifyQuerySet baseVersion ${msg.baseVersion} != current ${this.querySetVersion}`);
    }
    for (const m of msg.modifications) {
      if (m.type === "Add") {
        let args: Record<string, Value> = {};
        let argsError: string | undefined;
        try {
          args = decodeArgs(m.args);
        } catch (e) {
          argsError = `Invalid arguments: ${e instanceof Error ? e.message : String(e)}`;
        }
        if (this.subs.has(m.queryId)) return this.fatal(`ModifyQuerySet adds query ${m.queryId}, which exists`);
        this.subs.set(m.queryId, {
          queryId: m.queryId,
          udfPath: m.udfPath,
          args,
          argsError,
          dirty: true,
          tables: null,
        });
      } else if (this.subs.delete(m.queryId)) {
        this.removed.push(m.queryId);
      }
    }
    this.querySetVersion = msg.newVersion;
    this.refresh();
  }

  private async authenticate(msg: Extract<ClientMessage, { type: "Authenticate" }>) {
    let identity: Identity | null = null;
    try {
      if (msg.tokenType === "User") identity = await this.auth.identify(String(msg.value));
      else if (msg.tokenType === "Admin") {
        // Only the holder of the admin key may act as (impersonate) any identity.
        this.auth.checkAdminKey(msg.value);
        if (msg.impersonating !== undefined) {
          if (typeof msg.impersonating !== "object" || msg.impersonating === null || Array.isArray(msg.impersonating)) {
            throw new Error("impersonating is not an object of claims");
          }
          identity = identityFromClaims(msg.impersonating);
        }
      }
    } catch (e) {
      this.send({
        type: "AuthError",
        error: e instanceof Error ? e.message : String(e),
        baseVersion: msg.baseVersion,
        authUpdateAttempted: true,
      });
      return;
    }
    this.identity = identity;
    this.identityVersion = msg.baseVersion + 1;
    for (const s of this.subs.values()) s.dirty = true;
    this.refresh();
  }

  /** A Mutation or Action message: run it and answer with its MutationResponse / ActionResponse. */
  private async run(type: "mutation" | "action", msg: Extract<ClientMessage, { type: "Mutation" | "Action" }>) {
    const head = { type: type === "mutation" ? "MutationResponse" : "ActionResponse", requestId: msg.requestId };
    let args: Record<string, Value>;
    try {
      args = decodeArgs(msg.args);
    } catch (e) {
      // Answer instead of throwing: a rejected `this.mutations` would stall every later mutation.
      this.send({
        ...head,
        success: false,
        result: `Invalid arguments: ${e instanceof Error ? e.message : String(e)}`,
        logLines: [],
      });
      return;
    }
    const denied = this.engine.checkPublic(msg.udfPath, type);
    if (denied) {
      this.send({ ...head, success: false, result: denied, logLines: [] });
      return;
    }
    const r = await this.engine.call(type, msg.udfPath, args, this.identity);
    if (!r.ok) {
      this.send({ ...head, success: false, result: r.message, logLines: r.logLines, ...errorDataField(r.errorData) });
      return;
    }
    if (type === "action") {
      this.send({ ...head, success: true, result: convexToJson(r.value), logLines: r.logLines });
      return;
    }
    this.send({ ...head, success: true, result: convexToJson(r.value), ts: encodeTs(r.ts), logLines: r.logLines });
    this.forceTransition = true;
    this.refresh();
  }

  private onCommit(e: CommitEvent) {
    let any = false;
    for (const s of this.subs.values()) {
      if (s.dirty || !s.tables) continue;
      for (const t of s.tables) {
        if (e.tables.has(t) && affects(e, t, s.precise)) {
          s.dirty = true;
          any = true;
          break;
        }
      }
    }
    if (any) this.refresh();
  }

  /** Single-flight: at most one pass at a time; requests during a pass cause one more. */
  private refresh() {
    if (this.closed || this.closing) return;
    if (this.refreshing) {
      this.again = true;
      return;
    }
    this.refreshing = true;
    void (async () => {
      try {
        do {
          this.again = false;
          await this.pass();
        } while (this.again && !this.closed && !this.closing);
      } catch (e) {
        this.log("error", `sync: update failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      } finally {
        this.refreshing = false;
      }
    })();
  }

  private async pass() {
    // A deployment handles a connection's messages in order: queries added after an Authenticate
    // run as its identity, not as whoever was signed in while the token was being verified. An
    // Authenticate may arrive while this pass waits (a client sends an empty ModifyQuerySet,
    // then Authenticate and its queries, in one burst), so wait until no newer one is pending,
    // and give up the snapshot if one arrives before it is taken.
    let settledAuths: Promise<void>;
    do {
      settledAuths = this.auths;
      await settledAuths;
    } while (settledAuths !== this.auths);
    let batch: Subscription[] = [];
    let querySet = this.querySetVersion;
    let identity = this.identityVersion;
    let removed: number[] = [];
    let force = false;
    // Everything that defines this Transition is captured together, at one moment.
    const capture = () => {
      batch = [...this.subs.values()].filter((s) => s.dirty);
      for (const s of batch) s.dirty = false;
      querySet = this.querySetVersion;
      identity = this.identityVersion;
      removed = this.removed;
      this.removed = [];
      force = this.forceTransition;
      this.forceTransition = false;
    };
    let ts: bigint;
    const modifications: Record<string, unknown>[] = [];
    if ([...this.subs.values()].some((s) => s.dirty)) {
      const identityAtStart = this.identityVersion;
      const who = this.identity;
      let aborted = false;
      const snap = await this.engine.snapshotQueries(who, () => {
        if (this.identityVersion !== identityAtStart || this.auths !== settledAuths) {
          aborted = true;
          return [];
        }
        capture();
        return batch.filter((s) => !s.argsError).map((s) => ({ udfPath: s.udfPath, args: s.args }));
      });
      if (aborted) {
        this.again = true;
        return;
      }
      if (snap.refused !== undefined) return this.closeForLoad();
      ts = snap.ts;
      // Arguments that did not decode fail their query without running it, as on a deployment.
      const ran = snap.results.values();
      const results = batch.map((s): QueryRunResult =>
        s.argsError
          ? { ok: false, message: s.argsError, logLines: [], reads: 0, tables: new Set() }
          : (ran.next().value as QueryRunResult),
      );
      results.forEach((r, i) => {
        const s = batch[i];
        if (!s.argsError) this.stats.queryRuns += 1;
        this.stats.documentsRead += r.reads;
        if (this.subs.get(s.queryId) !== s) return; // removed meanwhile
        s.tables = r.tables;
        s.precise = r.precise;
        const mod = r.ok
          ? {
              type: "QueryUpdated",
              queryId: s.queryId,
              value: convexToJson(r.value),
              logLines: r.logLines,
              journal: null,
            }
          : {
              type: "QueryFailed",
              queryId: s.queryId,
              errorMessage: r.message,
              errorData: r.errorData !== undefined ? convexToJson(r.errorData) : null,
              logLines: r.logLines,
              journal: null,
            };
        const key = JSON.stringify(r.ok ? ["ok", mod.value] : ["err", r.message, mod.errorData]);
        if (key === s.lastSent) return;
        s.lastSent = key;
        modifications.push(mod);
      });
    } else {
      // Nothing dirty: every result already sent is current as of the latest commit.
      capture();
      ts = this.engine.ts;
    }
    for (const queryId of removed) modifications.push({ type: "QueryRemoved", queryId });
    if (ts < this.sent.ts) ts = this.sent.ts;
    const changedVersion = querySet !== this.sent.querySet || identity !== this.sent.identity;
    if (modifications.length === 0 && !changedVersion && !force) return;
    const end: StateVersion = { querySet, identity, ts };
    this.send({
      type: "Transition",
      startVersion: encodeVersion(this.sent),
      endVersion: encodeVersion(end),
      modifications,
    });
    this.stats.transitions += 1;
    this.sent = end;
  }
}

/**
 * Whether commit `e`'s writes to `table` can change the result of a query that read `reads`: a
 * document it got by ID was written, it scanned the table, or a written document's old or new
 * value lies in a range it read (as a deployment invalidates a subscription by its read set, not
 * by table; at 100 streaming replies every flush re-ran every follower's query). Without the
 * details, any write to a table it read does.
 */
function affects(e: CommitEvent, table: string, reads: PreciseReads | undefined): boolean {
  const writes = e.writes?.get(table);
  if (!writes || !reads || reads.scans.has(table)) return true;
  const ranges = reads.ranges.filter((r) => r.table === table);
  // Read, but neither by ID nor by a range we know: by table.
  if (ranges.length === 0 && ![...reads.docs].some((d) => d.startsWith(`${table}:`))) return true;
  return writes.some(
    (w) =>
      reads.docs.has(`${table}:${w.id}`) ||
      ranges.some(
        (r) =>
          (w.before !== null && inRange(w.before, r.range as never)) ||
          (w.after !== null && inRange(w.after, r.range as never)),
      ),
  );
}
