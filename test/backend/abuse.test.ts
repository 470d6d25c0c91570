// @vitest-environment node
// Issue 20, items 1 and 2: no single client exhausts a shared bucket, and budgets hold however many
// replies run at once. Floods are bounded in count and run on convex-test, with addresses as a
// deployment's edge passes them on (X-Forwarded-For).
import { afterEach, describe, expect, test, vi } from "vitest";
import { api } from "../../convex/_generated/api";
import type { ChatStreamBody } from "../../convex/lib/chatProtocol";
import { addressFromForwardedFor } from "../../convex/lib/clientAddress";
import {
  charged,
  cheapPow,
  chat,
  expectCode,
  newThread,
  operatorSession,
  readBody,
  restoreEnv,
  send,
  setEnv,
  setup,
  solvedPow,
  type T,
  usageRows,
} from "./setup";

afterEach(() => {
  restoreEnv();
  vi.useRealTimers();
});

/** A new visitor's first message from `address`, with a solved challenge unless told otherwise. */
async function firstMessage(t: T, address: string, extra: Partial<Extract<ChatStreamBody, { prompt: string }>> = {}) {
  const body = { prompt: "Hello", pow: await solvedPow(t), ...extra };
  return await t.fetch("/chat-stream", {
    method: "POST",
    headers: { "Content-Type": "text/plain;charset=UTF-8", "X-Forwarded-For": address },
    body: JSON.stringify(body),
  });
}

describe("the client's address, as the deployment's edge passes it on", () => {
  test("is the rightmost public X-Forwarded-For entry: what a client writes in front of the edge's is ignored", () => {
    expect(addressFromForwardedFor("203.0.113.9")).toBe("203.0.113.9");
    expect(addressFromForwardedFor("1.2.3.4, 203.0.113.9")).toBe("203.0.113.9");
    expect(addressFromForwardedFor("1.2.3.4, 203.0.113.9, 10.0.0.2, 172.16.0.1")).toBe("203.0.113.9");
    expect(addressFromForwardedFor("garbage, [2001:db8::1]:443")).toBe("2001:db8::1");
    expect(addressFromForwardedFor("127.0.0.1")).toBe("127.0.0.1"); // only internal ones: the nearest
    expect(addressFromForwardedFor("not an address")).toBeNull();
  });
});

describe("minting: per address, with proof of work", () => {
  test("one address minting 20 visitors in a loop gets 3; another address still gets its visitor", async () => {
    cheapPow();
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const t = setup();
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      // The script varies what it writes in front; the edge's entry stays the same.
      const res = await firstMessage(t, `10.9.${i}.1, 198.51.100.${i}, 203.0.113.66`);
      statuses.push(res.status);
      if (res.status === 200) await readBody(res);
      else expect(await res.json()).toMatchObject({ code: "TOO_MANY_VISITORS" });
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(17);
    const other = await firstMessage(t, "192.0.2.10");
    expect(other.status).toBe(200);
    await readBody(other);
  });

  test("no solution, a forged one, or one used before mints nothing (HUMAN_CHECK_FAILED); threads:create no longer mints", async () => {
    cheapPow();
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const t = setup();
    const missing = await firstMessage(t, "192.0.2.1", { pow: undefined });
    expect(missing.status).toBe(403);
    expect(await missing.json()).toMatchObject({ code: "HUMAN_CHECK_FAILED" });
    const pow = await solvedPow(t);
    const forged = JSON.parse(pow) as { challenge: { parameters: { cost: number } } };
    forged.challenge.parameters.cost = 1_000_000; // any change breaks the signature
    expect((await firstMessage(t, "192.0.2.1", { pow: JSON.stringify(forged) })).status).toBe(403);
    const first = await firstMessage(t, "192.0.2.1", { pow });
    expect(first.status).toBe(200);
    await readBody(first);
    const replayed = await firstMessage(t, "192.0.2.2", { pow });
    expect(replayed.status).toBe(403);
    expect(await replayed.json()).toMatchObject({ code: "HUMAN_CHECK_FAILED" });
    await expectCode(t.mutation(api.threads.create, {}), "HUMAN_CHECK_FAILED");
    expect(await t.run(async (ctx) => (await ctx.db.query("visitors").collect()).length)).toBe(1);
  });
});

describe("sends: per address, and the share kept for established visitors", () => {
  test("one address's sends share one bucket (30 a minute) however many tokens it holds", async () => {
    // The bucket refills one send every 2 s: on a loaded machine 36 sends can take longer than
    // that, and a 31st was accepted. The clock stands still, so the bucket holds exactly 30.
    vi.useFakeTimers({ toFake: ["Date"] });
    cheapPow();
    // The clock stands still: 36 sends take seconds here, and a bucket of 30 a minute refills
    // one every 2 s.
    vi.useFakeTimers({ toFake: ["Date"] });
    setEnv({ DEMO_TOKEN_DELAY_MS: "0", NEW_VISITORS_PER_ADDRESS_PER_MINUTE: "40" });
    const t = setup();
    let accepted = 0;
    let limited = 0;
    for (let i = 0; i < 36; i++) {
      const res = await firstMessage(t, "203.0.113.70");
      if (res.status === 200) {
        accepted++;
        await readBody(res);
      } else {
        expect(await res.json()).toMatchObject({ code: "RATE_LIMITED" });
        limited++;
      }
    }
    expect(accepted).toBe(30);
    expect(limited).toBe(6);
    const elsewhere = await firstMessage(t, "192.0.2.77");
    expect(elsewhere.status).toBe(200);
    await readBody(elsewhere);
  }, 30_000);

  test("a visitor is established only once a finished reply could have been read, not right after it", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    // A new visitors' share of 2 sends a minute: the visitor's own first send uses one.
    setEnv({ DEMO_TOKEN_DELAY_MS: "0", RATE_LIMIT_NEW_VISITOR_SENDS_PER_MINUTE: "2" });
    const t = setup();
    const v = await newThread(t);
    expect(await chat(t, v.threadId, v.token)).toContain("demo model");
    const other = await newThread(t);
    await send(t, other.threadId, other.token); // the share's second send
    // Right after the reply (a script's pace), the visitor still counts as new: the share is spent.
    await expectCode(send(t, v.threadId, v.token), "RATE_LIMITED");
    const row = await t.run(async (ctx) => (await ctx.db.query("visitors").collect()).find((x) => x.establishedAt));
    expect(row!.establishedAt! - Date.now()).toBeGreaterThanOrEqual(10_000);
    vi.setSystemTime(row!.establishedAt!);
    // Time to read it has passed: their sends now draw on the established share.
    expect((await send(t, v.threadId, v.token)).streamId).toBeTruthy();
  });
});

describe("budgets hold however many replies run at once", () => {
  test("5 visitors asking for 50 replies at once: at most 2 in flight each, and the day's spend passes the budget by at most one reply", async () => {
    // The numbers: DAILY_TOKEN_BUDGET=1000, VISITOR_DAILY_TOKENS=300.
    setEnv({
      DEMO_TOKEN_DELAY_MS: "0",
      DAILY_TOKEN_BUDGET: "1000",
      VISITOR_DAILY_TOKENS: "300",
      MAX_OUTPUT_TOKENS: "100",
      NEW_VISITOR_BUDGET_PERCENT: "100",
      RATE_LIMIT_MESSAGES_PER_MINUTE: "1000",
      MAX_THREADS_PER_VISITOR: "100",
    });
    const t = setup();
    const visitors = await Promise.all(Array.from({ length: 5 }, () => newThread(t)));
    const streams: { token: string; streamId: string }[] = [];
    const refusals = new Map<string, number>();
    let worstCase = 0;
    for (const v of visitors) {
      for (let i = 0; i < 10; i++) {
        const threadId = i === 0 ? v.threadId : (await t.mutation(api.threads.create, { token: v.token })).threadId;
        try {
          streams.push({ token: v.token, ...(await send(t, threadId, v.token, "Tell me everything")) });
        } catch (e) {
          const code = (e as { data: { code: string } }).data.code;
          refusals.set(code, (refusals.get(code) ?? 0) + 1);
        }
      }
    }
    expect(streams.length).toBeLessThanOrEqual(10); // 2 in flight per visitor
    expect(refusals.get("REPLY_IN_PROGRESS")).toBeGreaterThan(0);
    const rows = async () => await usageRows(t);
    const deployment = async () => (await rows()).find((r) => r.key === "deployment")!;
    worstCase = Math.max(
      ...(await t.run(async (ctx) =>
        (await ctx.db.query("messages").collect()).map((m) => m.reservation?.tokens ?? 0),
      )),
    );
    const before = await deployment();
    expect(before.tokens + (before.reserved ?? 0)).toBeLessThanOrEqual(1000 + worstCase);
    // Drive them all at once.
    await Promise.all(
      streams.map(async (s) =>
        readBody(
          await t.fetch("/chat-stream", {
            method: "POST",
            headers: { Authorization: `Bearer ${s.token}` },
            body: JSON.stringify({ streamId: s.streamId }),
          }),
        ),
      ),
    );
    await charged(t);
    const after = await deployment();
    expect(after.reserved ?? 0).toBe(0); // every reservation returned
    expect(after.tokens).toBeGreaterThan(0);
    expect(after.tokens).toBeLessThanOrEqual(1000 + worstCase);
    for (const r of await rows()) if (r.key !== "deployment") expect(r.tokens).toBeLessThanOrEqual(300 + worstCase);
    // Keep sending until refused: it ends in BUDGET_EXHAUSTED, never past budget + one reply.
    for (let round = 0; round < 10; round++) {
      for (const v of visitors) {
        const { threadId } = await t.mutation(api.threads.create, { token: v.token });
        try {
          const { streamId } = await send(t, threadId, v.token, "More");
          await readBody(
            await t.fetch("/chat-stream", {
              method: "POST",
              headers: { Authorization: `Bearer ${v.token}` },
              body: JSON.stringify({ streamId }),
            }),
          );
        } catch (e) {
          expect((e as { data: { code: string } }).data.code).toBe("BUDGET_EXHAUSTED");
        }
      }
    }
    const end = await deployment();
    expect(end.tokens).toBeLessThanOrEqual(1000 + worstCase);
  }, 60_000);

  test("TOKEN_USAGE_SHARDS=4: sends spread over 4 rows (no one row every send writes), the day's spend passes the budget by at most 4 replies, then BUDGET_EXHAUSTED", async () => {
    setEnv({
      DEMO_TOKEN_DELAY_MS: "0",
      DAILY_TOKEN_BUDGET: "2000",
      VISITOR_DAILY_TOKENS: "100000",
      MAX_OUTPUT_TOKENS: "100",
      NEW_VISITOR_BUDGET_PERCENT: "100",
      RATE_LIMIT_MESSAGES_PER_MINUTE: "1000",
      MAX_THREADS_PER_VISITOR: "100",
      TOKEN_USAGE_SHARDS: "4",
    });
    const t = setup();
    const v = await newThread(t);
    const rows = async () => (await usageRows(t)).filter((r) => r.key.startsWith("deployment"));
    let worstCase = 0;
    let refused = false;
    const reservedOn = new Set<string>();
    for (let i = 0; i < 60 && !refused; i++) {
      const { threadId } = await t.mutation(api.threads.create, { token: v.token });
      try {
        const { streamId } = await send(t, threadId, v.token, "More");
        const held = (await rows()).filter((r) => (r.reserved ?? 0) > 0);
        expect(held).toHaveLength(1); // one send, one deployment row
        reservedOn.add(held[0]!.key);
        worstCase = Math.max(worstCase, held[0]!.reserved!);
        await readBody(
          await t.fetch("/chat-stream", {
            method: "POST",
            headers: { Authorization: `Bearer ${v.token}` },
            body: JSON.stringify({ streamId }),
          }),
        );
        await charged(t);
      } catch (e) {
        expect((e as { data: { code: string } }).data.code).toBe("BUDGET_EXHAUSTED");
        refused = true;
      }
    }
    expect(refused).toBe(true);
    expect([...reservedOn].sort()).toEqual(["deployment", "deployment:1", "deployment:2", "deployment:3"]);
    const end = await rows();
    expect(end.every((r) => (r.reserved ?? 0) === 0)).toBe(true);
    const spent = end.reduce((n, r) => n + r.tokens, 0);
    // Refused only once every row had reached its share (500), each passing it by at most one reply.
    for (const r of end) expect(r.tokens).toBeGreaterThanOrEqual(500);
    expect(spent).toBeLessThanOrEqual(2000 + 4 * worstCase);
    // The console's figure is every row's.
    const token = await operatorSession(t);
    expect((await t.query(api.operator.usage, { token })).tokens).toBe(spent);
  }, 60_000);

  test("a reply that never starts returns its whole reservation; one whose driver is lost is charged all of it", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0", MAX_OUTPUT_TOKENS: "100" });
    const t = setup();
    const v = await newThread(t);
    await send(t, v.threadId, v.token);
    const reserved = async () => (await usageRows(t)).find((r) => r.key === "deployment")!;
    expect((await reserved()).reserved).toBeGreaterThan(100);
    await t.mutation(api.messages.stop, { threadId: v.threadId, token: v.token }); // never driven
    await charged(t);
    expect(await reserved()).toMatchObject({ tokens: 0, reserved: 0 });
  });
});
