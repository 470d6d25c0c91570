// Regenerating a finished reply (messages:retry), and rating replies (feedback:rate, feedback:list).
import { afterEach, describe, expect, test } from "vitest";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";
import { FEEDBACK_COMMENT_MAX_CHARS, FEEDBACK_PER_MINUTE } from "../../convex/lib/limits";
import { demoReplyText } from "../../convex/lib/models";
import { conversation, REPLIES_PER_PROMPT_MAX } from "../../convex/lib/sending";
import {
  chat,
  drive,
  expectCode,
  newThread,
  operatorSession,
  readBody,
  restoreEnv,
  setEnv,
  setup,
  started,
  type T,
} from "./setup";

afterEach(restoreEnv);

/** A thread with one finished exchange; returns its ids. */
async function answered(prompt = "What is a delta?") {
  setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
  const t = setup();
  const { threadId, token } = await newThread(t);
  await chat(t, threadId, token, prompt);
  const [question, reply] = await t.query(api.messages.list, { threadId, token });
  return { t, threadId, token, promptId: question._id, replyId: reply._id };
}

/** Regenerates the last reply `messageId` and drives the new one to its end; returns its id. */
async function regenerate(t: T, threadId: string, token: string, messageId: string): Promise<string> {
  const next = await t.mutation(api.messages.retry, { threadId, token, messageId });
  await readBody(await drive(t, token, { streamId: next.streamId }));
  return next.assistantMessageId;
}

describe("regenerate (messages:retry on a finished reply)", () => {
  test("a new reply to the same prompt: visitors and observers see only it, operators see both", async () => {
    const { t, threadId, token, promptId, replyId } = await answered();
    const newId = await regenerate(t, threadId, token, replyId);
    const shown = await t.query(api.messages.list, { threadId, token });
    expect(shown.map((m) => [m._id, m.status])).toEqual([
      [promptId, "done"],
      [newId, "done"],
    ]);
    expect(shown[1].text).toBe(demoReplyText("What is a delta?"));
    expect((await t.query(api.messages.live, { threadId, token })).map((m) => m._id)).toEqual([promptId, newId]);
    const { observerToken } = await t.mutation(api.threads.share, { threadId, token });
    expect((await t.query(api.messages.list, { threadId, token: observerToken })).map((m) => m._id)).toEqual([
      promptId,
      newId,
    ]);
    const session = await operatorSession(t);
    const all = await t.query(api.messages.live, { threadId, token: session });
    expect(all.map((m) => [m._id, m.supersededBy])).toEqual([
      [promptId, undefined],
      [replyId, newId],
      [newId, undefined],
    ]);
    expect(all[1]).toMatchObject({ status: "done", length: demoReplyText("What is a delta?").length });
  });

  test("the model is not sent the reply it replaces", async () => {
    const { t, threadId, token, replyId } = await answered();
    const next = await t.mutation(api.messages.retry, { threadId, token, messageId: replyId });
    const turns = await t.run((ctx) => conversation(ctx, threadId as Id<"threads">, next.assistantMessageId));
    expect(turns).toEqual([{ role: "user", content: "What is a delta?" }]);
  });

  test(`at most ${REPLIES_PER_PROMPT_MAX} replies per prompt: then BAD_REQUEST naming the limit`, async () => {
    const { t, threadId, token, replyId } = await answered();
    let last = replyId;
    for (let i = 1; i < REPLIES_PER_PROMPT_MAX; i++) last = await regenerate(t, threadId, token, last);
    const refused = await expectCode(
      t.mutation(api.messages.retry, { threadId, token, messageId: last }),
      "BAD_REQUEST",
    );
    expect(refused.message).toBe(
      `this prompt has ${REPLIES_PER_PROMPT_MAX} replies; the limit is ${REPLIES_PER_PROMPT_MAX}`,
    );
    // A new prompt gets its own replies.
    await chat(t, threadId, token, "next");
    const reply = (await t.query(api.messages.list, { threadId, token })).at(-1)!;
    await regenerate(t, threadId, token, reply._id);
  });

  test("history pages stay exact: replies regenerated away are neither listed nor counted", async () => {
    setEnv({ RATE_LIMIT_MESSAGES_PER_MINUTE: "100", RATE_LIMIT_NEW_VISITOR_SENDS_PER_MINUTE: "100" });
    const { t, threadId, token, replyId } = await answered("first");
    await regenerate(t, threadId, token, replyId);
    for (let i = 0; i < 24; i++) await chat(t, threadId, token, `q${i}`);
    const newest = await t.query(api.messages.list, { threadId, token });
    expect(newest).toHaveLength(50);
    expect(newest[0].text).toBe("first");
    const older = await t.query(api.messages.list, { threadId, token, before: newest[0]._creationTime });
    expect(older).toEqual([]);
  });
});

describe("feedback:rate", () => {
  test("one rating per reply: rating again replaces it, null takes it back; the reply's views carry it", async () => {
    const { t, threadId, token, replyId } = await answered();
    await t.mutation(api.feedback.rate, { threadId, token, messageId: replyId, rating: "up" });
    expect((await t.query(api.messages.list, { threadId, token }))[1].feedback).toEqual({ rating: "up" });
    await t.mutation(api.feedback.rate, { threadId, token, messageId: replyId, rating: "down", comment: " Too long " });
    expect((await t.query(api.messages.live, { threadId, token }))[1].feedback).toEqual({
      rating: "down",
      comment: "Too long",
    });
    expect(await t.run((ctx) => ctx.db.query("feedback").collect())).toHaveLength(1);
    await t.mutation(api.feedback.rate, { threadId, token, messageId: replyId, rating: null });
    expect((await t.query(api.messages.list, { threadId, token }))[1].feedback).toBeUndefined();
    expect(await t.run((ctx) => ctx.db.query("feedback").collect())).toHaveLength(0);
  });

  test("BAD_REQUEST for a comment over the limit (named), a prompt, an unfinished reply or another thread's reply", async () => {
    const { t, threadId, token, promptId, replyId } = await answered();
    const long = await expectCode(
      t.mutation(api.feedback.rate, {
        threadId,
        token,
        messageId: replyId,
        rating: "up",
        comment: "x".repeat(FEEDBACK_COMMENT_MAX_CHARS + 1),
      }),
      "BAD_REQUEST",
    );
    expect(long.message).toBe(`comment is 501 characters; the limit is ${FEEDBACK_COMMENT_MAX_CHARS}`);
    await expectCode(
      t.mutation(api.feedback.rate, { threadId, token, messageId: promptId, rating: "up" }),
      "BAD_REQUEST",
    );
    const { assistantMessageId } = started(await t.mutation(api.messages.send, { threadId, token, prompt: "more" }));
    await expectCode(
      t.mutation(api.feedback.rate, { threadId, token, messageId: assistantMessageId, rating: "up" }),
      "BAD_REQUEST",
    );
    const other = await newThread(t);
    await expectCode(
      t.mutation(api.feedback.rate, { threadId: other.threadId, token: other.token, messageId: replyId, rating: "up" }),
      "BAD_REQUEST",
    );
    await expectCode(
      t.mutation(api.feedback.rate, { threadId, token, messageId: "nope", rating: "up" }),
      "BAD_REQUEST",
    );
  });

  test(`RATE_LIMITED after ${FEEDBACK_PER_MINUTE} ratings a minute per visitor, with the wait named`, async () => {
    const { t, threadId, token, replyId } = await answered();
    for (let i = 0; i < FEEDBACK_PER_MINUTE; i++) {
      await t.mutation(api.feedback.rate, { threadId, token, messageId: replyId, rating: i % 2 ? "up" : "down" });
    }
    const data = await expectCode(
      t.mutation(api.feedback.rate, { threadId, token, messageId: replyId, rating: "up" }),
      "RATE_LIMITED",
    );
    expect(data.message).toMatch(/^Too many ratings; try again in \d+ seconds?\.$/);
    expect(data.retryAfterMs).toBeGreaterThan(0);
  });

  test("removing the thread removes its ratings", async () => {
    const { t, threadId, token, replyId } = await answered();
    await t.mutation(api.feedback.rate, { threadId, token, messageId: replyId, rating: "down" });
    await t.mutation(api.threads.remove, { threadId, token });
    await t.finishAllScheduledFunctions(() => {});
    expect(await t.run((ctx) => ctx.db.query("feedback").collect())).toEqual([]);
  });
});

describe("feedback:list", () => {
  test("operators page through every rating, newest change first, with its prompt and reply", async () => {
    const { t, threadId, token, replyId } = await answered("Why is the sky blue?");
    await t.mutation(api.feedback.rate, { threadId, token, messageId: replyId, rating: "down", comment: "vague" });
    const newId = await regenerate(t, threadId, token, replyId);
    await t.mutation(api.feedback.rate, { threadId, token, messageId: newId, rating: "up" });
    const session = await operatorSession(t);
    const first = await t.query(api.feedback.list, { token: session, paginationOpts: { numItems: 1, cursor: null } });
    expect(first.page).toEqual([
      expect.objectContaining({
        threadId,
        messageId: newId,
        rating: "up",
        prompt: "Why is the sky blue?",
        reply: demoReplyText("Why is the sky blue?"),
      }),
    ]);
    expect(first.isDone).toBe(false);
    const second = await t.query(api.feedback.list, {
      token: session,
      paginationOpts: { numItems: 1, cursor: first.continueCursor },
    });
    expect(second.page).toEqual([
      expect.objectContaining({ messageId: replyId, rating: "down", comment: "vague", prompt: "Why is the sky blue?" }),
    ]);
    await expectCode(
      t.query(api.feedback.list, { token: session, paginationOpts: { numItems: 101, cursor: null } }),
      "BAD_REQUEST",
    );
  });
});
