// A local backend for the benchmark: a temporary copy of the standalone app (app/) and the chat
// component (convex/) plus one bench-only module in each (the streaming component's stock
// `getStreamBody` query, the baseline observers subscribe to, and a delta counter, in the chat
// component; the app's public doors to them, as clients reach only an app's functions), so the
// production app never grows an unauthenticated query.
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { startLocalBackend, type LocalBackend, type LocalBackendOptions } from "../../local-backend/index.ts";
import { api, FINAL_STATUSES, type MessageStatus } from "../../src/api.ts";
import type { ChatClient } from "../../src/convex-pool.ts";
import { StreamFollower } from "../../src/reply/follower.ts";
import { waitUntil } from "./util.ts";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const OPERATOR_SECRET = "bench-operator-secret-0123456789-abcdef";

/** The stock pattern from the component's README, plus a delta counter; bench-only. */
const BASELINE_MODULE = `// Bench-only (copied in by bench/lib/backend.ts): the component's stock read path.
import { PersistentTextStreaming, StreamIdValidator, type StreamId } from "@convex-dev/persistent-text-streaming";
import { v } from "convex/values";
import { components } from "./_generated/api";
import { mutation, query } from "./_generated/server";
import { appendDelta } from "./lib/replies";

const persistentTextStreaming = new PersistentTextStreaming(components.persistentTextStreaming);

export const getStreamBody = query({
  args: { streamId: StreamIdValidator },
  handler: async (ctx, args) => {
    return await persistentTextStreaming.getStreamBody(ctx, args.streamId as StreamId);
  },
});

/** The thread's earlier conversation: finished pairs of a short prompt and a reply, \`chars\` in all. */
export const seedHistory = mutation({
  args: { threadId: v.id("threads"), chars: v.number() },
  handler: async (ctx, args) => {
    const now = Date.now();
    const base = { streamId: null, error: null, model: null, createdAt: now, updatedAt: now };
    for (let written = 0, i = 0; written < args.chars; i++) {
      const prompt = \`Earlier question number \${i}: how does this part work?\`;
      const reply = \`Earlier answer \${i}. \`.padEnd(2000, "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ");
      await ctx.db.insert("messages", { ...base, threadId: args.threadId, role: "user", status: "done", text: prompt });
      await ctx.db.insert("messages", { ...base, threadId: args.threadId, role: "assistant", status: "done", text: reply, model: "bench" });
      written += prompt.length + reply.length;
    }
  },
});

/** The stock transcript: one query over the whole thread, every message with its full text. */
export const listAll = query({
  args: { threadId: v.id("threads") },
  handler: async (ctx, args) => {
    const messages = await ctx.db
      .query("messages")
      .withIndex("by_threadId", (q) => q.eq("threadId", args.threadId))
      .order("desc")
      .take(500);
    return messages.reverse().map((m) => ({
      _id: m._id, role: m.role, status: m.status, text: m.text, streamId: m.streamId,
      error: m.error, model: m.model, createdAt: m.createdAt, updatedAt: m.updatedAt,
    }));
  },
});

/** A sent reply made streaming with \`pieces\` flushes persisted as its driver writes them (row 10's late joiner). */
export const seedStreaming = mutation({
  args: { streamId: v.string(), pieces: v.array(v.string()) },
  handler: async (ctx, args) => {
    const message = await ctx.db
      .query("messages")
      .withIndex("by_streamId", (q) => q.eq("streamId", args.streamId))
      .unique();
    await ctx.db.patch("messages", message!._id, { status: "streaming" });
    await ctx.runMutation(components.persistentTextStreaming.lib.setStreamStatus, {
      streamId: args.streamId,
      status: "streaming",
    });
    for (const piece of args.pieces) await appendDelta(ctx, args.streamId, piece);
  },
});

/** Persisted flushes of a stream: our deltas rows, and their sizes. */
export const deltaStats = query({
  args: { streamId: v.string() },
  handler: async (ctx, args) => {
    const rows = await ctx.db
      .query("deltas")
      .withIndex("by_stream_seq", (q) => q.eq("streamId", args.streamId))
      .collect();
    return {
      count: rows.length,
      sizes: rows.map((r) => r.text.length),
      times: rows.map((r) => r._creationTime),
      text: rows.map((r) => r.text).join(""),
    };
  },
});
`;

/** The app's side of BASELINE_MODULE: each function forwards to the chat component's. */
const BASELINE_APP_MODULE = `// Bench-only (copied in by bench/lib/backend.ts): the app's doors to the component's bench module.
import { v } from "convex/values";
import type { FunctionReference } from "convex/server";
import { components } from "./_generated/api";
import { mutation, query } from "./_generated/server";

// Not in the generated types: the module exists only in the bench's copy of the component.
type Ref = FunctionReference<"query" | "mutation", "internal">;
const bench = (components.aiChat as unknown as { benchBaseline: Record<string, Ref> }).benchBaseline;
const q = (name: string) => bench[name] as FunctionReference<"query", "internal">;
const m = (name: string) => bench[name] as FunctionReference<"mutation", "internal">;

export const getStreamBody = query({
  args: { streamId: v.string() },
  handler: async (ctx, args) => await ctx.runQuery(q("getStreamBody"), args),
});
export const seedHistory = mutation({
  args: { threadId: v.string(), chars: v.number() },
  handler: async (ctx, args) => await ctx.runMutation(m("seedHistory"), args),
});
export const listAll = query({
  args: { threadId: v.string() },
  handler: async (ctx, args) => await ctx.runQuery(q("listAll"), args),
});
export const deltaStats = query({
  args: { streamId: v.string() },
  handler: async (ctx, args) => await ctx.runQuery(q("deltaStats"), args),
});
export const seedStreaming = mutation({
  args: { streamId: v.string(), pieces: v.array(v.string()) },
  handler: async (ctx, args) => await ctx.runMutation(m("seedStreaming"), args),
});
`;

/** The bench-only functions of BASELINE_MODULE; the app's own functions are `api` (src/api.ts). */
export const refs = {
  getStreamBody: makeFunctionReference<"query", { streamId: string }, { text: string; status: MessageStatus }>(
    "benchBaseline:getStreamBody",
  ),
  seedHistory: makeFunctionReference<"mutation", { threadId: string; chars: number }, null>(
    "benchBaseline:seedHistory",
  ),
  listAll: makeFunctionReference<"query", { threadId: string }, { _id: string; status: MessageStatus; text: string }[]>(
    "benchBaseline:listAll",
  ),
  deltaStats: makeFunctionReference<
    "query",
    { streamId: string },
    { count: number; sizes: number[]; times: number[]; text: string }
  >("benchBaseline:deltaStats"),
  seedStreaming: makeFunctionReference<"mutation", { streamId: string; pieces: string[] }, null>(
    "benchBaseline:seedStreaming",
  ),
};

/** Limits a benchmark would trip over (one visitor sends many messages). */
const BENCH_ENV: Record<string, string> = {
  OPERATOR_SECRET,
  RATE_LIMIT_MESSAGES_PER_MINUTE: "100000",
  RATE_LIMIT_GLOBAL_PER_MINUTE: "100000",
  RATE_LIMIT_STREAM_REQUESTS_PER_MINUTE: "100000",
  MAX_THREADS_PER_VISITOR: "100000",
  RATE_LIMIT_NEW_VISITORS_PER_MINUTE: "100000",
  RATE_LIMIT_NEW_VISITOR_SENDS_PER_MINUTE: "100000",
  NEW_VISITORS_PER_ADDRESS_PER_MINUTE: "100000",
  RATE_LIMIT_ADDRESS_MESSAGES_PER_MINUTE: "100000",
  // Rows that mint through `threads:create` (this class's `conversation()`); row 9, the widget's
  // own path, turns it back on.
  PROOF_OF_WORK: "off",
  DAILY_TOKEN_BUDGET: "1000000000",
  VISITOR_DAILY_TOKENS: "1000000000",
  MAX_OUTPUT_TOKENS: "100000",
};

export type Conversation = { threadId: string; token: string; observerToken: string };
export type Sent = Conversation & { streamId: string; messageId: string };
export type Usage = { bytesSent: number; transitions: number; queryRuns: number; documentsRead: number };
export type Receipt = { end: number; at: number };

export class BenchBackend {
  readonly http: ConvexHttpClient;
  private constructor(
    readonly backend: LocalBackend,
    readonly dir: string,
  ) {
    this.http = new ConvexHttpClient(backend.convexUrl);
  }

  /** `concurrency`: the deployment's limits (default: an S16 deployment's, local-backend/concurrency.ts). */
  static async start(
    env: Record<string, string> = {},
    concurrency?: LocalBackendOptions["concurrency"],
  ): Promise<BenchBackend> {
    const dir = mkdtempSync(join(tmpdir(), "ai-chat-bench-"));
    // Modules in the copy resolve packages from the project's node_modules.
    symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
    cpSync(join(ROOT, "convex"), join(dir, "convex"), { recursive: true });
    cpSync(join(ROOT, "app"), join(dir, "app"), { recursive: true });
    writeFileSync(join(dir, "convex", "benchBaseline.ts"), BASELINE_MODULE);
    writeFileSync(join(dir, "app", "benchBaseline.ts"), BASELINE_APP_MODULE);
    const backend = await startLocalBackend({
      port: 0,
      convexDir: join(dir, "app"),
      dataDir: join(dir, "data"),
      reset: true,
      env: { ...BENCH_ENV, ...env },
      quiet: true,
      ...(concurrency ? { concurrency } : {}),
    });
    return new BenchBackend(backend, dir);
  }

  get convexUrl() {
    return this.backend.convexUrl;
  }
  get siteUrl() {
    return this.backend.siteUrl;
  }

  /** A thread with a visitor token and an observer token. */
  async conversation(): Promise<Conversation> {
    const { threadId, token } = await this.http.mutation(api.threads.create, { origin: "http://bench.local" });
    const { observerToken } = await this.http.mutation(api.threads.share, { threadId, token });
    return { threadId, token, observerToken };
  }

  async send(conv: Conversation, prompt: string): Promise<Sent> {
    const sent = await this.http.mutation(api.messages.send, { threadId: conv.threadId, token: conv.token, prompt });
    // No operator takes a benchmark's threads over, so every send starts a reply.
    if (sent.streamId === undefined || sent.assistantMessageId === undefined) throw new Error("the thread is held");
    return { ...conv, streamId: sent.streamId, messageId: sent.assistantMessageId };
  }

  /** A new ConvexClient on its own WebSocket, and the id of that socket in `stats()`. */
  async client(): Promise<{ client: ConvexClient; connectionId: number }> {
    const before = new Set(this.backend.stats().connections.map((c) => c.id));
    const client = new ConvexClient(this.convexUrl, {
      webSocketConstructor: WebSocket as unknown as typeof globalThis.WebSocket,
      unsavedChangesWarning: false,
    });
    // Touch the socket so the connection exists before the measured subscription.
    await client.query(api.config.get, {});
    let id = -1;
    await waitUntil(
      () => {
        const fresh = this.backend.stats().connections.filter((c) => !before.has(c.id));
        if (fresh.length === 1) id = fresh[0]!.id;
        return fresh.length === 1;
      },
      5000,
      "the client's WebSocket",
    );
    return { client, connectionId: id };
  }

  /** Traffic on the sockets `ids` from now on: call the result for the totals since this call. */
  meter(ids: number[]): () => Usage {
    const total = (): Usage => {
      const t = { bytesSent: 0, transitions: 0, queryRuns: 0, documentsRead: 0 };
      for (const c of this.backend.stats().connections) {
        if (!ids.includes(c.id)) continue;
        t.bytesSent += c.bytesSent;
        t.transitions += c.transitions;
        t.queryRuns += c.queryRuns;
        t.documentsRead += c.documentsRead;
      }
      return t;
    };
    const was = total();
    return () => {
      const now = total();
      return {
        bytesSent: now.bytesSent - was.bytesSent,
        transitions: now.transitions - was.transitions,
        queryRuns: now.queryRuns - was.queryRuns,
        documentsRead: now.documentsRead - was.documentsRead,
      };
    };
  }

  async stop(): Promise<void> {
    await this.backend.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export type DriveResult = {
  status: number;
  text: string;
  /** performance.now() of the POST, the first body byte, the end. */
  startedAt: number;
  firstByteAt: number;
  endedAt: number;
  /** Cumulative text length after each body chunk, with its Date.now() receipt time. */
  receipts: Receipt[];
};

/** POST /chat-stream as the visitor and read the body to the end. */
export async function drive(siteUrl: string, sent: { token: string; streamId: string }): Promise<DriveResult> {
  const startedAt = performance.now();
  const res = await fetch(`${siteUrl}/chat-stream`, {
    method: "POST",
    headers: { Authorization: `Bearer ${sent.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ streamId: sent.streamId }),
  });
  const result: DriveResult = { status: res.status, text: "", startedAt, firstByteAt: NaN, endedAt: NaN, receipts: [] };
  if (!res.body) {
    result.endedAt = performance.now();
    return result;
  }
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    if (Number.isNaN(result.firstByteAt)) result.firstByteAt = performance.now();
    result.text += decoder.decode(chunk, { stream: true });
    result.receipts.push({ end: result.text.length, at: Date.now() });
  }
  result.text += decoder.decode();
  result.endedAt = performance.now();
  return result;
}

export type Follower = {
  text: string;
  status: string;
  /** Each update that added text: where it ended, its Date.now() receipt time. */
  receipts: Receipt[];
  /** Updates that added text; characters received more than once; gap-filling reads (ours). */
  updates: number;
  doubled: number;
  gaps: number;
  done: Promise<void>;
  stop(): void;
};

/** A follower with nothing received yet; `grew` records text that got longer, with its receipt time. */
function follower(stop: () => void) {
  let resolveDone!: () => void;
  const f: Follower = {
    text: "",
    status: "pending",
    receipts: [],
    updates: 0,
    doubled: 0,
    gaps: 0,
    done: new Promise<void>((r) => (resolveDone = r)),
    stop,
  };
  const grew = (text: string) => {
    f.text = text;
    f.updates++;
    f.receipts.push({ end: text.length, at: Date.now() });
  };
  return { f, resolveDone, grew };
}

export type Watch = { threadId: string; streamId: string; token: string; after?: number };

/**
 * Follows a reply the way the widget does (src/reply/conversation.ts), with the widget's
 * own `StreamFollower`: `messages:live` after `after` (the newest message of the history the
 * viewer already read) says when the reply streams and how long it ends; `streams:tail` carries
 * each flush; one-shot `streams:read` calls fill any gap. Resolves `done` once the text reached the
 * final length. `doubled` counts characters that reached this viewer more than once, `gaps` the
 * gap-filling reads.
 */
export function followOurs(client: ConvexClient, watch: Watch): Follower {
  let stream: StreamFollower | undefined;
  let finishing = false;
  let received = 0;
  const { f, resolveDone, grew } = follower(() => {
    stopLive();
    stream?.stop();
  });
  // Counts the characters each update and read brings, as they arrive on the socket.
  const counting: ChatClient = {
    onUpdate: (query, args, callback, onError) =>
      client.onUpdate(
        query,
        args,
        (value: { text?: string } | null) => {
          received += value?.text?.length ?? 0;
          callback(value);
        },
        onError,
      ),
    action: (action, args) => client.action(action, args),
    query: async (query, args) => {
      const value = await client.query(query, args);
      received += (value as { text?: string }).text?.length ?? 0;
      return value;
    },
    mutation: (m, args) => client.mutation(m, args),
    connectionState: () => client.connectionState(),
    subscribeToConnectionState: (cb) => client.subscribeToConnectionState(cb),
    close: () => client.close(),
  };
  const { threadId, streamId, token, after } = watch;
  const stopLive = client.onUpdate(
    api.messages.live,
    { threadId, token, ...(after !== undefined ? { after } : {}) },
    (messages) => {
      const m = messages.find((x) => x.streamId === streamId);
      if (!m || finishing) return;
      f.status = m.status;
      stream ??= new StreamFollower({
        client: counting,
        streamId,
        token,
        onText: grew,
        onError: (e) => console.error(e),
      });
      if (!FINAL_STATUSES.has(m.status)) return stream.follow();
      finishing = true;
      void stream.finish(m.length).then((text) => {
        if (text.length > f.text.length) grew(text);
        f.doubled = received - f.text.length;
        f.gaps = stream!.reads;
        resolveDone();
      });
    },
  );
  return f;
}

/** The stock pattern: one subscription to a query returning the whole body so far. */
export function followBaseline(client: ConvexClient, streamId: string): Follower {
  const { f, resolveDone, grew } = follower(() => unsubscribe());
  const unsubscribe = client.onUpdate(refs.getStreamBody, { streamId }, (body) => {
    if (body.text.length > f.text.length) grew(body.text);
    f.status = body.status;
    if (FINAL_STATUSES.has(body.status)) resolveDone();
  });
  return f;
}

/**
 * For each piece of `source` (text up to `end` received at `at`), the time until `follower` had
 * received that far; pieces it never reached are left out. Both clocks must be the same.
 */
export function lagsBehind(source: Receipt[], follower: Receipt[]): number[] {
  const lags: number[] = [];
  for (const { end, at } of source) {
    const r = follower.find((x) => x.end >= end);
    if (r) lags.push(r.at - at);
  }
  return lags;
}

/** Waits for a follower, failing loudly rather than hanging the run. */
export async function settle(f: Follower, timeoutMs: number, what: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      f.done,
      new Promise<void>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(`${what}: not finished after ${timeoutMs} ms (status ${f.status}, ${f.text.length} chars)`),
            ),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
