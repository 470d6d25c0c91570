// @vitest-environment node
// Human handoff (convex/handoff.ts): an operator takes a live thread over, writes as a person,
// hands it back; while held, no send path starts a reply or a model request.
import { afterEach, describe, expect, test } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import { PERSON_MARK } from "../../convex/lib/sending";
import { startFakeOpenAI, words, type FakeProvider } from "../support/fake-providers";
import {
  expectAtRest,
  drive,
  expectCode,
  newThread,
  operatorSession,
  readAll,
  readBody,
  restoreEnv,
  send,
  setEnv,
  setup,
  waitFor,
} from "./setup";

let fake: FakeProvider | undefined;
afterEach(async () => {
  restoreEnv();
  await fake?.close();
  fake = undefined;
});

/** A fake OpenAI server answering "Answer N." (N: the request's message count), and a thread. */
async function scene() {
  fake = await startFakeOpenAI((body) => ({ tokens: words(`Answer ${body.messages.length}.`) }));
  setEnv({ OPENAI_BASE_URL: fake.baseUrl });
  const t = setup();
  const { threadId, token } = await newThread(t);
  const operator = await operatorSession(t, "Dana");
  return { t, threadId, token, operator };
}

describe("taking over", () => {
  test("mid-reply: the reply ends stopped with its text kept, the model request aborted, the thread held by name", async () => {
    fake = await startFakeOpenAI(() => ({ tokens: Array.from({ length: 200 }, (_, i) => `w${i} `), delayMs: 15 }));
    setEnv({ OPENAI_BASE_URL: fake.baseUrl });
    const t = setup();
    const { threadId, token } = await newThread(t);
    const operator = await operatorSession(t, "Dana");
    const { streamId } = await send(t, threadId, token, "help");
    const body = readBody(await drive(t, token, { streamId }));
    await waitFor(
      () => readAll(t, streamId, token),
      (r) => r.text.length > 20,
    );
    expect(await t.mutation(api.handoff.takeOver, { threadId, token: operator })).toEqual({ heldBy: "Dana" });
    const { text } = await body;
    const [, reply] = await t.query(api.messages.list, { threadId, token });
    expect(reply).toMatchObject({ status: "stopped", text });
    expect(text.length).toBeGreaterThan(20);
    expect(text.length).toBeLessThan(200 * 4);
    // Finished: its stream and deltas are deleted; the message's text is its one copy.
    await expectAtRest(t, streamId);
    await waitFor(
      async () => fake!.requests[0].aborted,
      (aborted) => aborted,
    );
    expect(await t.query(api.threads.get, { threadId, token })).toMatchObject({ heldBy: "Dana" });
  });

  test("a second operator is refused with HELD_BY_OPERATOR naming who, unless forced", async () => {
    const { t, threadId, operator } = await scene();
    const second = await operatorSession(t, "Sam");
    await t.mutation(api.handoff.takeOver, { threadId, token: operator });
    const data = await expectCode(t.mutation(api.handoff.takeOver, { threadId, token: second }), "HELD_BY_OPERATOR");
    expect(data.heldBy).toBe("Dana");
    expect(data.message).toContain("Dana");
    await expectCode(t.mutation(api.handoff.reply, { threadId, token: second, text: "hi" }), "HELD_BY_OPERATOR");
    await expectCode(t.mutation(api.handoff.handBack, { threadId, token: second }), "HELD_BY_OPERATOR");
    expect(await t.mutation(api.handoff.takeOver, { threadId, token: second, force: true })).toEqual({ heldBy: "Sam" });
    const state = await t.query(api.handoff.state, { threadId, token: second });
    expect(state).toMatchObject({ heldBy: "Sam", heldByMe: true });
    expect((await t.query(api.handoff.state, { threadId, token: operator })).heldByMe).toBe(false);
  });

  test("an operator identity takes over under the name its host passes", async () => {
    const { t, threadId, token } = await scene();
    const identity = { userId: "user|42", operator: true };
    expect(await t.mutation(api.handoff.takeOver, { threadId, identity, name: "Lee" })).toEqual({ heldBy: "Lee" });
    expect((await t.query(api.handoff.state, { threadId, token })).heldBy).toBe("Lee");
  });
});

describe("while held", () => {
  test("the operator's message is stored with its role and name and read live by the visitor", async () => {
    const { t, threadId, token, operator } = await scene();
    await t.mutation(api.handoff.takeOver, { threadId, token: operator });
    await t.mutation(api.handoff.reply, { threadId, token: operator, text: "Hi, Dana here." });
    const live = await t.query(api.messages.live, { threadId, token });
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ role: "operator", author: "Dana", text: "Hi, Dana here.", status: "done" });
  });

  test("a visitor's send on every path stores the prompt and starts no reply and no model request", async () => {
    const { t, threadId, token, operator } = await scene();
    await t.mutation(api.handoff.takeOver, { threadId, token: operator });
    // messages:send
    const sent = await t.mutation(api.messages.send, { threadId, token, prompt: "one" });
    expect(sent).toEqual({ userMessageId: expect.any(String), heldBy: "Dana" });
    // POST /chat-stream {prompt}: 202, the ids in X-Chat-Reply, no body.
    const res = await drive(t, null, { prompt: "two", threadId, token });
    expect(res.status).toBe(202);
    expect(JSON.parse(res.headers.get("X-Chat-Reply")!)).toMatchObject({ threadId, heldBy: "Dana" });
    expect(await res.text()).toBe("");
    // chat:queue
    const queued = await t.mutation(api.chat.queue, { token, threadId, prompt: "three" });
    expect(queued).toMatchObject({ threadId, heldBy: "Dana" });
    await t.finishAllScheduledFunctions(() => {});
    const messages = await t.query(api.messages.list, { threadId, token });
    expect(messages.map((m) => [m.role, m.text])).toEqual([
      ["user", "one"],
      ["user", "two"],
      ["user", "three"],
    ]);
    expect(fake!.requests).toHaveLength(0);
    expect((await t.query(api.threads.get, { threadId, token })).status).toBe("idle");
  });

  test("a held send still counts against the visitor's message rate", async () => {
    const { t, threadId, token, operator } = await scene();
    setEnv({ RATE_LIMIT_MESSAGES_PER_MINUTE: "2" });
    await t.mutation(api.handoff.takeOver, { threadId, token: operator });
    const held = (prompt: string) => t.mutation(api.messages.send, { threadId, token, prompt });
    await held("a");
    await held("b");
    await expectCode(held("c"), "RATE_LIMITED");
  });

  test("retrying a failed reply is refused with HELD_BY_OPERATOR", async () => {
    const { t, threadId, token, operator } = await scene();
    const { assistantMessageId } = await send(t, threadId, token, "x");
    await t.mutation(api.messages.stop, { threadId, token });
    await t.mutation(api.handoff.takeOver, { threadId, token: operator });
    await expectCode(
      t.mutation(api.messages.retry, { threadId, token, messageId: assistantMessageId }),
      "HELD_BY_OPERATOR",
    );
  });
});

describe("handing back", () => {
  test("the next message gets an AI reply whose model request carries the operator's turn, marked as a person's", async () => {
    const { t, threadId, token, operator } = await scene();
    await t.mutation(api.handoff.takeOver, { threadId, token: operator });
    await t.mutation(api.messages.send, { threadId, token, prompt: "Is anyone there?" });
    await t.mutation(api.handoff.reply, { threadId, token: operator, text: "Yes, I refunded you." });
    await t.mutation(api.handoff.handBack, { threadId, token: operator });
    expect((await t.query(api.threads.get, { threadId, token })).heldBy).toBeUndefined();
    const { streamId } = await send(t, threadId, token, "Thanks, and what next?");
    const { text } = await readBody(await drive(t, token, { streamId }));
    expect(text).toBe("Answer 4.");
    expect(fake!.requests).toHaveLength(1);
    const turns = fake!.requests[0].body.messages.filter((m: { role: string }) => m.role !== "system");
    expect(turns).toEqual([
      { role: "user", content: "Is anyone there?" },
      { role: "assistant", content: `${PERSON_MARK("Dana")}\nYes, I refunded you.` },
      { role: "user", content: "Thanks, and what next?" },
    ]);
  });

  test("an operator's sign-out, or their session's expiry, hands their threads back", async () => {
    const { t, threadId, token, operator } = await scene();
    await t.mutation(api.handoff.takeOver, { threadId, token: operator });
    await t.mutation(api.operator.signOut, { token: operator });
    expect((await t.query(api.threads.get, { threadId, token })).heldBy).toBeUndefined();

    const later = await operatorSession(t, "Kim");
    await t.mutation(api.handoff.takeOver, { threadId, token: later });
    const sessionId = await t.run(async (ctx) => {
      const row = (await ctx.db.query("operatorSessions").collect()).find((s) => s.name === "Kim")!;
      await ctx.db.patch(row._id, { expiresAt: Date.now() - 1 });
      return row._id;
    });
    await t.mutation(internal.cleanup.expireSession, { sessionId });
    expect((await t.query(api.threads.get, { threadId, token })).heldBy).toBeUndefined();
    const { streamId } = await send(t, threadId, token, "back to the AI");
    expect(streamId).toEqual(expect.any(String));
  });
});

describe("asking for a person, typing, presence", () => {
  test("requestHuman flags the thread for the console until an operator takes it", async () => {
    const { t, threadId, token, operator } = await scene();
    const other = await newThread(t);
    await t.mutation(api.handoff.requestHuman, { threadId, token });
    await t.mutation(api.handoff.requestHuman, { threadId, token });
    const waiting = await t.query(api.handoff.needsHuman, { token: operator });
    expect(waiting.map((w) => w._id)).toEqual([threadId]);
    expect(waiting[0].needsHumanAt).toEqual(expect.any(Number));
    expect(waiting.map((w) => w._id)).not.toContain(other.threadId);
    await t.mutation(api.handoff.takeOver, { threadId, token: operator });
    expect(await t.query(api.handoff.needsHuman, { token: operator })).toEqual([]);
  });

  test("typing is written at most once per 3 s per side; the other side reads it", async () => {
    const { t, threadId, token, operator } = await scene();
    await t.mutation(api.handoff.typing, { threadId, token });
    const first = (await t.query(api.handoff.state, { threadId, token: operator })).visitorTypingAt;
    expect(first).toEqual(expect.any(Number));
    await t.mutation(api.handoff.typing, { threadId, token });
    expect((await t.query(api.handoff.state, { threadId, token: operator })).visitorTypingAt).toBe(first);
    const rows = await t.run(async (ctx) => await ctx.db.query("typing").collect());
    expect(rows).toHaveLength(1);
    await t.mutation(api.handoff.typing, { threadId, token: operator });
    expect((await t.query(api.handoff.state, { threadId, token })).operatorTypingAt).toEqual(expect.any(Number));
    // The operator's message ends their typing.
    await t.mutation(api.handoff.reply, { threadId, token: operator, text: "done" });
    expect((await t.query(api.handoff.state, { threadId, token })).operatorTypingAt).toBeNull();
  });

  test("an operator's heartbeat makes them online for a minute; sign-out takes them offline", async () => {
    const { t, threadId, token, operator } = await scene();
    expect((await t.query(api.handoff.state, { threadId, token })).operatorOnlineUntil).toBe(0);
    const { onlineUntil } = await t.mutation(api.handoff.heartbeat, { token: operator });
    const state = await t.query(api.handoff.state, { threadId, token });
    expect(state.operatorOnlineUntil).toBe(onlineUntil);
    expect(onlineUntil - state.now).toBeGreaterThan(50_000);
    // A second beat within 30 s writes nothing.
    expect(await t.mutation(api.handoff.heartbeat, { token: operator })).toEqual({ onlineUntil });
    await t.mutation(api.operator.signOut, { token: operator });
    expect((await t.query(api.handoff.state, { threadId, token })).operatorOnlineUntil).toBe(0);
  });

  test("operator messages are validated like prompts", async () => {
    const { t, threadId, operator } = await scene();
    setEnv({ MAX_PROMPT_CHARS: "10" });
    await expectCode(t.mutation(api.handoff.reply, { threadId, token: operator, text: "  " }), "EMPTY_PROMPT");
    await expectCode(
      t.mutation(api.handoff.reply, { threadId, token: operator, text: "x".repeat(11) }),
      "PROMPT_TOO_LONG",
    );
  });
});
