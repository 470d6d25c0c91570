// @vitest-environment node
// Provider code against fake OpenAI-compatible and Anthropic servers on 127.0.0.1.
import { afterEach, describe, expect, test, vi } from "vitest";
import { api } from "../../convex/_generated/api";
import { startFakeAnthropic, startFakeOpenAI, words, type FakeProvider } from "../support/fake-providers";
import { drive, expectAtRest, newChat, readAll, readBody, restoreEnv, send, setEnv, setup, waitFor } from "./setup";

let fake: FakeProvider | undefined;
afterEach(async () => {
  restoreEnv();
  await fake?.close();
  fake = undefined;
});

const REPLY = "Sure. Here is a list:\n\n- one\n- two\n\n```\nno punctuation here\n```\nDone!";

describe("OpenAI-compatible server (OPENAI_BASE_URL)", () => {
  test("slow tokens stream through as produced and persist progressively; request carries model, system prompt and stream", async () => {
    fake = await startFakeOpenAI(() => ({ tokens: words(REPLY), delayMs: 40 }));
    setEnv({ OPENAI_BASE_URL: fake.baseUrl, AI_MODEL: "llama3.2", AI_SYSTEM_PROMPT: "Be brief." });
    const { t, threadId, token, streamId } = await newChat("hello");
    const res = await drive(t, token, { streamId });
    expect(res.status).toBe(200);
    const bodyPromise = readBody(res);
    // Persisted while streaming: an observer sees a prefix before the end.
    const partial = await waitFor(
      () => readAll(t, streamId, token),
      (r) => r.text.length > 0,
    );
    expect(partial.status).toBe("streaming");
    expect(REPLY.startsWith(partial.text)).toBe(true);
    const { text, error } = await bodyPromise;
    expect(error).toBeNull();
    expect(text).toBe(REPLY);
    const [, reply] = await t.query(api.messages.list, { threadId, token });
    expect(reply).toMatchObject({ status: "done", text: REPLY, model: "llama3.2" });
    await expectAtRest(t, streamId);
    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0];
    expect(req.path).toBe("/v1/chat/completions");
    expect(req.body.model).toBe("llama3.2");
    expect(req.body.stream).toBe(true);
    expect(req.body.messages[0]).toEqual({ role: "system", content: "Be brief." });
    expect(req.body.messages.at(-1)).toEqual({ role: "user", content: "hello" });
  });

  test("sends earlier turns as history, within HISTORY_CHARS", async () => {
    fake = await startFakeOpenAI((body) => ({ tokens: words(`Answer ${body.messages.length}.`) }));
    setEnv({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: "sk-local" });
    const { t, threadId, token, streamId } = await newChat("first");
    await readBody(await drive(t, token, { streamId }));
    const second = await send(t, threadId, token, "second");
    await readBody(await drive(t, token, { streamId: second.streamId }));
    const turns = fake.requests[1].body.messages.filter((m: { role: string }) => m.role !== "system");
    expect(turns).toEqual([
      { role: "user", content: "first" },
      { role: "assistant", content: "Answer 2." },
      { role: "user", content: "second" },
    ]);
    expect(fake.requests[1].headers.authorization).toBe("Bearer sk-local");

    setEnv({ HISTORY_CHARS: "10" });
    const third = await send(t, threadId, token, "third");
    await readBody(await drive(t, token, { streamId: third.streamId }));
    expect(fake.requests[2].body.messages.filter((m: { role: string }) => m.role !== "system")).toEqual([
      { role: "user", content: "third" },
    ]);
  });

  test("a connection dropped mid-reply keeps the partial text and records a readable error", async () => {
    fake = await startFakeOpenAI(() => ({ tokens: words(REPLY), dropAfter: 4 }));
    setEnv({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: "sk-supersecret-key-123" });
    const { t, threadId, token, streamId } = await newChat();
    const logged = vi.spyOn(console, "error");
    const { text, error } = await readBody(await drive(t, token, { streamId }));
    // The log says which side broke off (undici's error for a socket the server closed), no key.
    const failures = logged.mock.calls.filter((c) => c[0] === "chat-stream model failed:");
    logged.mockRestore();
    expect(failures).toEqual([
      ["chat-stream model failed:", "AI_APICallError (HTTP 200) <- TypeError <- SocketError (UND_ERR_SOCKET)"],
    ]);
    expect(error).not.toBeNull();
    const expected = words(REPLY).slice(0, 4).join("");
    expect(text).toBe(expected);
    const [, reply] = await t.query(api.messages.list, { threadId, token });
    expect(reply.status).toBe("error");
    expect(reply.text).toBe(expected);
    expect(reply.error).toBe("The connection to the model provider was lost mid-reply.");
    await expectAtRest(t, streamId);
  });

  test("an in-stream error event keeps the partial text; the error never echoes keys or stacks", async () => {
    fake = await startFakeOpenAI(() => ({
      tokens: words(REPLY),
      errorAfter: 3,
      errorMessage: "boom for key sk-supersecret-key-123",
    }));
    setEnv({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: "sk-supersecret-key-123" });
    const { t, threadId, token, streamId } = await newChat();
    const { text } = await readBody(await drive(t, token, { streamId }));
    const [, reply] = await t.query(api.messages.list, { threadId, token });
    expect(reply.status).toBe("error");
    expect(reply.text).toBe(words(REPLY).slice(0, 3).join(""));
    expect(text).toBe(reply.text);
    expect(reply.error).toBeTruthy();
    expect(reply.error).not.toContain("sk-");
    expect(reply.error).not.toMatch(/\n\s+at /);
  });

  test("an HTTP error before streaming (bad key) fails the reply with a readable message and no key", async () => {
    fake = await startFakeOpenAI(() => ({
      tokens: [],
      status: 401,
      errorMessage: "Incorrect API key provided: sk-supersecret-key-123",
    }));
    setEnv({ OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: "sk-supersecret-key-123" });
    const { t, threadId, token, streamId } = await newChat();
    const { text } = await readBody(await drive(t, token, { streamId }));
    expect(text).toBe("");
    const [, reply] = await t.query(api.messages.list, { threadId, token });
    expect(reply).toMatchObject({ status: "error", text: "" });
    expect(reply.error).toBe("The model provider rejected the deployment's credentials (HTTP 401).");
    expect((await t.query(api.threads.get, { threadId, token })).status).toBe("error");
  });

  test("stop aborts the provider request within one flush and keeps exactly the streamed text", async () => {
    fake = await startFakeOpenAI(() => ({ tokens: Array.from({ length: 200 }, (_, i) => `w${i} `), delayMs: 15 }));
    setEnv({ OPENAI_BASE_URL: fake.baseUrl });
    const { t, threadId, token, streamId } = await newChat();
    const res = await drive(t, token, { streamId });
    const bodyPromise = readBody(res);
    await waitFor(
      () => readAll(t, streamId, token),
      (r) => r.text.length > 20,
    );
    await t.mutation(api.messages.stop, { threadId, token });
    const { text, error } = await bodyPromise;
    expect(error).toBeNull();
    const [, reply] = await t.query(api.messages.list, { threadId, token });
    expect(reply.status).toBe("stopped");
    expect(reply.text).toBe(text);
    expect(text.length).toBeLessThan(200 * 4);
    await expectAtRest(t, streamId);
    await waitFor(
      async () => fake!.requests[0].aborted,
      (aborted) => aborted,
    );
  });

  test("config:get reports the configured model", async () => {
    setEnv({ OPENAI_BASE_URL: "http://127.0.0.1:1/v1", AI_MODEL: "qwen2.5" });
    expect(await setup().query(api.config.get, {})).toEqual({
      model: "qwen2.5",
      demo: false,
      maxPromptChars: 8000,
      maxFileBytes: 10485760,
      maxFilesPerMessage: 4,
    });
  });
});

describe("Anthropic (ANTHROPIC_API_KEY)", () => {
  test("streams the reply; the request carries the key, model, system prompt and history", async () => {
    fake = await startFakeAnthropic(() => ({ tokens: words(REPLY), delayMs: 5 }));
    setEnv({ ANTHROPIC_API_KEY: "sk-ant-test", ANTHROPIC_BASE_URL: fake.baseUrl, AI_SYSTEM_PROMPT: "Be kind." });
    const { t, threadId, token, streamId } = await newChat("hi claude");
    const { text, error } = await readBody(await drive(t, token, { streamId }));
    expect(error).toBeNull();
    expect(text).toBe(REPLY);
    const [, reply] = await t.query(api.messages.list, { threadId, token });
    expect(reply).toMatchObject({ status: "done", text: REPLY, model: "claude-sonnet-4-5" });
    const req = fake.requests[0];
    expect(req.path).toBe("/v1/messages");
    expect(req.headers["x-api-key"]).toBe("sk-ant-test");
    expect(req.body.model).toBe("claude-sonnet-4-5");
    expect(JSON.stringify(req.body.system)).toContain("Be kind.");
    expect(req.body.messages).toEqual([{ role: "user", content: [{ type: "text", text: "hi claude" }] }]);
    expect(req.body.stream).toBe(true);
  });

  test("an overloaded error event mid-reply keeps the partial text and sets `error`", async () => {
    fake = await startFakeAnthropic(() => ({ tokens: words(REPLY), errorAfter: 5, errorMessage: "Overloaded" }));
    setEnv({ ANTHROPIC_API_KEY: "sk-ant-test", ANTHROPIC_BASE_URL: fake.baseUrl });
    const { t, threadId, token, streamId } = await newChat();
    const { text } = await readBody(await drive(t, token, { streamId }));
    const [, reply] = await t.query(api.messages.list, { threadId, token });
    expect(reply.status).toBe("error");
    expect(reply.text).toBe(words(REPLY).slice(0, 5).join(""));
    expect(text).toBe(reply.text);
    expect(reply.error).toBeTruthy();
  });

  test("stop aborts the Anthropic request too", async () => {
    fake = await startFakeAnthropic(() => ({ tokens: Array.from({ length: 200 }, (_, i) => `t${i} `), delayMs: 15 }));
    setEnv({ ANTHROPIC_API_KEY: "sk-ant-test", ANTHROPIC_BASE_URL: fake.baseUrl });
    const { t, threadId, token, streamId } = await newChat();
    const bodyPromise = readBody(await drive(t, token, { streamId }));
    await waitFor(
      () => readAll(t, streamId, token),
      (r) => r.text.length > 10,
    );
    await t.mutation(api.messages.stop, { threadId, token });
    const { text } = await bodyPromise;
    const [, reply] = await t.query(api.messages.list, { threadId, token });
    expect(reply).toMatchObject({ status: "stopped", text });
    await waitFor(
      async () => fake!.requests[0].aborted,
      (aborted) => aborted,
    );
  });
});
