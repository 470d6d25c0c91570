// A late joiner of a long reply catches up in one read (`streams:catchUp`): the compacted
// `replyTexts` row plus the deltas after it, not a round trip per 16 deltas.
import { afterEach, describe, expect, test } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { hashToken } from "../../convex/lib/access";
import { appendDelta } from "../../convex/lib/replies";
import { StreamFollower } from "../../src/reply/follower";
import type { ChatClient } from "../../src/convex-pool";
import { newChat, restoreEnv, type T } from "./setup";

afterEach(restoreEnv);

const DELTAS = 1_600;

/** A reply streaming with `DELTAS` flushes persisted (compacted every 64), as its driver writes them. */
async function longReply() {
  const { t, token, streamId } = await newChat("long");
  const begun = await t.mutation(internal.chat.begin, { streamId, tokenHash: await hashToken(token) });
  if (begun.kind !== "start") throw new Error(begun.kind);
  const pieces = Array.from({ length: DELTAS }, (_, i) => `Sentence ${i} of a long reply. `);
  // As `chat:flush` appends them (one flush each), 100 to a transaction to keep the test quick.
  for (let i = 0; i < DELTAS; i += 100) {
    await t.run(async (ctx) => {
      for (const piece of pieces.slice(i, i + 100)) await appendDelta(ctx, streamId, piece);
    });
  }
  const text = pieces.join("");
  return { t, token, streamId, messageId: begun.messageId, text };
}

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

// Each test first writes a 1,600-delta reply (seconds on a loaded machine): more than the default 5 s.
describe("catching up on a long reply", { timeout: 30_000 }, () => {
  test("a late joiner of a 1,600-delta reply has all its text after one read, then follows the tail", async () => {
    const { t, token, streamId, text } = await longReply();
    const calls: string[] = [];
    let shown = "";
    const follower = new StreamFollower({
      client: clientOn(t, calls),
      streamId,
      token,
      onText: (whole) => (shown = whole),
      onError: (err) => {
        throw err;
      },
    });
    follower.follow();
    await expect.poll(() => shown.length, { timeout: 10_000 }).toBe(text.length);
    expect(shown).toBe(text);
    expect(follower.reads).toBe(1);
    expect(calls).toEqual(["streams:catchUp"]);
    follower.stop();
  });

  test("one catch-up read returns the compacted text and the deltas after it", async () => {
    const { t, token, streamId, text } = await longReply();
    const rows = await t.run(async (ctx) => ctx.db.query("replyTexts").collect());
    expect(rows).toHaveLength(1);
    expect(rows[0].throughSeq).toBe(Math.floor(DELTAS / 64) * 64 - 1);

    expect(await t.query(api.streams.catchUp, { streamId, token, from: 0 })).toEqual({
      status: "streaming",
      start: 0,
      text,
      cursor: DELTAS,
      more: false,
    });
    // From inside the compacted text, and from inside the deltas after it.
    const mid = await t.query(api.streams.catchUp, { streamId, token, from: 1_000 });
    expect(mid).toMatchObject({ start: 1_000, text: text.slice(1_000), cursor: DELTAS });
    const late = text.length - 40;
    const tail = await t.query(api.streams.catchUp, { streamId, token, from: late });
    expect(tail.start).toBeLessThanOrEqual(late);
    expect(text.slice(tail.start)).toBe(tail.text);
    // `to` stops where the viewer's next held delta starts; `more` says there is text beyond.
    const upTo = await t.query(api.streams.catchUp, { streamId, token, from: 10, to: 500 });
    expect(upTo).toMatchObject({ start: 10, text: text.slice(10, 500), more: true });
  });

  test("a finished reply is caught up from its message's text in one read", async () => {
    const { t, token, streamId, messageId, text } = await longReply();
    await t.mutation(internal.chat.finish, {
      messageId: messageId as Id<"messages">,
      text: "",
      status: "done",
      error: null,
      tokens: 10,
    });
    expect(await t.query(api.streams.catchUp, { streamId, token, from: 3 })).toEqual({
      status: "done",
      start: 3,
      text: text.slice(3),
      cursor: DELTAS,
      more: false,
    });
  });
});
