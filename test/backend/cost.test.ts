// @vitest-environment node
// Bounded cost: every provider request carries the output cap, and daily token budgets counted
// from the provider's reported usage refuse sends until the next UTC day.
import { afterEach, describe, expect, test, vi } from "vitest";
import { api } from "../../convex/_generated/api";
import { demoTokens, demoReplyText } from "../../convex/lib/models";
import {
  startFakeAnthropic,
  startFakeOpenAI,
  startFakeOpenAIResponses,
  words,
  type FakeProvider,
  type Script,
} from "../support/fake-providers";
import {
  charged,
  chat,
  drive,
  expectCode,
  newChat,
  newThread,
  operatorSession,
  readBody,
  restoreEnv,
  send,
  setEnv,
  setup,
} from "./setup";

let fake: FakeProvider | undefined;
const realFetch = globalThis.fetch;
afterEach(async () => {
  restoreEnv();
  globalThis.fetch = realFetch;
  vi.useRealTimers();
  await fake?.close();
  fake = undefined;
});

const reply = (usage?: Script["usage"]): Script => ({ tokens: words("Short answer."), usage });

describe("the output cap (MAX_OUTPUT_TOKENS)", () => {
  test("OpenAI chat completions: max_tokens is 2,048 by default, MAX_OUTPUT_TOKENS when set", async () => {
    fake = await startFakeOpenAI(() => reply());
    setEnv({ OPENAI_BASE_URL: fake.baseUrl });
    const { t, threadId, token, streamId } = await newChat();
    await readBody(await drive(t, token, { streamId }));
    expect(fake.requests[0].path).toBe("/v1/chat/completions");
    expect(fake.requests[0].body.max_tokens).toBe(2048);
    setEnv({ MAX_OUTPUT_TOKENS: "300" });
    await chat(t, threadId, token);
    expect(fake.requests[1].body.max_tokens).toBe(300);
  });

  test("OpenAI Responses API (OPENAI_API_KEY, no base URL): max_output_tokens is the cap", async () => {
    fake = await startFakeOpenAIResponses(() => reply());
    const base = fake.baseUrl;
    // The Responses API is used only against OpenAI itself: send its requests to the fake.
    globalThis.fetch = (input, init) =>
      realFetch(String(input instanceof Request ? input.url : input).replace("https://api.openai.com/v1", base), init);
    setEnv({ OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: undefined, MAX_OUTPUT_TOKENS: "4096" });
    const { t, token, streamId } = await newChat();
    const { text } = await readBody(await drive(t, token, { streamId }));
    expect(text).toBe("Short answer.");
    expect(fake.requests[0].path).toBe("/v1/responses");
    expect(fake.requests[0].body.max_output_tokens).toBe(4096);
  });

  test("Anthropic messages: max_tokens is the cap (the SDK's default would be the model's 64,000)", async () => {
    fake = await startFakeAnthropic(() => reply());
    setEnv({ ANTHROPIC_API_KEY: "sk-ant-test", ANTHROPIC_BASE_URL: fake.baseUrl });
    const { t, token, streamId } = await newChat();
    await readBody(await drive(t, token, { streamId }));
    expect(fake.requests[0].path).toBe("/v1/messages");
    expect(fake.requests[0].body.max_tokens).toBe(2048);
  });

  test("the demo model stops at the cap too", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0", MAX_OUTPUT_TOKENS: "5" });
    const { t, token, streamId } = await newChat("hi");
    const { text } = await readBody(await drive(t, token, { streamId }));
    expect(text).toBe(demoTokens(demoReplyText("hi")).slice(0, 5).join(""));
  });
});

describe("daily token budgets", () => {
  test("usage the provider reports is charged to the deployment and the visitor, and operators see it", async () => {
    fake = await startFakeOpenAI(() => reply({ input: 120, output: 30 }));
    setEnv({ OPENAI_BASE_URL: fake.baseUrl });
    const t = setup();
    const session = await operatorSession(t);
    const a = await newThread(t);
    const b = await newThread(t);
    await chat(t, a.threadId, a.token);
    await chat(t, b.threadId, b.token);
    const usage = await t.query(api.operator.usage, { token: session });
    expect(usage).toMatchObject({ tokens: 300, budget: 500_000 });
    expect(usage.resetsAt - Date.now()).toBeLessThanOrEqual(24 * 60 * 60 * 1000);
    await expectCode(t.query(api.operator.usage, { token: a.token }), "UNAUTHORIZED");
  });

  test("VISITOR_DAILY_TOKENS: a visitor over it gets BUDGET_EXHAUSTED with the time it resets; others still chat", async () => {
    fake = await startFakeAnthropic(() => reply({ input: 60, output: 40 }));
    setEnv({ ANTHROPIC_API_KEY: "k", ANTHROPIC_BASE_URL: fake.baseUrl, VISITOR_DAILY_TOKENS: "150" });
    const t = setup();
    const heavy = await newThread(t);
    await chat(t, heavy.threadId, heavy.token); // 100
    await chat(t, heavy.threadId, heavy.token); // 200: over 150
    const data = await expectCode(send(t, heavy.threadId, heavy.token), "BUDGET_EXHAUSTED");
    expect(data).toMatchObject({ scope: "visitor", limit: 150 });
    expect(data.message).toMatch(
      /your model budget for today \(150 tokens\); sending works again at 00:00 UTC \(in \d+ (minutes?|hours)\)/,
    );
    expect(Number(data.resetsAt) % (24 * 60 * 60 * 1000)).toBe(0); // the next UTC midnight
    expect(Number(data.resetsAt) - Date.now()).toBeGreaterThanOrEqual(Number(data.retryAfterMs) - 1000);
    const other = await newThread(t);
    expect(await chat(t, other.threadId, other.token)).toBe("Short answer.");
  });

  test("DAILY_TOKEN_BUDGET: exhausted for everyone, and sending works again the next UTC day", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2026-11-30T22:00:00Z"));
    setEnv({ DEMO_TOKEN_DELAY_MS: "0", DAILY_TOKEN_BUDGET: "100" });
    const t = setup();
    const a = await newThread(t);
    await chat(t, a.threadId, a.token); // the demo model reports ~100+ tokens
    const b = await newThread(t);
    const data = await expectCode(send(t, b.threadId, b.token), "BUDGET_EXHAUSTED");
    expect(data).toMatchObject({ scope: "deployment", limit: 100, retryAfterMs: 2 * 60 * 60 * 1000 });
    expect(data.message).toBe(
      "This chat has used today's model budget of 100 tokens; sending works again at 00:00 UTC (in 2 hours).",
    );
    await expectCode(send(t, a.threadId, a.token), "BUDGET_EXHAUSTED");
    vi.setSystemTime(new Date("2026-12-01T00:00:01Z"));
    expect(await chat(t, b.threadId, b.token)).toContain("demo model");
  });

  test("a reply stopped before the provider reports usage is still charged (estimated from its characters)", async () => {
    fake = await startFakeOpenAI(() => ({ tokens: words("x ".repeat(200)), delayMs: 5 }));
    setEnv({ OPENAI_BASE_URL: fake.baseUrl });
    const t = setup();
    const session = await operatorSession(t);
    const { threadId, token } = await newThread(t);
    const { streamId } = await send(t, threadId, token, "p".repeat(400));
    const res = await drive(t, token, { streamId });
    const reader = res.body!.getReader();
    await reader.read();
    await t.mutation(api.messages.stop, { threadId, token });
    while (!(await reader.read()).done);
    await charged(t);
    const usage = await t.query(api.operator.usage, { token: session });
    expect(usage.tokens).toBeGreaterThanOrEqual(100); // ≥ the prompt's 400 characters / 4
  });
});
