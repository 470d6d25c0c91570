// Who the visitor is (docs/visitor-identity.md): a claim is verified only when the site signed its
// id with VISITOR_IDENTITY_SECRET; otherwise it is stored and shown unverified. Bounded, never
// stored with its signature, shown to operators only. Runs in the edge runtime, as Convex's
// functions do: the HMAC is Web Crypto's.
import { createHmac } from "node:crypto";
import { afterEach, describe, expect, test } from "vitest";
import { api } from "../../convex/_generated/api";
import { VISITOR_MAX_BYTES } from "../../convex/lib/visitorIdentity";
import { drive, expectCode, newThread, operatorSession, readBody, restoreEnv, setEnv, setup, type T } from "./setup";

afterEach(restoreEnv);

const SECRET = "visitor-identity-secret-for-tests-0123456789";
/** What the site's server does (the docs' Node example). */
const sign = (id: string, secret = SECRET) => createHmac("sha256", secret).update(id).digest("hex");

async function shownToOperator(t: T, threadId: string) {
  const token = await operatorSession(t);
  return await t.query(api.threads.get, { threadId, token });
}

async function storedThread(t: T, threadId: string) {
  return await t.run(async (ctx) => await ctx.db.get(threadId as never));
}

describe("the signature", () => {
  test("a claim signed with the deployment's secret is verified, and the signature is not stored", async () => {
    setEnv({ VISITOR_IDENTITY_SECRET: SECRET });
    const t = setup();
    const { threadId, token } = await newThread(t);
    const visitor = {
      id: "user-42",
      name: "Ada Lovelace",
      email: "ada@example.com",
      plan: "pro",
      seats: 3,
      signature: sign("user-42"),
    };
    await t.mutation(api.messages.send, { threadId, token, prompt: "Hi", visitor });
    const view = await shownToOperator(t, threadId);
    expect(view.visitor).toEqual({
      id: "user-42",
      name: "Ada Lovelace",
      email: "ada@example.com",
      fields: { plan: "pro", seats: 3 },
      verified: true,
    });
    expect(JSON.stringify(await storedThread(t, threadId))).not.toContain(visitor.signature);
  });

  test("upper-case hex is the same signature", async () => {
    setEnv({ VISITOR_IDENTITY_SECRET: SECRET });
    const t = setup();
    const { threadId, token } = await newThread(t);
    await t.mutation(api.messages.send, {
      threadId,
      token,
      prompt: "Hi",
      visitor: { id: "7", signature: sign("7").toUpperCase() },
    });
    expect((await shownToOperator(t, threadId)).visitor?.verified).toBe(true);
  });

  test("a wrong signature is stored and shown as unverified, not refused", async () => {
    setEnv({ VISITOR_IDENTITY_SECRET: SECRET });
    const t = setup();
    const { threadId, token } = await newThread(t);
    // Another user's signature, one made with another secret, and one a character off.
    for (const signature of [
      sign("user-43"),
      sign("user-42", SECRET + "x"),
      sign("user-42").slice(0, -1) + "0",
      "nope",
    ]) {
      if (signature === sign("user-42")) continue;
      await t.mutation(api.messages.send, {
        threadId,
        token,
        prompt: "Hi",
        visitor: { id: "user-42", name: "Ada", signature },
      });
      expect((await shownToOperator(t, threadId)).visitor).toEqual({ id: "user-42", name: "Ada", verified: false });
      await t.mutation(api.messages.stop, { threadId, token });
    }
  });

  test("without the secret set (or with one too short to be one), even the right signature is unverified", async () => {
    for (const secret of [undefined, "short-secret"]) {
      setEnv({ VISITOR_IDENTITY_SECRET: secret });
      const t = setup();
      const visitor = { id: "user-42", signature: sign("user-42", secret ?? SECRET) };
      const { token } = await newThread(t);
      const { threadId } = await t.mutation(api.threads.create, { token, visitor });
      expect((await shownToOperator(t, threadId)).visitor).toEqual({ id: "user-42", verified: false });
    }
  });

  test("the newest send's claim replaces the thread's, verified again", async () => {
    setEnv({ VISITOR_IDENTITY_SECRET: SECRET });
    const t = setup();
    const { threadId, token } = await newThread(t);
    await t.mutation(api.messages.send, { threadId, token, prompt: "Hi", visitor: { id: "anon-1" } });
    expect((await shownToOperator(t, threadId)).visitor).toEqual({ id: "anon-1", verified: false });
    await t.mutation(api.messages.stop, { threadId, token });
    await t.mutation(api.messages.send, {
      threadId,
      token,
      prompt: "Signed in now",
      visitor: { id: "9", signature: sign("9") },
    });
    expect((await shownToOperator(t, threadId)).visitor).toEqual({ id: "9", verified: true });
  });
});

describe("limits", () => {
  const refusals: [string, Record<string, unknown>, string, number | undefined][] = [
    ["a missing id", { name: "Ada" }, "id", undefined],
    ["an empty id", { id: " " }, "id", undefined],
    ["an id of 129 characters", { id: "x".repeat(129) }, "id", 128],
    ["a name of 101 characters", { id: "1", name: "n".repeat(101) }, "name", 100],
    ["an email of 255 characters", { id: "1", email: "e".repeat(255) }, "email", 254],
    ["a number as the name", { id: "1", name: 5 }, "name", undefined],
    [
      "11 more fields",
      { id: "1", ...Object.fromEntries([...Array(11).keys()].map((i) => [`f${i}`, i])) },
      "visitor",
      10,
    ],
    ["a field value of 201 characters", { id: "1", plan: "p".repeat(201) }, "plan", 200],
    ["a field name of 41 characters", { id: "1", ["k".repeat(41)]: 1 }, "fields", 40],
    ["a field name that is not a plain name", { id: "1", $where: 1 }, "fields", undefined],
  ];
  for (const [what, visitor, field, limit] of refusals) {
    test(`${what} is refused with BAD_REQUEST naming the field${limit ? " and the limit" : ""}; nothing is stored`, async () => {
      const t = setup();
      const { threadId, token } = await newThread(t);
      // Through the HTTP body: refused before any mutation runs.
      const res = await drive(t, null, { prompt: "Hi", threadId, token, visitor });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { code: string; message: string; field: string; limit?: number };
      expect(body).toMatchObject({ code: "BAD_REQUEST", field });
      if (limit !== undefined) {
        expect(body.limit).toBe(limit);
        expect(body.message).toContain(`the limit is ${limit}`);
      }
      expect(await t.query(api.messages.list, { threadId, token })).toEqual([]);
    });
  }

  test("a claim over 2,048 bytes as JSON is refused, by messages:send too, and nothing is stored", async () => {
    const t = setup();
    const { threadId, token } = await newThread(t);
    // Each field within its own limit; together past the whole claim's.
    const visitor = { id: "1", ...Object.fromEntries([...Array(10).keys()].map((i) => [`note${i}`, "é".repeat(200)])) };
    const data = await expectCode(
      t.mutation(api.messages.send, { threadId, token, prompt: "Hi", visitor }),
      "BAD_REQUEST",
    );
    expect(data).toMatchObject({ field: "visitor", limit: VISITOR_MAX_BYTES });
    expect(data.message).toMatch(/visitor is 4,\d{3} bytes as JSON; the limit is 2,048/);
    expect(await t.query(api.messages.list, { threadId, token })).toEqual([]);
    expect(await storedThread(t, threadId)).not.toHaveProperty("visitor");
  });

  test("threads:create refuses a bad claim without creating a thread", async () => {
    const t = setup();
    const { token } = await newThread(t);
    await expectCode(
      t.mutation(api.threads.create, { token, visitor: { id: "1", email: "e".repeat(255) } }),
      "BAD_REQUEST",
    );
    expect(await t.query(api.threads.listMine, { token })).toHaveLength(1);
  });
});

describe("the one-request path and who sees it", () => {
  test("a claim at its size limit fits beside the longest prompt (escaped) and a new visitor's proof of work", async () => {
    setEnv({ MAX_PROMPT_CHARS: "100", DEMO_TOKEN_DELAY_MS: "0" });
    const t = setup();
    const { threadId, token } = await newThread(t);
    // Ten fields of up to 200 characters, the last one filling the claim to exactly its limit.
    const visitor: Record<string, string> = { id: "1" };
    for (let i = 0; i < 9; i++) visitor[`f${i}`] = "v".repeat(200);
    visitor.f9 = "";
    visitor.f9 = "v".repeat(VISITOR_MAX_BYTES - JSON.stringify(visitor).length);
    expect(JSON.stringify(visitor).length).toBe(VISITOR_MAX_BYTES);
    // Each control character takes 6 bytes in JSON; `pow` as long as the contract allows.
    const body = {
      prompt: "\u0001".repeat(100),
      threadId,
      token,
      requestId: "r".repeat(128),
      visitor,
      pow: "p".repeat(2048),
    };
    expect(JSON.stringify(body).length).toBeGreaterThan(4096 + 6 * 100);
    const res = await drive(t, null, body);
    expect(res.status).toBe(200);
    await readBody(res);
  });

  test("POST /chat-stream keeps the claim and the browser's first language on a new thread", async () => {
    setEnv({ VISITOR_IDENTITY_SECRET: SECRET, DEMO_TOKEN_DELAY_MS: "0" });
    const t = setup();
    const { token } = await newThread(t);
    const res = await drive(
      t,
      null,
      { prompt: "Hi", token, visitor: { id: "u1", name: "Grace", signature: sign("u1") } },
      { "Accept-Language": "de-CH,de;q=0.9,en;q=0.8", Origin: "https://shop.example" },
    );
    expect(res.status).toBe(200);
    const { threadId } = JSON.parse(res.headers.get("X-Chat-Reply")!) as { threadId: string };
    await readBody(res);
    const view = await shownToOperator(t, threadId);
    expect(view).toMatchObject({ visitor: { id: "u1", name: "Grace", verified: true }, language: "de-CH" });
  });

  test("chat:queue (the send over the socket when the site is busy) keeps the claim too", async () => {
    setEnv({ VISITOR_IDENTITY_SECRET: SECRET });
    const t = setup();
    const { threadId, token } = await newThread(t);
    await t.mutation(api.chat.queue, { token, threadId, prompt: "Hi", visitor: { id: "q1", signature: sign("q1") } });
    expect((await shownToOperator(t, threadId)).visitor).toEqual({ id: "q1", verified: true });
    await expectCode(
      t.mutation(api.chat.queue, { token, threadId, prompt: "Hi", visitor: { id: "q1", name: "n".repeat(101) } }),
      "BAD_REQUEST",
    );
  });

  test("only operators see the visitor's claim and language: not the visitor, not an observer", async () => {
    const t = setup();
    const { token } = await newThread(t);
    const { threadId } = await t.mutation(api.threads.create, {
      token,
      visitor: { id: "u1", email: "ada@example.com" },
    });
    const { observerToken } = await t.mutation(api.threads.share, { threadId, token });
    for (const caller of [token, observerToken]) {
      const view = await t.query(api.threads.get, { threadId, token: caller });
      expect(view).not.toHaveProperty("visitor");
      expect(JSON.stringify(view)).not.toContain("ada@example.com");
    }
    const operator = await operatorSession(t);
    const { page } = await t.query(api.operator.listThreads, {
      token: operator,
      paginationOpts: { numItems: 10, cursor: null },
    });
    expect(page.find((v) => v._id === threadId)?.visitor).toEqual({
      id: "u1",
      email: "ada@example.com",
      verified: false,
    });
  });

  test("a claimed id grants nothing: another visitor's threads stay theirs", async () => {
    setEnv({ VISITOR_IDENTITY_SECRET: SECRET });
    const t = setup();
    const visitor = { id: "same-user", signature: sign("same-user") };
    const a = await newThread(t);
    await t.mutation(api.messages.send, { ...a, prompt: "Mine", visitor });
    const b = await newThread(t);
    await t.mutation(api.messages.send, { ...b, prompt: "Also mine", visitor });
    await expectCode(t.query(api.messages.list, { threadId: a.threadId, token: b.token }), "UNAUTHORIZED");
    expect((await t.query(api.threads.listMine, { token: b.token })).map((v) => v._id)).toEqual([b.threadId]);
  });
});
