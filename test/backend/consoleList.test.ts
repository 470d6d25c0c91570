// @vitest-environment node
// The console's list (issue 22 item 4): each row's message count and newest message come with the
// thread (no message read per row), "held by me" is the caller's session or identity (not the
// name), and `operator:searchThreads` finds threads by title and by message text.
import { afterEach, describe, expect, test } from "vitest";
import { api } from "../../convex/_generated/api";
import { PREVIEW_CHARS } from "../../convex/lib/threadSummary";
import { startFakeOpenAI, words, type FakeProvider } from "../support/fake-providers";
import {
  chat,
  drive,
  expectCode,
  newThread,
  readBody,
  operatorSession,
  restoreEnv,
  send,
  setEnv,
  setup,
  type T,
} from "./setup";

let fake: FakeProvider | undefined;
afterEach(async () => {
  restoreEnv();
  await fake?.close();
  fake = undefined;
});

async function fakeModel(answer: string) {
  fake = await startFakeOpenAI(() => ({ tokens: words(answer) }));
  setEnv({ OPENAI_BASE_URL: fake.baseUrl });
}

async function row(t: T, operator: string, threadId: string) {
  const { page } = await t.query(api.operator.listThreads, {
    token: operator,
    paginationOpts: { numItems: 10, cursor: null },
  });
  return page.find((r) => r._id === threadId);
}

describe("rows", () => {
  test("count every message and preview the newest: prompt, finished reply, operator message", async () => {
    await fakeModel("The   parcel\nleft on Monday.");
    const t = setup();
    const { threadId, token } = await newThread(t);
    const operator = await operatorSession(t, "Dana");
    expect(await row(t, operator, threadId)).not.toHaveProperty("messageCount");

    const { streamId } = await send(t, threadId, token, "Where is my parcel?");
    expect(await row(t, operator, threadId)).toMatchObject({ messageCount: 2, preview: "Where is my parcel?" });
    await readBody(await drive(t, token, { streamId }));
    // On one line: the reply's newline and runs of spaces are one space.
    expect(await row(t, operator, threadId)).toMatchObject({ messageCount: 2, preview: "The parcel left on Monday." });

    const long = `Hello, ${"x".repeat(300)}`;
    await t.mutation(api.handoff.reply, { threadId, token: operator, text: long });
    const after = (await row(t, operator, threadId))!;
    expect(after.messageCount).toBe(3);
    expect(after.preview).toBe(`${long.slice(0, PREVIEW_CHARS - 1)}…`);
    // The visitor's own view carries the same summary (it is theirs), never who else is "me".
    const mine = await t.query(api.threads.get, { threadId, token });
    expect(mine).toMatchObject({ messageCount: 3 });
    expect(mine).not.toHaveProperty("heldByMe");
  });

  test("held by me is the session: a second operator with the same name does not hold it", async () => {
    const t = setup();
    const { threadId } = await newThread(t);
    const first = await operatorSession(t, "Dana");
    const second = await operatorSession(t, "Dana");
    expect((await row(t, first, threadId))!.heldByMe).toBe(false);
    await t.mutation(api.handoff.takeOver, { threadId, token: first });
    expect(await row(t, first, threadId)).toMatchObject({ heldBy: "Dana", heldByMe: true });
    expect(await row(t, second, threadId)).toMatchObject({ heldBy: "Dana", heldByMe: false });
    // An identity operator is told apart from a session by key too.
    const identity = { userId: "Dana", operator: true };
    const { page } = await t.query(api.operator.listThreads, {
      identity,
      paginationOpts: { numItems: 5, cursor: null },
    });
    expect(page.find((r) => r._id === threadId)).toMatchObject({ heldByMe: false });
  });
});

describe("search", () => {
  test("finds threads by title and by any message's text, each once, title matches first", async () => {
    await fakeModel("Refunds take five working days.");
    const t = setup();
    const operator = await operatorSession(t);
    const a = await newThread(t);
    await chat(t, a.threadId, a.token, "refund please");
    const b = await newThread(t);
    await chat(t, b.threadId, b.token, "my order is late");
    const c = await newThread(t);
    await chat(t, c.threadId, c.token, "opening hours?");

    const search = (text: string) => t.query(api.operator.searchThreads, { token: operator, text });
    // "refund" is a's title; "refunds" is in every reply's text (prefix match of the last word).
    const refund = await search("refund");
    expect(refund.map((r) => r._id)[0]).toBe(a.threadId);
    expect(new Set(refund.map((r) => r._id))).toEqual(new Set([a.threadId, b.threadId, c.threadId]));
    // In b's title and prompt only; a word no title or message has.
    expect((await search("late")).map((r) => r._id)).toEqual([b.threadId]);
    expect(await search("zebra")).toEqual([]);
    expect(await search("   ")).toEqual([]);
    expect((await search("hours"))[0]).toMatchObject({ _id: c.threadId, access: "operator", heldByMe: false });
  });

  test("operators only; text past 200 characters is BAD_REQUEST naming the limit", async () => {
    const t = setup();
    const { token } = await newThread(t);
    const operator = await operatorSession(t);
    await expectCode(t.query(api.operator.searchThreads, { token, text: "a" }), "UNAUTHORIZED");
    await expectCode(t.query(api.operator.searchThreads, { text: "a" }), "UNAUTHORIZED");
    const data = await expectCode(
      t.query(api.operator.searchThreads, { token: operator, text: "a".repeat(201) }),
      "BAD_REQUEST",
    );
    expect(data).toMatchObject({ limit: 200 });
    expect(await t.query(api.operator.searchThreads, { token: operator, text: "a".repeat(200) })).toEqual([]);
  });
});

describe("operator:removeThread", () => {
  test("deletes the thread and, scheduled, its messages; the visitor's view is refused; a second delete too", async () => {
    await fakeModel("Sure.");
    const t = setup();
    const operator = await operatorSession(t);
    const { threadId, token } = await newThread(t);
    await chat(t, threadId, token, "delete me later");
    expect(await t.mutation(api.operator.removeThread, { token: operator, threadId })).toBe(null);
    expect(await row(t, operator, threadId)).toBe(undefined);
    await expectCode(t.query(api.threads.get, { threadId, token }), "UNAUTHORIZED");
    await t.finishAllScheduledFunctions(() => {});
    const left = await t.run((ctx) => ctx.db.query("messages").collect());
    expect(left.filter((m) => m.threadId === threadId)).toEqual([]);
    await expectCode(t.mutation(api.operator.removeThread, { token: operator, threadId }), "UNAUTHORIZED");
  });
});
