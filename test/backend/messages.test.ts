import { globalShards } from "../../convex/lib/limits";
import { afterEach, describe, expect, test, vi } from "vitest";
import { api, components, internal } from "../../convex/_generated/api";
import { hashToken } from "../../convex/lib/access";
import type { Id } from "../../convex/_generated/dataModel";
import { MESSAGES_LIVE_MAX, MESSAGES_PAGE_CHARS, MESSAGES_PAGE_MAX } from "../../convex/lib/limits";
import { demoReplyText } from "../../convex/lib/models";
import { buildHistory } from "../../convex/lib/modelConfig";
import { MESSAGES_PAGE_CHARS as WIDGET_PAGE_CHARS, MESSAGES_PAGE_MAX as WIDGET_PAGE_MAX } from "../../src/api";
import {
  chat,
  componentBody,
  expectAtRest,
  drive,
  expectCode,
  newChat,
  newThread,
  OPERATOR_SECRET,
  operatorSession,
  readAll,
  restoreEnv,
  send,
  setEnv,
  setup,
  type T,
} from "./setup";

afterEach(() => {
  restoreEnv();
  vi.useRealTimers();
});

describe("messages:send", () => {
  test("stores the prompt and a pending reply with a new component stream, and titles the thread", async () => {
    const t = setup();
    const { threadId, token } = await newThread(t);
    const ids = await send(t, threadId, token, "How do I reset my password?\nThanks");
    const [user, assistant] = await t.query(api.messages.list, { threadId, token });
    expect(user).toMatchObject({
      _id: ids.userMessageId,
      role: "user",
      status: "done",
      text: "How do I reset my password?\nThanks",
      streamId: null,
      model: null,
      error: null,
    });
    expect(assistant).toMatchObject({
      _id: ids.assistantMessageId,
      role: "assistant",
      status: "pending",
      text: "",
      streamId: ids.streamId,
      model: "demo",
      error: null,
    });
    expect((await componentBody(t, ids.streamId)).status).toBe("pending");
    const thread = await t.query(api.threads.get, { threadId, token });
    expect(thread).toMatchObject({ title: "How do I reset my password?", status: "streaming" });
  });

  test("long first prompts make a clipped title; later prompts keep it", async () => {
    const t = setup();
    const { threadId, token } = await newThread(t);
    await send(t, threadId, token, "x".repeat(200));
    await t.mutation(api.messages.stop, { threadId, token });
    await send(t, threadId, token, "second");
    const { title } = await t.query(api.threads.get, { threadId, token });
    expect(title).toBe(`${"x".repeat(79)}…`);
  });

  test("EMPTY_PROMPT for an empty or whitespace prompt", async () => {
    const t = setup();
    const { threadId, token } = await newThread(t);
    await expectCode(send(t, threadId, token, ""), "EMPTY_PROMPT");
    await expectCode(send(t, threadId, token, " \n\t "), "EMPTY_PROMPT");
  });

  test("PROMPT_TOO_LONG names the length and the limit", async () => {
    const t = setup();
    const { threadId, token } = await newThread(t);
    const data = await expectCode(send(t, threadId, token, "a".repeat(9214)), "PROMPT_TOO_LONG");
    expect(data.message).toBe("prompt is 9,214 characters; the limit is 8,000");
    expect(data).toMatchObject({ length: 9214, limit: 8000 });
    await send(t, threadId, token, "a".repeat(8000));
  });

  test("MAX_PROMPT_CHARS changes the limit, and config:get reports it", async () => {
    setEnv({ MAX_PROMPT_CHARS: "100" });
    const t = setup();
    const { threadId, token } = await newThread(t);
    const data = await expectCode(send(t, threadId, token, "a".repeat(101)), "PROMPT_TOO_LONG");
    expect(data.message).toBe("prompt is 101 characters; the limit is 100");
    expect(await t.query(api.config.get, {})).toEqual({
      model: "demo",
      demo: true,
      maxPromptChars: 100,
      maxFileBytes: 10485760,
      maxFilesPerMessage: 4,
    });
  });

  test("REPLY_IN_PROGRESS while the previous reply is pending or streaming", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const { t, threadId, token, streamId } = await newChat();
    await expectCode(send(t, threadId, token, "more"), "REPLY_IN_PROGRESS");
    const res = await drive(t, token, { streamId });
    await res.text();
    await send(t, threadId, token, "more");
  });

  test("RATE_LIMITED after 10 messages a minute per visitor, with retryAfterMs and the wait named; nothing is stored", async () => {
    const t = setup();
    const { threadId, token } = await newThread(t);
    for (let i = 0; i < 10; i++) {
      await send(t, threadId, token, `m${i}`);
      await t.mutation(api.messages.stop, { threadId, token });
    }
    const data = await expectCode(send(t, threadId, token, "one too many"), "RATE_LIMITED");
    expect(data.retryAfterMs).toBeGreaterThan(0);
    expect(data.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(data.message).toMatch(/^Too many messages; try again in \d+ seconds?\.$/);
    expect(await t.query(api.messages.list, { threadId, token })).toHaveLength(20);
    // Another visitor is unaffected.
    const other = await newThread(t);
    await send(t, other.threadId, other.token);
  });

  test("the global budget (RATE_LIMIT_GLOBAL_PER_MINUTE) limits all visitors together", async () => {
    setEnv({ RATE_LIMIT_GLOBAL_PER_MINUTE: "2", RATE_LIMIT_NEW_VISITOR_SENDS_PER_MINUTE: "2" });
    const t = setup();
    for (let i = 0; i < 2; i++) {
      const { threadId, token } = await newThread(t);
      await send(t, threadId, token);
    }
    const { threadId, token } = await newThread(t);
    await expectCode(send(t, threadId, token), "RATE_LIMITED");
  });

  test("RATE_LIMIT_MESSAGES_PER_MINUTE sets the per-visitor budget", async () => {
    setEnv({ RATE_LIMIT_MESSAGES_PER_MINUTE: "1" });
    const t = setup();
    const { threadId, token } = await newThread(t);
    await send(t, threadId, token);
    await t.mutation(api.messages.stop, { threadId, token });
    await expectCode(send(t, threadId, token), "RATE_LIMITED");
  });
});

describe("messages:stop", () => {
  test("a reply nobody drives yet is stopped at once, and a late POST gets 205", async () => {
    const { t, threadId, token, streamId } = await newChat();
    await t.mutation(api.messages.stop, { threadId, token });
    const [, reply] = await t.query(api.messages.list, { threadId, token });
    expect(reply).toMatchObject({ status: "stopped", text: "", error: null });
    expect((await t.query(api.threads.get, { threadId, token })).status).toBe("idle");
    const res = await drive(t, token, { streamId });
    expect(res.status).toBe(205);
    expect(await res.text()).toBe("");
  });

  test("with nothing in progress it does nothing", async () => {
    const t = setup();
    const { threadId, token } = await newThread(t);
    expect(await t.mutation(api.messages.stop, { threadId, token })).toBeNull();
    await send(t, threadId, token);
    await t.mutation(api.messages.stop, { threadId, token });
    await t.mutation(api.messages.stop, { threadId, token });
    expect((await t.query(api.messages.list, { threadId, token }))[1].status).toBe("stopped");
  });

  test("a streaming reply ends within one flush, keeping exactly the text sent so far", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "10" });
    const { t, threadId, token, streamId } = await newChat("stop me");
    const res = await drive(t, token, { streamId });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let body = "";
    while (body.length < 60) body += decoder.decode((await reader.read()).value);
    const stoppedAt = Date.now();
    await t.mutation(api.messages.stop, { threadId, token });
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      body += decoder.decode(value);
    }
    expect(Date.now() - stoppedAt).toBeLessThan(900); // one flush (≤ 250 ms) plus the final mutation, with slack for loaded CI
    const [, reply] = await t.query(api.messages.list, { threadId, token });
    expect(reply.status).toBe("stopped");
    expect(reply.text).toBe(body);
    expect(body.length).toBeLessThan(demoReplyText("stop me").length);
    await expectAtRest(t, streamId);
    expect((await readAll(t, streamId, token)).text).toBe(body);
    expect((await t.query(api.threads.get, { threadId, token })).status).toBe("idle");
  });
});

describe("messages:retry", () => {
  /** A chat whose first reply failed mid-way (the demo model's DEMO_FAIL_AFTER_TOKENS). */
  async function failedChat() {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0", DEMO_FAIL_AFTER_TOKENS: "5" });
    const chat = await newChat("How do I export my notes?");
    await drive(chat.t, chat.token, { streamId: chat.streamId }).then((res) => res.text().catch(() => ""));
    const [, reply] = await chat.t.query(api.messages.list, { threadId: chat.threadId, token: chat.token });
    expect(reply.status).toBe("error");
    setEnv({ DEMO_FAIL_AFTER_TOKENS: undefined });
    return chat;
  }

  test("replaces the failed last reply with a new pending one for the same prompt: one question, one answer", async () => {
    const { t, threadId, token, userMessageId, assistantMessageId, streamId } = await failedChat();
    const retried = await t.mutation(api.messages.retry, { threadId, token, messageId: assistantMessageId });
    expect(retried.streamId).not.toBe(streamId);
    const messages = await t.query(api.messages.list, { threadId, token });
    expect(messages.map((m) => [m._id, m.role, m.status])).toEqual([
      [userMessageId, "user", "done"],
      [retried.assistantMessageId, "assistant", "pending"],
    ]);
    expect((await t.query(api.threads.get, { threadId, token })).status).toBe("streaming");
    // Driving it answers the same question, with the failed attempt left out of the history.
    await (await drive(t, token, { streamId: retried.streamId })).text();
    const [, reply] = await t.query(api.messages.list, { threadId, token });
    expect(reply).toMatchObject({ status: "done", text: demoReplyText("How do I export my notes?"), error: null });
    // The failed attempt stays for operators, marked as replaced, and can no longer be driven.
    const session = await operatorSession(t);
    const all = await t.query(api.messages.list, { threadId, token: session });
    expect(all.map((m) => [m._id, m.supersededBy])).toEqual([
      [userMessageId, undefined],
      [assistantMessageId, retried.assistantMessageId],
      [retried.assistantMessageId, undefined],
    ]);
    expect(all[1].status).toBe("error");
    expect((await drive(t, token, { streamId })).status).not.toBe(200);
  });

  test("retries a stopped reply too", async () => {
    const { t, threadId, token, assistantMessageId } = await newChat();
    await t.mutation(api.messages.stop, { threadId, token });
    const retried = await t.mutation(api.messages.retry, { threadId, token, messageId: assistantMessageId });
    expect((await t.query(api.messages.list, { threadId, token })).map((m) => m._id)).toHaveLength(2);
    expect((await t.query(api.messages.list, { threadId, token }))[1]._id).toBe(retried.assistantMessageId);
  });

  test("REPLY_IN_PROGRESS while the reply is still pending; BAD_REQUEST for a reply that is not the last", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const { t, threadId, token, assistantMessageId, streamId } = await newChat();
    await expectCode(
      t.mutation(api.messages.retry, { threadId, token, messageId: assistantMessageId }),
      "REPLY_IN_PROGRESS",
    );
    await (await drive(t, token, { streamId })).text();
    const second = await send(t, threadId, token, "again");
    await t.mutation(api.messages.stop, { threadId, token });
    const old = await expectCode(
      t.mutation(api.messages.retry, { threadId, token, messageId: assistantMessageId }),
      "BAD_REQUEST",
    );
    expect(old.message).toBe("messageId is not this thread's last reply; only the last reply can be retried");
    await expectCode(
      t.mutation(api.messages.retry, { threadId, token, messageId: second.userMessageId }),
      "BAD_REQUEST",
    );
    await expectCode(t.mutation(api.messages.retry, { threadId, token, messageId: "not-an-id" }), "BAD_REQUEST");
  });

  test("only the thread's owner may retry: another visitor and an observer get UNAUTHORIZED", async () => {
    const { t, threadId, token, assistantMessageId } = await failedChat();
    const stranger = await newThread(t);
    await expectCode(
      t.mutation(api.messages.retry, { threadId, token: stranger.token, messageId: assistantMessageId }),
      "UNAUTHORIZED",
    );
    await expectCode(t.mutation(api.messages.retry, { threadId, messageId: assistantMessageId }), "UNAUTHORIZED");
    const { observerToken } = await t.mutation(api.threads.share, { threadId, token });
    await expectCode(
      t.mutation(api.messages.retry, { threadId, token: observerToken, messageId: assistantMessageId }),
      "UNAUTHORIZED",
    );
    expect((await t.query(api.messages.list, { threadId, token }))[1]).toMatchObject({
      _id: assistantMessageId,
      status: "error",
    });
  });

  test("costs a message from the visitor's budget: RATE_LIMITED once it is spent", async () => {
    setEnv({ RATE_LIMIT_MESSAGES_PER_MINUTE: "1" });
    const { t, threadId, token, assistantMessageId } = await newChat();
    await t.mutation(api.messages.stop, { threadId, token });
    const data = await expectCode(
      t.mutation(api.messages.retry, { threadId, token, messageId: assistantMessageId }),
      "RATE_LIMITED",
    );
    expect(data.retryAfterMs).toBeGreaterThan(0);
  });
});

describe("messages:list", () => {
  test("oldest first, with the final text once a reply finishes", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const t = setup();
    const { threadId, token } = await newThread(t);
    for (const prompt of ["one", "two"]) {
      const { streamId } = await send(t, threadId, token, prompt);
      await (await drive(t, token, { streamId })).text();
    }
    const list = await t.query(api.messages.list, { threadId, token });
    expect(list.map((m) => [m.role, m.status])).toEqual([
      ["user", "done"],
      ["assistant", "done"],
      ["user", "done"],
      ["assistant", "done"],
    ]);
    expect(list[3].text).toBe(demoReplyText("two"));
    expect(list[3].length).toBe(demoReplyText("two").length);
  });

  test("a page is at most 50 messages; `before` reads the page before it", async () => {
    const t = setup();
    const { threadId, token } = await newThread(t);
    await seedMessages(t, threadId, 60, "short");
    const newest = await t.query(api.messages.list, { threadId, token });
    expect(newest.map((m) => m.text)).toEqual(Array.from({ length: 50 }, (_, i) => `short ${i + 10}`));
    const earlier = await t.query(api.messages.list, { threadId, token, before: newest[0]._creationTime });
    expect(earlier.map((m) => m.text)).toEqual(Array.from({ length: 10 }, (_, i) => `short ${i}`));
    expect(await t.query(api.messages.list, { threadId, token, before: earlier[0]._creationTime })).toEqual([]);
  });

  test("a page stops once its text passes 128 K characters, and holds at least one message", async () => {
    const t = setup();
    const { threadId, token } = await newThread(t);
    await seedMessages(t, threadId, 5, "x".repeat(50_000));
    const page = await t.query(api.messages.list, { threadId, token });
    expect(page).toHaveLength(3); // 150,000 characters: the third passes the bound
    expect(page.length).toBeLessThan(MESSAGES_PAGE_MAX);
    await seedMessages(t, threadId, 1, "y".repeat(300_000));
    expect(await t.query(api.messages.list, { threadId, token })).toHaveLength(1);
  });

  test("the widget's page constants are the backend's", () => {
    expect({ max: WIDGET_PAGE_MAX, chars: WIDGET_PAGE_CHARS }).toEqual({
      max: MESSAGES_PAGE_MAX,
      chars: MESSAGES_PAGE_CHARS,
    });
  });
});

describe("messages:live", () => {
  test("the messages after `after`, replies without their text but with their final length", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const t = setup();
    const { threadId, token } = await newThread(t);
    await chat(t, threadId, token, "one");
    const [, firstReply] = await t.query(api.messages.list, { threadId, token });
    const second = await send(t, threadId, token, "two");

    const live = await t.query(api.messages.live, { threadId, token, after: firstReply._creationTime });
    expect(live.map((m) => [m.role, m.status, m.text, m.length])).toEqual([
      ["user", "done", "two", 3],
      ["assistant", "pending", "", 0],
    ]);
    await (await drive(t, token, { streamId: second.streamId })).text();
    const done = await t.query(api.messages.live, { threadId, token, after: firstReply._creationTime });
    expect(done[1]).toMatchObject({ status: "done", text: "", length: demoReplyText("two").length });
    // Without `after`: from the thread's start.
    expect(await t.query(api.messages.live, { threadId, token })).toHaveLength(4);
  });

  test("the driver starting a reply (pending → streaming) leaves the live end unchanged: nothing re-sent", async () => {
    const t = setup();
    const { threadId, token } = await newThread(t);
    const { streamId } = await send(t, threadId, token, "one");
    const before = await t.query(api.messages.live, { threadId, token });
    await new Promise((resolve) => setTimeout(resolve, 5)); // a later write: its updatedAt differs
    const begun = await t.mutation(internal.chat.begin, { streamId, tokenHash: await hashToken(token) });
    expect(begun.kind).toBe("start");
    expect((await t.query(api.messages.list, { threadId, token }))[1].status).toBe("streaming");
    expect(await t.query(api.messages.live, { threadId, token })).toEqual(before);
  });

  test("at most the newest 50 messages", async () => {
    const t = setup();
    const { threadId, token } = await newThread(t);
    await seedMessages(t, threadId, 60, "short");
    const live = await t.query(api.messages.live, { threadId, token });
    expect(live).toHaveLength(MESSAGES_LIVE_MAX);
    expect(live[0].text).toBe("short 10");
  });
});

/** `count` finished user messages `${text} ${i}` (or `text` alone when it is long), oldest first. */
async function seedMessages(t: T, threadId: string, count: number, text: string) {
  await t.run(async (ctx) => {
    for (let i = 0; i < count; i++) {
      await ctx.db.insert("messages", {
        threadId: threadId as Id<"threads">,
        role: "user",
        status: "done",
        text: text.length > 100 ? text : `${text} ${i}`,
        streamId: null,
        error: null,
        model: null,
        createdAt: Date.now(),
        updatedAt: Date.now(),
      });
    }
  });
}

/* -------------------------------------------------------------------- timeout */

async function expireStreams(t: T) {
  // The component's cleanup cron, 21 minutes later.
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now() + 21 * 60 * 1000);
  await t.mutation(
    (components.persistentTextStreaming.lib as unknown as Record<string, typeof internal.streams.reconcileTimeouts>)
      .cleanupExpiredStreams,
    {},
  );
}

describe("timeout", () => {
  test("a reply nobody drives shows `timeout` once the component's cron expires its stream", async () => {
    const { t, threadId, token, streamId } = await newChat();
    await expireStreams(t);
    expect((await t.query(api.messages.list, { threadId, token }))[1].status).toBe("timeout");
    expect((await t.query(api.streams.read, { streamId, token, cursor: 0 })).status).toBe("timeout");
    // A late POST cannot start it.
    expect((await drive(t, token, { streamId })).status).toBe(205);
    // Our reconciler (cron) finishes the message and frees the thread.
    expect(await t.mutation(internal.streams.reconcileTimeouts, {})).toEqual({ timedOut: 1 });
    const [, reply] = await t.query(api.messages.list, { threadId, token });
    expect(reply.status).toBe("timeout");
    expect(reply.error).toMatch(/timed out/);
    expect((await t.query(api.threads.get, { threadId, token })).status).toBe("error");
    expect(await t.mutation(internal.streams.reconcileTimeouts, {})).toEqual({ timedOut: 0 });
  });

  test("an expired reply the reconciler has not rewritten yet says how long its persisted text is", async () => {
    const { t, threadId, token, streamId } = await newChat();
    const messageId = (await t.query(api.messages.list, { threadId, token }))[1]._id;
    await t.run(async (ctx) => {
      await ctx.db.patch(messageId as Id<"messages">, { status: "streaming" });
      await ctx.db.insert("deltas", { streamId, seq: 0, start: 0, text: "Half a " });
    });
    await expireStreams(t);
    const [, listed] = await t.query(api.messages.list, { threadId, token });
    const [, live] = await t.query(api.messages.live, { threadId, token });
    // The text is not on the message yet: a viewer reads the 7 characters from streams:read.
    expect([listed.status, listed.text, listed.length]).toEqual(["timeout", "", 7]);
    expect([live.status, live.text, live.length]).toEqual(["timeout", "", 7]);
  });

  test("sending after a timed-out reply works without waiting for the reconciler", async () => {
    const t = setup();
    const { threadId, token } = await newThread(t);
    await send(t, threadId, token);
    await expireStreams(t);
    await send(t, threadId, token, "again");
    const statuses = (await t.query(api.messages.list, { threadId, token })).map((m) => m.status);
    expect(statuses).toEqual(["done", "timeout", "done", "pending"]);
  });

  test("stopping a timed-out reply records the timeout", async () => {
    const t = setup();
    const { threadId, token } = await newThread(t);
    await send(t, threadId, token);
    await expireStreams(t);
    await t.mutation(api.messages.stop, { threadId, token });
    expect((await t.query(api.messages.list, { threadId, token }))[1].status).toBe("timeout");
  });
});

/* -------------------------------------------------------------------- history */

describe("multi-turn history", () => {
  test("keeps the newest turns within the character budget, always the prompt, starting with a user turn", () => {
    const turns = [
      { role: "user" as const, content: "a".repeat(10) },
      { role: "assistant" as const, content: "b".repeat(10) },
      { role: "user" as const, content: "c".repeat(10) },
      { role: "assistant" as const, content: "" },
      { role: "assistant" as const, content: "d".repeat(10) },
      { role: "user" as const, content: "e".repeat(10) },
    ];
    expect(buildHistory(turns, 1000).map((t) => t.content[0])).toEqual(["a", "b", "c", "d", "e"]);
    expect(buildHistory(turns, 30).map((t) => t.content[0])).toEqual(["c", "d", "e"]);
    expect(buildHistory(turns, 20).map((t) => t.content[0])).toEqual(["e"]); // "d" would lead
    expect(buildHistory(turns, 0).map((t) => t.content[0])).toEqual(["e"]);
  });

  test("begin hands the model the thread's earlier turns (unfinished and failed replies skipped) within HISTORY_CHARS", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const t = setup();
    const { threadId, token } = await newThread(t);
    await chat(t, threadId, token, "first question");
    await send(t, threadId, token, "abandoned");
    await t.mutation(api.messages.stop, { threadId, token }); // stopped before any text: skipped
    const third = await send(t, threadId, token, "third question");
    const tokenHash = await t.run(async (ctx) => (await ctx.db.query("threads").first())!.visitorHash!);
    const begun = await t.mutation(internal.chat.begin, { streamId: third.streamId, tokenHash });
    expect(begun.kind).toBe("start");
    if (begun.kind !== "start") return;
    expect(begun.messages.map((m) => [m.role, m.content.slice(0, 14)])).toEqual([
      ["user", "first question"],
      ["assistant", demoReplyText("first question").slice(0, 14)],
      ["user", "abandoned"],
      ["user", "third question"],
    ]);

    setEnv({ HISTORY_CHARS: "20" });
    const t2 = setup();
    const th = await newThread(t2);
    const a = await send(t2, th.threadId, th.token, "an old question that is long");
    await (await drive(t2, th.token, { streamId: a.streamId })).text();
    const b = await send(t2, th.threadId, th.token, "new one");
    const hash2 = await t2.run(async (ctx) => (await ctx.db.query("threads").first())!.visitorHash!);
    const begun2 = await t2.mutation(internal.chat.begin, { streamId: b.streamId, tokenHash: hash2 });
    expect(begun2.kind === "start" && begun2.messages).toEqual([{ role: "user", content: "new one" }]);
  });
});

/* -------------------------------------------------------------------- operator & config */

describe("operator:listThreads", () => {
  test("streaming threads first, then newest activity, paginated", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const t = setup();
    const session = await operatorSession(t);
    const a = await newThread(t);
    const b = await newThread(t);
    const c = await newThread(t);
    const d = await newThread(t);
    await send(t, a.threadId, a.token, "a is streaming"); // a: pending reply
    const done = await send(t, c.threadId, c.token, "c finished");
    await (await drive(t, c.token, { streamId: done.streamId })).text();
    const first = await t.query(api.operator.listThreads, {
      token: session,
      paginationOpts: { numItems: 2, cursor: null },
    });
    expect(first.page.map((p) => p._id)).toEqual([a.threadId, c.threadId]);
    expect(first.page.every((p) => p.access === "operator")).toBe(true);
    expect(first.isDone).toBe(false);
    const second = await t.query(api.operator.listThreads, {
      token: session,
      paginationOpts: { numItems: 10, cursor: first.continueCursor },
    });
    expect(second.page.map((p) => p._id)).toEqual([d.threadId, b.threadId]);
    expect(second.isDone).toBe(true);
  });

  test("an operator identity may list; visitors, observers, the secret itself and near misses may not", async () => {
    const t = setup();
    await operatorSession(t);
    const { threadId, token } = await newThread(t);
    const { observerToken } = await t.mutation(api.threads.share, { threadId, token });
    const paginationOpts = { numItems: 10, cursor: null };
    const operator = { userId: "op", operator: true };
    expect((await t.query(api.operator.listThreads, { paginationOpts, identity: operator })).page).toHaveLength(1);
    for (const bad of [
      undefined,
      token,
      observerToken,
      OPERATOR_SECRET,
      `${OPERATOR_SECRET}x`,
      OPERATOR_SECRET.slice(0, -1),
    ]) {
      await expectCode(t.query(api.operator.listThreads, { token: bad, paginationOpts }), "UNAUTHORIZED");
    }
    await expectCode(
      t.query(api.operator.listThreads, { paginationOpts, identity: { userId: "u", operator: false } }),
      "UNAUTHORIZED",
    );
  });
});

describe("config:get", () => {
  test("reports the demo model by default", async () => {
    const t = setup();
    expect(await t.query(api.config.get, {})).toEqual({
      model: "demo",
      demo: true,
      maxPromptChars: 8000,
      maxFileBytes: 10485760,
      maxFilesPerMessage: 4,
    });
  });
  test("reports the configured provider's model", async () => {
    const t = setup();
    setEnv({ OPENAI_API_KEY: "sk-test", AI_MODEL: "gpt-test" });
    expect(await t.query(api.config.get, {})).toEqual({
      model: "gpt-test",
      demo: false,
      maxPromptChars: 8000,
      maxFileBytes: 10485760,
      maxFilesPerMessage: 4,
    });
    setEnv({ OPENAI_API_KEY: undefined, AI_MODEL: undefined, ANTHROPIC_API_KEY: "sk-ant" });
    expect((await t.query(api.config.get, {})).model).toBe("claude-sonnet-4-5");
    setEnv({ ANTHROPIC_API_KEY: undefined, OPENAI_BASE_URL: "http://127.0.0.1:11434/v1" });
    expect(await t.query(api.config.get, {})).toMatchObject({ model: "gpt-4o-mini", demo: false });
  });
});

describe("the global rate-limit bucket", () => {
  test("is sharded at high rates, never below 10 tokens a shard, and whole at low ones", () => {
    expect(globalShards(600)).toBe(5);
    expect(globalShards(6000)).toBe(50);
    expect(globalShards(60)).toBe(1);
    expect(globalShards(2)).toBe(1);
    for (const rate of [1, 10, 99, 600, 1234, 60_000])
      expect(rate / globalShards(rate)).toBeGreaterThanOrEqual(Math.min(rate, 10));
  });
});
