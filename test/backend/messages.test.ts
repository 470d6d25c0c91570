import { globalShards } from "../../convex/lib/limits";
import { afterEach, describe, expect, test, vi } from "vitest";
import { api, components, internal } from "../../convex/_generated/api";
import { demoReplyText } from "../../convex/lib/models";
import { buildHistory } from "../../convex/lib/modelConfig";
import {
  componentBody,
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
    expect(user).toMatchObject({ _id: ids.userMessageId, role: "user", status: "done", text: "How do I reset my password?\nThanks", streamId: null, model: null, error: null });
    expect(assistant).toMatchObject({ _id: ids.assistantMessageId, role: "assistant", status: "pending", text: "", streamId: ids.streamId, model: "demo", error: null });
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
    expect(await t.query(api.config.get, {})).toEqual({ model: "demo", demo: true, maxPromptChars: 100 });
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
    setEnv({ RATE_LIMIT_GLOBAL_PER_MINUTE: "2", RATE_LIMIT_NEW_VISITOR_MESSAGES_PER_MINUTE: "2" });
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
    expect((await componentBody(t, streamId)).text).toBe(body);
    expect((await componentBody(t, streamId)).status).toBe("done");
    expect((await readAll(t, streamId, token)).text).toBe(body);
    expect((await t.query(api.threads.get, { threadId, token })).status).toBe("idle");
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
  });
});

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
    const first = await send(t, threadId, token, "first question");
    await (await drive(t, token, { streamId: first.streamId })).text();
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
    const first = await t.query(api.operator.listThreads, { token: session, paginationOpts: { numItems: 2, cursor: null } });
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

  test("an identity with roles [operator] may list; visitors, observers, the secret itself and near misses may not", async () => {
    const t = setup();
    await operatorSession(t);
    const { threadId, token } = await newThread(t);
    const { observerToken } = await t.mutation(api.threads.share, { threadId, token });
    const paginationOpts = { numItems: 10, cursor: null };
    const ops = t.withIdentity({ subject: "op", roles: ["support", "operator"] });
    expect((await ops.query(api.operator.listThreads, { paginationOpts })).page).toHaveLength(1);
    for (const bad of [undefined, token, observerToken, OPERATOR_SECRET, `${OPERATOR_SECRET}x`, OPERATOR_SECRET.slice(0, -1)]) {
      await expectCode(t.query(api.operator.listThreads, { token: bad, paginationOpts }), "UNAUTHORIZED");
    }
    await expectCode(t.withIdentity({ subject: "u", role: "user" }).query(api.operator.listThreads, { paginationOpts }), "UNAUTHORIZED");
  });
});

describe("config:get", () => {
  test("reports the demo model by default", async () => {
    const t = setup();
    expect(await t.query(api.config.get, {})).toEqual({ model: "demo", demo: true, maxPromptChars: 8000 });
  });
  test("reports the configured provider's model", async () => {
    const t = setup();
    setEnv({ OPENAI_API_KEY: "sk-test", AI_MODEL: "gpt-test" });
    expect(await t.query(api.config.get, {})).toEqual({ model: "gpt-test", demo: false, maxPromptChars: 8000 });
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
    for (const rate of [1, 10, 99, 600, 1234, 60_000]) expect(rate / globalShards(rate)).toBeGreaterThanOrEqual(Math.min(rate, 10));
  });
});
