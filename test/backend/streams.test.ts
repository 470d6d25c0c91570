import { afterEach, describe, expect, test } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import { hashToken } from "../../convex/lib/access";
import { demoReplyText, demoTokens } from "../../convex/lib/models";
import { appendDelta } from "../../convex/lib/replies";
import { drive, expectAtRest, expectCode, newChat, restoreEnv, setEnv } from "./setup";

afterEach(restoreEnv);

/**
 * A reply still streaming, one delta per word of the demo reply, as its driver writes them with
 * STREAM_CHUNK_BY=word (a finished reply's deltas are deleted: it is read from its message).
 */
async function wordPerDelta() {
  const { t, threadId, token, streamId } = await newChat("paging");
  const begun = await t.mutation(internal.chat.begin, { streamId, tokenHash: await hashToken(token) });
  if (begun.kind !== "start") throw new Error(begun.kind);
  const words = demoTokens(demoReplyText("paging"));
  await t.run(async (ctx) => {
    for (const word of words) await appendDelta(ctx, streamId, word);
  });
  return { t, threadId, token, streamId, body: words.join("") };
}

describe("streams:read", () => {
  test("pages of at most 16 deltas after the cursor, with offsets, the next cursor and `more`", async () => {
    const { t, token, streamId, body } = await wordPerDelta();
    const deltas = await t.run(async (ctx) => ctx.db.query("deltas").collect());
    expect(deltas.length).toBeGreaterThan(40);
    expect(deltas.map((d) => d.seq)).toEqual(deltas.map((_, i) => i));

    const first = await t.query(api.streams.read, { streamId, token, cursor: 0 });
    expect(first).toMatchObject({ status: "streaming", start: 0, cursor: 16, more: true });
    expect(first.text).toBe(
      deltas
        .slice(0, 16)
        .map((d) => d.text)
        .join(""),
    );

    const second = await t.query(api.streams.read, { streamId, token, cursor: first.cursor });
    expect(second.start).toBe(first.text.length);
    expect(second.cursor).toBe(32);

    let cursor = 0;
    let text = "";
    let pages = 0;
    for (let more = true; more; pages++) {
      const slice = await t.query(api.streams.read, { streamId, token, cursor });
      expect(slice.start).toBe(text.length);
      text += slice.text;
      cursor = slice.cursor;
      more = slice.more;
    }
    expect(text).toBe(body);
    expect(pages).toBe(Math.ceil(deltas.length / 16));
  });

  test("at the end: an empty slice positioned after the last delta, cursor unchanged", async () => {
    const { t, token, streamId, body } = await wordPerDelta();
    const count = await t.run(async (ctx) => (await ctx.db.query("deltas").collect()).length);
    const end = await t.query(api.streams.read, { streamId, token, cursor: count });
    expect(end).toEqual({ status: "streaming", start: body.length, text: "", cursor: count, more: false });
    // A cursor past the end is pulled back to the end.
    expect((await t.query(api.streams.read, { streamId, token, cursor: count + 50 })).cursor).toBe(count);
    // A garbage cursor is refused, naming it (text.test.ts covers NaN, Infinity and fractions).
    await expectCode(t.query(api.streams.read, { streamId, token, cursor: -3 }), "BAD_REQUEST");
  });

  test("a pending reply: empty, status pending, cursor 0", async () => {
    const { t, token, streamId } = await newChat();
    expect(await t.query(api.streams.read, { streamId, token, cursor: 0 })).toEqual({
      status: "pending",
      start: 0,
      text: "",
      cursor: 0,
      more: false,
    });
  });

  test("deltas are the demo's words, in order, each starting where the previous ended", async () => {
    // About one delta per word: a word every 2 ms, no delay, a write allowed every millisecond.
    setEnv({
      DEMO_TOKEN_DELAY_MS: "2",
      STREAM_CHUNK_BY: "word",
      STREAM_FLUSH_MS: "0",
      STREAM_MAX_WRITES_PER_SEC: "1000",
    });
    const { t, token, streamId } = await newChat("paging");
    const words = demoTokens(demoReplyText("paging"));
    const reader = (await drive(t, token, { streamId })).body!.getReader();
    // Mid-reply, while its deltas are kept (a finished reply's are deleted).
    for (let got = 0; got < words.length / 2;) got += (await reader.read()).value?.length ?? 0;
    const deltas = await t.run(async (ctx) =>
      ctx.db
        .query("deltas")
        .withIndex("by_stream_seq", (q) => q.eq("streamId", streamId))
        .collect(),
    );
    while (!(await reader.read()).done);
    expect(deltas.length).toBeGreaterThan(5);
    let offset = 0;
    for (const d of deltas) {
      expect(d.start).toBe(offset);
      offset += d.text.length;
    }
    expect(deltas.map((d) => d.text)).toEqual(words.slice(0, deltas.length));
  });

  test("a finished reply at rest (its deltas deleted) is read from its message, from `from`", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const { t, token, streamId } = await newChat("at rest");
    const body = await (await drive(t, token, { streamId })).text();
    await expectAtRest(t, streamId);
    expect(await t.query(api.streams.read, { streamId, token, cursor: 0 })).toEqual({
      status: "done",
      start: 0,
      text: body,
      cursor: 0,
      more: false,
    });
    const tail = await t.query(api.streams.read, { streamId, token, cursor: 3, from: 10 });
    expect(tail).toMatchObject({ start: 10, text: body.slice(10), more: false });
    expect(await t.query(api.streams.tail, { streamId, token })).toBe(null);
  });
});

describe("streams:read from a character offset", () => {
  test("`from` starts at the delta holding that character, `to` stops before the delta starting there", async () => {
    const { t, token, streamId, body } = await wordPerDelta();
    const deltas = await t.run(async (ctx) =>
      ctx.db
        .query("deltas")
        .withIndex("by_stream_seq", (q) => q.eq("streamId", streamId))
        .collect(),
    );
    const [, second, third, fourth] = deltas;
    // Inside the second delta: from its start; at its end: from the third.
    const inside = await t.query(api.streams.read, { streamId, token, cursor: 0, from: second.start + 1 });
    expect(inside.start).toBe(second.start);
    const atEnd = await t.query(api.streams.read, { streamId, token, cursor: 0, from: third.start });
    expect(atEnd.start).toBe(third.start);
    expect(body.slice(atEnd.start, atEnd.start + atEnd.text.length)).toBe(atEnd.text);
    const gap = await t.query(api.streams.read, { streamId, token, cursor: 0, from: second.start, to: fourth.start });
    expect(gap).toMatchObject({
      start: second.start,
      text: second.text + third.text,
      cursor: third.seq + 1,
      more: false,
    });
    // A page is still at most 16 deltas.
    const all = await t.query(api.streams.read, { streamId, token, cursor: 0, from: 0 });
    expect(all.cursor).toBe(16);
    expect(all.more).toBe(true);
  });
});

describe("streams:tail", () => {
  test("the newest delta with its seq and start, or null before the first flush", async () => {
    const { t, token, streamId } = await wordPerDelta();
    const deltas = await t.run(async (ctx) =>
      ctx.db
        .query("deltas")
        .withIndex("by_stream_seq", (q) => q.eq("streamId", streamId))
        .collect(),
    );
    const last = deltas[deltas.length - 1];
    expect(await t.query(api.streams.tail, { streamId, token })).toEqual({
      seq: last.seq,
      start: last.start,
      text: last.text,
    });

    const fresh = await newChat("nothing yet");
    expect(await fresh.t.query(api.streams.tail, { streamId: fresh.streamId, token: fresh.token })).toBe(null);
  });
});
