// POST /chat-stream: the HTTP contract, status by status, and what it persists.
import { afterEach, describe, expect, test } from "vitest";
import { api } from "../../convex/_generated/api";
import { demoReplyText, demoTokens } from "../../convex/lib/models";
import {
  expectAtRest,
  drive,
  newChat,
  newThread,
  readAll,
  readBody,
  restoreEnv,
  send,
  setEnv,
  setup,
  waitFor,
} from "./setup";

afterEach(restoreEnv);

describe("200", () => {
  test("streams the reply as text/plain chunk by chunk; the body equals what is persisted everywhere", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "1" });
    const { t, threadId, token, streamId } = await newChat("Show me everything");
    const res = await drive(t, token, { streamId });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/plain; charset=utf-8");
    const { chunks } = await readBody(res);
    expect(chunks.length).toBeGreaterThan(10);
    const body = chunks.join("");
    expect(body).toBe(demoReplyText("Show me everything"));
    const [, reply] = await t.query(api.messages.list, { threadId, token });
    expect(reply).toMatchObject({ status: "done", text: body, error: null, model: "demo" });
    await expectAtRest(t, streamId);
    const followed = await readAll(t, streamId, token);
    expect(followed).toMatchObject({ text: body, status: "done" });
    expect((await t.query(api.threads.get, { threadId, token })).status).toBe("idle");
  });

  test("the demo reply has a heading, a list, an unpunctuated code block, a link and a table, and says it is the demo", () => {
    const text = demoReplyText("hi");
    expect(text).toMatch(/^## /);
    expect(text).toMatch(/\n- /);
    const code = /```ts\n([\s\S]*?)```/.exec(text)![1];
    expect(code).not.toMatch(/[.!?]/);
    expect(text).toMatch(/\[[^\]]+\]\(https:\/\/[^)]+\)/);
    expect(text).toMatch(/\n\| --- \| --- \|\n/);
    expect(text).toContain("demo model");
  });

  test("observers see text while it streams, including a code block with no punctuation, and the message doc stays quiet", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "8", STREAM_FLUSH_MS: "40" });
    const { t, token, streamId, assistantMessageId } = await newChat("code please");
    const res = await drive(t, token, { streamId });
    const bodyDone = readBody(res);
    const docWhileStreaming = await waitFor(
      () => t.run(async (ctx) => ctx.db.get(assistantMessageId as never)),
      (doc) => (doc as { status: string } | null)?.status === "streaming",
    );
    const midway = await waitFor(
      () => t.query(api.streams.read, { streamId, token, cursor: 0 }).then(async () => readAll(t, streamId, token)),
      (r) => r.text.includes("return a + b\n}"),
    );
    expect(midway.status).toBe("streaming");
    const docLater = await t.run(async (ctx) => ctx.db.get(assistantMessageId as never));
    expect(docLater).toEqual(docWhileStreaming); // never patched per flush
    const body = (await bodyDone).text;
    expect((await readAll(t, streamId, token)).text).toBe(body);
  });

  test("writes at most ~4 times a second per stream", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "5", STREAM_CHUNK_BY: "word" });
    const { t, token, streamId } = await newChat();
    const started = Date.now();
    await readBody(await drive(t, token, { streamId }));
    const seconds = (Date.now() - started) / 1000;
    const deltas = await t.run(async (ctx) => (await ctx.db.query("deltas").collect()).length);
    expect(deltas).toBeGreaterThan(1);
    expect(deltas).toBeLessThanOrEqual(Math.ceil(seconds * 4) + 2);
  });

  test("a client that disconnects does not stop the reply: it is generated and persisted to the end", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "2" });
    const { t, threadId, token, streamId } = await newChat("leaving");
    const res = await drive(t, token, { streamId });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    const reply = await waitFor(
      () => t.query(api.messages.list, { threadId, token }).then((l) => l[1]),
      (m) => m.status === "done",
    );
    expect(reply.text).toBe(demoReplyText("leaving"));
    await expectAtRest(t, streamId);
  });

  test("a failure mid-reply keeps the partial text, sets `error` with a readable message, and errors the body", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0", DEMO_FAIL_AFTER_TOKENS: "12" });
    const { t, threadId, token, streamId } = await newChat("fail");
    const res = await drive(t, token, { streamId });
    const reader = res.body!.getReader();
    let body = "";
    await expect(
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          body += new TextDecoder().decode(value);
        }
      })(),
    ).rejects.toThrow();
    const [, reply] = await t.query(api.messages.list, { threadId, token });
    expect(reply.status).toBe("error");
    expect(reply.error).toBe("The demo model failed mid-reply (DEMO_FAIL_AFTER_TOKENS is set).");
    expect(reply.text.length).toBeGreaterThan(0);
    expect(reply.text).toBe(demoTokens(demoReplyText("fail")).slice(0, 12).join(""));
    expect(body).toBe(reply.text);
    await expectAtRest(t, streamId);
    expect((await t.query(api.threads.get, { threadId, token })).status).toBe("error");
    // The visitor can send again after an error.
    await send(t, threadId, token, "retry");
  });
});

describe("205", () => {
  test("a second POST for a stream already started gets 205 and an empty body", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const { t, token, streamId } = await newChat();
    const first = await drive(t, token, { streamId });
    const second = await drive(t, token, { streamId });
    expect(second.status).toBe(205);
    expect(await second.text()).toBe("");
    expect(first.status).toBe(200);
    await first.text();
    const third = await drive(t, token, { streamId });
    expect(third.status).toBe(205);
  });

  test("two concurrent POSTs: exactly one drives", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const { t, token, streamId } = await newChat();
    const results = await Promise.all([drive(t, token, { streamId }), drive(t, token, { streamId })]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 205]);
    await Promise.all(results.map((r) => r.text()));
  });
});

describe("errors", () => {
  async function errorOf(res: Response) {
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    return (await res.json()) as { code: string; message: string };
  }

  test("400 BAD_REQUEST for a body that is not JSON or has no string streamId", async () => {
    const t = setup();
    const { token } = await newThread(t);
    for (const body of ["not json", "[]", "{}", '{"streamId": 5}', '{"streamId": ""}', "null"]) {
      const res = await drive(t, token, body);
      expect(res.status, body).toBe(400);
      expect(await errorOf(res)).toMatchObject({ code: "BAD_REQUEST" });
    }
  });

  test("401 UNAUTHORIZED without a Bearer token, with a malformed one, or with one this deployment never issued", async () => {
    const { t, token, streamId } = await newChat();
    expect((await drive(t, null, { streamId })).status).toBe(401);
    expect((await drive(t, null, { streamId }, { Authorization: `Basic ${token}` })).status).toBe(401);
    expect((await drive(t, "short", { streamId })).status).toBe(401);
    const res = await drive(t, "E".repeat(43), { streamId });
    expect(res.status).toBe(401);
    expect(await errorOf(res)).toMatchObject({ code: "UNAUTHORIZED" });
  });

  test("404 NOT_FOUND for a stream that does not exist or is not this visitor's", async () => {
    const t = setup();
    const mine = await newThread(t);
    const theirs = await newThread(t);
    const { streamId } = await send(t, theirs.threadId, theirs.token);
    for (const id of ["nope", streamId, mine.threadId]) {
      const res = await drive(t, mine.token, { streamId: id });
      expect(res.status).toBe(404);
      expect(await errorOf(res)).toMatchObject({ code: "NOT_FOUND" });
    }
  });

  test("413 PAYLOAD_TOO_LARGE over 4 KB plus room for a visitor claim and the longest prompt, whatever Content-Length claims", async () => {
    // 4,096 + 2,048 (VISITOR_MAX_BYTES) + 6 bytes (a JSON-escaped character) for each of the 100
    // prompt characters allowed.
    setEnv({ MAX_PROMPT_CHARS: "100" });
    const t = setup();
    const { token } = await newThread(t);
    const big = JSON.stringify({ streamId: "x", pad: "y".repeat(7000) });
    const res = await drive(t, token, big, { "Content-Length": String(big.length) });
    expect(res.status).toBe(413);
    expect(await errorOf(res)).toEqual({
      code: "PAYLOAD_TOO_LARGE",
      message: `request body is ${new Intl.NumberFormat("en-US").format(big.length)} bytes; the limit is 6,744`,
    });
    // A Content-Length that understates the body does not get it past the limit.
    const lying = await drive(t, token, big, { "Content-Length": "10" });
    expect(lying.status).toBe(413);
    const chunked = await t.fetch("/chat-stream", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}` },
      body: new Blob([big]).stream(),
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect((await errorOf(chunked)).message).toBe("request body is over 6,744 bytes; the limit is 6,744");
    const atLimit = await drive(t, token, JSON.stringify({ streamId: "x", pad: "y".repeat(6744 - 27) }));
    expect(atLimit.status).toBe(404);
  });

  test("429 RATE_LIMITED with Retry-After (seconds) when a visitor POSTs too often", async () => {
    setEnv({ RATE_LIMIT_STREAM_REQUESTS_PER_MINUTE: "2" });
    const t = setup();
    const { token } = await newThread(t);
    expect((await drive(t, token, { streamId: "a" })).status).toBe(404);
    expect((await drive(t, token, { streamId: "b" })).status).toBe(404);
    const res = await drive(t, token, { streamId: "c" }, { Origin: "https://shop.example" });
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.headers.get("Access-Control-Expose-Headers")).toContain("Retry-After");
    const data = await errorOf(res);
    expect(data.code).toBe("RATE_LIMITED");
    expect(data.message).toMatch(/try again in \d+ seconds?/);
    // Other visitors are unaffected.
    const other = await newThread(t);
    expect((await drive(t, other.token, { streamId: "a" })).status).toBe(404);
  });
});

describe("CORS", () => {
  test("preflight allows POST with Authorization and Content-Type, and exposes Retry-After", async () => {
    const t = setup();
    const res = await t.fetch("/chat-stream", {
      method: "OPTIONS",
      headers: {
        Origin: "https://shop.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("https://shop.example");
    expect(res.headers.get("Access-Control-Allow-Methods")).toContain("POST");
    const allowed = res.headers.get("Access-Control-Allow-Headers")!.toLowerCase();
    expect(allowed).toContain("authorization");
    expect(allowed).toContain("content-type");
    expect(res.headers.get("Access-Control-Expose-Headers")).toContain("Retry-After");
  });

  test("responses carry the allowed origin", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const { t, token, streamId } = await newChat();
    const res = await drive(t, token, { streamId }, { Origin: "https://shop.example" });
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("https://shop.example");
    await res.text();
  });

  test("ALLOWED_ORIGINS restricts which origins are allowed", async () => {
    setEnv({ ALLOWED_ORIGINS: "https://a.example, *.b.example" });
    const t = setup();
    const preflight = (origin: string) =>
      t.fetch("/chat-stream", {
        method: "OPTIONS",
        headers: { Origin: origin, "Access-Control-Request-Method": "POST" },
      });
    expect((await preflight("https://a.example")).headers.get("Access-Control-Allow-Origin")).toBe("https://a.example");
    expect((await preflight("https://x.b.example")).headers.get("Access-Control-Allow-Origin")).toBe(
      "https://x.b.example",
    );
    expect((await preflight("https://evil.example")).headers.get("Access-Control-Allow-Origin")).toBeNull();
  });
});
