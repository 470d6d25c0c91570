// POST /chat-stream {prompt}: the one request from Send to the model. A new visitor, a new
// thread, the prompt and the reply are stored and begun by the request itself; refusals keep
// the codes of threads:create and messages:send, and store nothing.
import { afterEach, describe, expect, test } from "vitest";
import { api } from "../../convex/_generated/api";
import { CHAT_REPLY_HEADER, type ChatStreamBody, parseReplyHeader } from "../../convex/lib/chatProtocol";
import { demoReplyText } from "../../convex/lib/models";
import {
  cheapPow,
  expectAtRest,
  fakeSiteverify,
  newThread,
  solvedPow,
  readBody,
  restoreEnv,
  send,
  setEnv,
  setup,
  type T,
  waitFor,
  started,
} from "./setup";

let siteverify: { close: () => Promise<void> } | null = null;
afterEach(async () => {
  restoreEnv();
  await siteverify?.close();
  siteverify = null;
});

/** What the widget sends: a CORS-simple POST (text/plain, no Authorization header). */
/** POSTs as the widget does: a new visitor (no token) brings a solved proof-of-work challenge. */
async function post(t: T, body: ChatStreamBody | string, headers: Record<string, string> = {}) {
  if (typeof body !== "string" && !("token" in body) && !("streamId" in body)) {
    cheapPow();
    body = { ...body, pow: await solvedPow(t) };
  }
  return await t.fetch("/chat-stream", {
    method: "POST",
    headers: { "Content-Type": "text/plain;charset=UTF-8", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function counts(t: T) {
  return await t.run(async (ctx) => ({
    visitors: (await ctx.db.query("visitors").collect()).length,
    threads: (await ctx.db.query("threads").collect()).length,
    messages: (await ctx.db.query("messages").collect()).length,
  }));
}

describe("a new visitor's first message", () => {
  test("mints the visitor, creates the thread, stores the prompt and streams the reply, all in one request", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const t = setup();
    const res = await post(t, { prompt: "Where is my order?" }, { Origin: "https://shop.example" });
    expect(res.status).toBe(200);
    const reply = parseReplyHeader(res.headers.get(CHAT_REPLY_HEADER));
    expect(reply).not.toBeNull();
    const { threadId, token, streamId, assistantMessageId, userMessageId } = started(reply!);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const body = (await readBody(res)).text;
    expect(body).toBe(demoReplyText("Where is my order?"));

    const messages = await t.query(api.messages.list, { threadId, token });
    expect(messages.map((m) => [m._id, m.role, m.status, m.text])).toEqual([
      [userMessageId, "user", "done", "Where is my order?"],
      [assistantMessageId, "assistant", "done", body],
    ]);
    expect(messages[1].streamId).toBe(streamId);
    await expectAtRest(t, streamId);
    const [thread] = await t.query(api.threads.listMine, { token });
    expect(thread).toMatchObject({ _id: threadId, title: "Where is my order?", origin: "https://shop.example" });
    // The minted token is a visitor token like any other: the next send is accepted with it.
    const again = await post(t, { prompt: "And the invoice?", threadId, token });
    expect(again.status).toBe(200);
    expect(parseReplyHeader(again.headers.get(CHAT_REPLY_HEADER))).toMatchObject({ threadId });
  });

  test("a cross-origin page can read the ids: the header is exposed by CORS", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const t = setup();
    const res = await post(t, { prompt: "hi" }, { Origin: "https://shop.example" });
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("https://shop.example");
    const exposed = (res.headers.get("Access-Control-Expose-Headers") ?? "").toLowerCase().split(/,\s*/);
    expect(exposed).toContain(CHAT_REPLY_HEADER.toLowerCase());
    await readBody(res);
  });
});

describe("a later message", () => {
  test("goes to the visitor's thread with their token; no new token comes back", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const t = setup();
    const { threadId, token } = await newThread(t);
    const res = await post(t, { prompt: "second question", threadId, token });
    expect(res.status).toBe(200);
    const reply = started(parseReplyHeader(res.headers.get(CHAT_REPLY_HEADER))!);
    expect(reply.threadId).toBe(threadId);
    expect(reply.token).toBeUndefined();
    await readBody(res);
    const messages = await t.query(api.messages.list, { threadId, token });
    expect(messages.map((m) => m.text)).toEqual(["second question", demoReplyText("second question")]);
  });

  test("the model sees the earlier turns", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const t = setup();
    const first = await post(t, { prompt: "one" });
    const { threadId, token } = parseReplyHeader(first.headers.get(CHAT_REPLY_HEADER))!;
    await readBody(first);
    const second = await post(t, { prompt: "two", threadId, token });
    await readBody(second);
    const messages = await t.query(api.messages.list, { threadId, token: token! });
    expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "user", "assistant"]);
  });
});

describe("a request sent again (its answer was lost on the way)", () => {
  test("finds the prompt it stored: 205 with the same ids, nothing stored twice, the reply driven once", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "5" });
    const t = setup();
    const { threadId, token } = await newThread(t);
    const body: ChatStreamBody = { prompt: "only once", threadId, token, requestId: "req-1" };
    const first = await post(t, body);
    expect(first.status).toBe(200);
    const again = await post(t, body);
    expect(again.status).toBe(205);
    expect(parseReplyHeader(again.headers.get(CHAT_REPLY_HEADER))).toEqual(
      parseReplyHeader(first.headers.get(CHAT_REPLY_HEADER)),
    );
    const text = (await readBody(first)).text;
    const messages = await t.query(api.messages.list, { threadId, token });
    expect(messages.map((m) => [m.role, m.status, m.text])).toEqual([
      ["user", "done", "only once"],
      ["assistant", "done", text],
    ]);
    // Another request ID is another message.
    const next = await post(t, { ...body, requestId: "req-2" });
    expect(next.status).toBe(200);
    await readBody(next);
  });
});

describe("retry", () => {
  test("replaces the stopped last reply with a new one in the same request", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const t = setup();
    const { threadId, token } = await newThread(t);
    const { assistantMessageId } = await send(t, threadId, token, "try me");
    await t.mutation(api.messages.stop, { threadId, token });
    const res = await post(t, { retry: assistantMessageId, threadId, token });
    expect(res.status).toBe(200);
    const reply = started(parseReplyHeader(res.headers.get(CHAT_REPLY_HEADER))!);
    expect(reply.userMessageId).toBeUndefined();
    expect(reply.assistantMessageId).not.toBe(assistantMessageId);
    const body = (await readBody(res)).text;
    const messages = await t.query(api.messages.list, { threadId, token });
    expect(messages.map((m) => [m._id, m.status, m.text])).toEqual([
      [messages[0]._id, "done", "try me"],
      [reply.assistantMessageId, "done", body],
    ]);
  });

  test("of a finished reply (regenerate): a new reply to the same prompt, streamed in the same request", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const t = setup();
    const { threadId, token } = await newThread(t);
    const first = await post(t, { prompt: "q", threadId, token });
    const { assistantMessageId } = started(parseReplyHeader(first.headers.get(CHAT_REPLY_HEADER))!);
    await readBody(first);
    const res = await post(t, { retry: assistantMessageId, threadId, token });
    expect(res.status).toBe(200);
    const again = parseReplyHeader(res.headers.get(CHAT_REPLY_HEADER))!;
    expect((await readBody(res)).text).toBe(demoReplyText("q"));
    const shown = await t.query(api.messages.list, { threadId, token });
    expect(shown.map((m) => [m.role, m._id === started(again).assistantMessageId])).toEqual([
      ["user", false],
      ["assistant", true],
    ]);
  });

  test("of a reply that is not the last is refused with the mutation's code", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const t = setup();
    const { threadId, token } = await newThread(t);
    const first = await post(t, { prompt: "q", threadId, token });
    const { assistantMessageId } = started(parseReplyHeader(first.headers.get(CHAT_REPLY_HEADER))!);
    await readBody(first);
    await readBody(await post(t, { prompt: "q2", threadId, token }));
    const res = await post(t, { retry: assistantMessageId, threadId, token });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "BAD_REQUEST" });
  });
});

describe("refusals keep their codes and store nothing", () => {
  test("an empty prompt: 400 EMPTY_PROMPT, and no visitor is minted", async () => {
    const t = setup();
    const res = await post(t, { prompt: "   " });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "EMPTY_PROMPT" });
    expect(await counts(t)).toEqual({ visitors: 0, threads: 0, messages: 0 });
  });

  test("a prompt over the limit: PROMPT_TOO_LONG naming the length and the limit, not a body-size refusal", async () => {
    setEnv({ MAX_PROMPT_CHARS: "100" });
    const t = setup();
    const res = await post(t, { prompt: "é".repeat(101) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe("PROMPT_TOO_LONG");
    expect(body.message).toContain("101");
    expect(body.message).toContain("100");
    expect(await counts(t)).toEqual({ visitors: 0, threads: 0, messages: 0 });
  });

  test("a token this deployment never issued: 401 UNAUTHORIZED", async () => {
    const t = setup();
    const res = await post(t, { prompt: "hi", token: "a".repeat(43) });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: "UNAUTHORIZED" });
    expect(await counts(t)).toEqual({ visitors: 0, threads: 0, messages: 0 });
  });

  test("another visitor's thread: 401 UNAUTHORIZED, the same as a thread that does not exist", async () => {
    const t = setup();
    const owner = await newThread(t);
    const other = await newThread(t);
    const res = await post(t, { prompt: "hi", threadId: owner.threadId, token: other.token });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: "UNAUTHORIZED" });
    expect((await counts(t)).messages).toBe(0);
  });

  test("a reply still running: 409 REPLY_IN_PROGRESS", async () => {
    const t = setup();
    const { threadId, token } = await newThread(t);
    await send(t, threadId, token);
    const res = await post(t, { prompt: "again", threadId, token });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ code: "REPLY_IN_PROGRESS" });
  });

  test("over the visitor's message rate: 429 RATE_LIMITED with Retry-After", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0", RATE_LIMIT_MESSAGES_PER_MINUTE: "1" });
    const t = setup();
    const { threadId, token } = await newThread(t);
    await readBody(await post(t, { prompt: "one", threadId, token }));
    const res = await post(t, { prompt: "two", threadId, token });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
    const body = (await res.json()) as { code: string; retryAfterMs: number };
    expect(body.code).toBe("RATE_LIMITED");
    expect(body.retryAfterMs).toBeGreaterThan(0);
  });

  test("over the minting rate: 429 TOO_MANY_VISITORS", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0", RATE_LIMIT_NEW_VISITORS_PER_MINUTE: "1" });
    const t = setup();
    await readBody(await post(t, { prompt: "one" }));
    const res = await post(t, { prompt: "one" });
    expect(res.status).toBe(429);
    expect(await res.json()).toMatchObject({ code: "TOO_MANY_VISITORS" });
    expect((await counts(t)).visitors).toBe(1);
  });

  test("a body that is not a request: 400 BAD_REQUEST", async () => {
    const t = setup();
    for (const body of ["not json", "[]", JSON.stringify({ prompt: 5 }), JSON.stringify({ retry: "x" })]) {
      const res = await post(t, body);
      expect(res.status, body).toBe(400);
      expect(await res.json()).toMatchObject({ code: "BAD_REQUEST" });
    }
  });

  test("a page outside ALLOWED_ORIGINS: 403 ORIGIN_NOT_ALLOWED", async () => {
    setEnv({ ALLOWED_ORIGINS: "https://shop.example" });
    const t = setup();
    const res = await post(t, { prompt: "hi" }, { Origin: "https://evil.example" });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: "ORIGIN_NOT_ALLOWED" });
    expect(await counts(t)).toEqual({ visitors: 0, threads: 0, messages: 0 });
  });
});

describe("with Turnstile on", () => {
  test("the check's token travels in the same request; without a valid one nothing is minted", async () => {
    siteverify = await fakeSiteverify("good");
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const t = setup();
    const missing = await post(t, { prompt: "hi" });
    expect(missing.status).toBe(403);
    expect(await missing.json()).toMatchObject({ code: "HUMAN_CHECK_FAILED" });
    const forged = await post(t, { prompt: "hi", turnstileToken: "forged" });
    expect(forged.status).toBe(403);
    expect(await counts(t)).toEqual({ visitors: 0, threads: 0, messages: 0 });
    const good = await post(t, { prompt: "hi", turnstileToken: "good" });
    expect(good.status).toBe(200);
    const { token, threadId } = parseReplyHeader(good.headers.get(CHAT_REPLY_HEADER))!;
    await readBody(good);
    // A returning visitor is not checked again.
    const later = await post(t, { prompt: "again", threadId, token });
    expect(later.status).toBe(200);
    await readBody(later);
  });
});

test("observers see the prompt as soon as the request is in", async () => {
  setEnv({ DEMO_TOKEN_DELAY_MS: "20" });
  const t = setup();
  const { threadId, token } = await newThread(t);
  const { observerToken } = await t.mutation(api.threads.share, { threadId, token });
  const res = await post(t, { prompt: "watch this", threadId, token });
  const seen = await waitFor(
    () => t.query(api.messages.live, { threadId, token: observerToken }),
    (m) => m.length === 2,
  );
  expect(seen.map((m) => [m.role, m.text])).toEqual([
    ["user", "watch this"],
    ["assistant", ""],
  ]);
  await readBody(res);
});

test("GET /chat-stream, the widget's warm-up, answers with a signed proof-of-work challenge and stores no visitor, thread or message", async () => {
  const t = setup();
  const res = await t.fetch("/chat-stream", { method: "GET", headers: { Origin: "https://shop.example" } });
  expect(res.status).toBe(200);
  expect(res.headers.get("Access-Control-Allow-Origin")).toBe("https://shop.example");
  const { pow } = (await res.json()) as { pow: { parameters: { algorithm: string; cost: number }; signature: string } };
  expect(pow.parameters).toMatchObject({ algorithm: "PBKDF2/SHA-256", cost: 1000 });
  expect(pow.signature).toMatch(/^[0-9a-f]{64}$/);
  expect(await counts(t)).toEqual({ visitors: 0, threads: 0, messages: 0 });
});

test("GET /chat-stream answers with a queue ticket and no challenge with proof of work off", async () => {
  setEnv({ PROOF_OF_WORK: "off" });
  const t = setup();
  const res = await t.fetch("/chat-stream", { method: "GET" });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { ticket: string; pow?: unknown };
  expect(body.ticket).toMatch(/^[0-9a-f]{64}\./);
  expect(body.pow).toBeUndefined();
});
