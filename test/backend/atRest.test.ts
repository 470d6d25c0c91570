// One copy at rest: once a reply is final its deltas and the component's chunks are deleted in
// scheduled batches, and its message's text is the only copy left. Readers are unchanged.
import { afterEach, describe, expect, test, vi } from "vitest";
import { api, components, internal } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { hashToken } from "../../convex/lib/access";
import { appendDelta } from "../../convex/lib/replies";
import { StreamFollower } from "../../src/reply/follower";
import type { ChatClient } from "../../src/convex-pool";
import { newChat, restoreEnv, type T } from "./setup";

afterEach(() => {
  vi.useRealTimers();
  restoreEnv();
});

/** Flushes written, each one delta and one component chunk, as `chat:flush` writes them. */
const FLUSHES = 300;
/** `threads:purgeDeltas` deletes at most this many deltas per run. */
const DELTA_BATCH = 256;

/** A reply of FLUSHES flushes of Markdown, still streaming. */
async function streamingReply() {
  const { t, threadId, token, streamId } = await newChat("long");
  const begun = await t.mutation(internal.chat.begin, { streamId, tokenHash: await hashToken(token) });
  if (begun.kind !== "start") throw new Error(begun.kind);
  const pieces = Array.from({ length: FLUSHES }, (_, i) =>
    i % 10 === 0 ? `\n\n## Part ${i}\n\n` : `- item **${i}**\n`,
  );
  for (let i = 0; i < FLUSHES; i += 100) {
    await t.run(async (ctx) => {
      for (const piece of pieces.slice(i, i + 100)) {
        await appendDelta(ctx, streamId, piece);
        await ctx.runMutation(components.persistentTextStreaming.lib.addChunk, { streamId, text: piece, final: false });
      }
    });
  }
  return { t, threadId, token, streamId, messageId: begun.messageId, text: pieces.join("") };
}

/** The rows a reply has beyond its message: deltas, compacted text, the component's stream and chunks. */
async function rowsOf(t: T, streamId: string) {
  const ours = await t.run(async (ctx) => ({
    deltas: (await ctx.db.query("deltas").collect()).filter((d) => d.streamId === streamId).length,
    replyTexts: (await ctx.db.query("replyTexts").collect()).filter((r) => r.streamId === streamId).length,
  }));
  // convex-test runs a handler in a component's own tables with `runInComponent` (not in its typings).
  type Rows = { collect(): Promise<Array<{ _id: string; streamId?: string }>> };
  const inComponent = (t as unknown as { runInComponent: RunInComponent }).runInComponent;
  type RunInComponent = <R>(
    path: string,
    fn: (ctx: { db: { query(table: string): Rows } }) => Promise<R>,
  ) => Promise<R>;
  const theirs = await inComponent("persistentTextStreaming", async (ctx) => ({
    streams: (await ctx.db.query("streams").collect()).filter((s) => s._id === streamId).length,
    chunks: (await ctx.db.query("chunks").collect()).filter((c) => c.streamId === streamId).length,
  }));
  return { ...ours, ...theirs };
}

async function finish(t: T, messageId: Id<"messages">) {
  await t.mutation(internal.chat.finish, { messageId, text: "", status: "done", error: null, tokens: 10 });
}

/** Runs the functions due now (and waits for them): one round of the scheduled batches. */
async function oneRound(t: T) {
  vi.advanceTimersByTime(0);
  await t.finishInProgressScheduledFunctions();
}

// Each test first writes a 300-flush reply (a few seconds on a loaded machine).
describe("a finished reply at rest", { timeout: 30_000 }, () => {
  test("keeps only its message text: the stream at once, deltas and chunks in bounded scheduled batches", async () => {
    const { t, threadId, token, streamId, messageId, text } = await streamingReply();
    expect(await rowsOf(t, streamId)).toEqual({ deltas: FLUSHES, replyTexts: 1, streams: 1, chunks: FLUSHES });

    vi.useFakeTimers();
    await finish(t, messageId);
    // The finishing transaction deletes the stream and the compacted text; the rest waits.
    expect(await rowsOf(t, streamId)).toEqual({ deltas: FLUSHES, replyTexts: 0, streams: 0, chunks: FLUSHES });
    const [, reply] = await t.query(api.messages.list, { threadId, token });
    expect(reply).toMatchObject({ status: "done", text });

    // Each round deletes at most one batch per table, and schedules the next.
    const seen: number[] = [];
    for (let round = 0; round < 20; round++) {
      const before = await rowsOf(t, streamId);
      if (before.deltas + before.chunks === 0) break;
      await oneRound(t);
      const after = await rowsOf(t, streamId);
      expect(before.deltas - after.deltas).toBeLessThanOrEqual(DELTA_BATCH);
      // The component's own `_deleteChunksPage`: 64 a run.
      expect(before.chunks - after.chunks).toBeLessThanOrEqual(64);
      seen.push(before.deltas - after.deltas + before.chunks - after.chunks);
    }
    expect(await rowsOf(t, streamId)).toEqual({ deltas: 0, replyTexts: 0, streams: 0, chunks: 0 });
    expect(seen.length).toBeGreaterThanOrEqual(Math.ceil(FLUSHES / 64));
    expect(seen.every((n) => n > 0)).toBe(true);
    // The message is untouched by the cleanup.
    expect((await t.query(api.messages.list, { threadId, token }))[1]).toMatchObject({ status: "done", text });
  });

  test("an observer opening it after the cleanup reads the same text, in one read", async () => {
    const { t, threadId, token, streamId, messageId, text } = await streamingReply();
    vi.useFakeTimers();
    await finish(t, messageId);
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(await rowsOf(t, streamId)).toEqual({ deltas: 0, replyTexts: 0, streams: 0, chunks: 0 });
    vi.useRealTimers();

    const { observerToken } = await t.mutation(api.threads.share, { threadId, token });
    const [, listed] = await t.query(api.messages.list, { threadId, token: observerToken });
    expect(listed.text).toBe(text);
    const reads: string[] = [];
    const follower = new StreamFollower({
      client: clientOn(t, reads),
      streamId,
      token: observerToken,
      onText: () => {},
      onError: (err) => {
        throw err;
      },
    });
    follower.follow();
    expect(await follower.finish(listed.length)).toBe(text);
    expect(reads).toEqual(["streams:catchUp"]);
    expect(await t.query(api.streams.catchUp, { streamId, token: observerToken, from: 0 })).toEqual({
      status: "done",
      start: 0,
      text,
      cursor: 0,
      more: false,
    });
  });

  test("a reply still streaming is untouched while another reply finishes", async () => {
    const streaming = await streamingReply();
    const { t } = streaming;
    // A second thread on the same backend, its reply finished at once.
    const { threadId, token } = await t.mutation(api.threads.create, {
      token: (await t.mutation(internal.visitors.mint, { humanChecked: true })).token,
    });
    const sent = await t.mutation(api.messages.send, { threadId, token, prompt: "short" });
    if (!sent.streamId) throw new Error("no reply was started");
    const begun = await t.mutation(internal.chat.begin, { streamId: sent.streamId, tokenHash: await hashToken(token) });
    if (begun.kind !== "start") throw new Error(begun.kind);
    vi.useFakeTimers();
    await t.mutation(internal.chat.finish, {
      messageId: begun.messageId,
      text: "Short.",
      status: "done",
      error: null,
      tokens: 3,
    });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(await rowsOf(t, sent.streamId)).toEqual({ deltas: 0, replyTexts: 0, streams: 0, chunks: 0 });
    expect(await rowsOf(t, streaming.streamId)).toEqual({
      deltas: FLUSHES,
      replyTexts: 1,
      streams: 1,
      chunks: FLUSHES,
    });
    const slice = await t.query(api.streams.catchUp, { streamId: streaming.streamId, token: streaming.token, from: 0 });
    expect(slice).toMatchObject({ status: "streaming", start: 0, text: streaming.text, more: false });
  });
});

/** The part of ConvexClient the follower uses, on convex-test: a subscription delivers its current result once. */
function clientOn(t: T, calls: string[]): ChatClient {
  const name = (ref: unknown) => String((ref as { [k: symbol]: string })[Symbol.for("functionName")]);
  // The references are the app's own; the generic ChatClient signature only loses their types.
  const run = t.query as (ref: unknown, args: unknown) => Promise<never>;
  const write = t.mutation as (ref: unknown, args: unknown) => Promise<never>;
  return {
    onUpdate: (query, args, callback) => {
      void run(query, args).then(callback);
      return () => {};
    },
    query: async (query, args) => {
      calls.push(name(query));
      return await run(query, args);
    },
    mutation: async (mutation, args) => await write(mutation, args),
    action: async () => await Promise.reject(new Error("the follower calls no action")),
    connectionState: () => ({ isWebSocketConnected: true, hasEverConnected: true, connectionRetries: 0 }),
    subscribeToConnectionState: () => () => {},
    close: () => {},
  };
}
