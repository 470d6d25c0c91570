// @vitest-environment node
// Expiry that reaches live subscriptions (a write at the moment of expiry) and the hourly
// cleanup of expired sessions, observer tokens and old token usage, in bounded batches.
import { afterEach, describe, expect, test, vi } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import { utcDay } from "../../convex/lib/budget";
import { expectCode, newThread, OPERATOR_SECRET, restoreEnv, setEnv, setup, type T } from "./setup";

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

afterEach(() => {
  restoreEnv();
  vi.useRealTimers();
});

/** Moves the clock by `ms` and runs the scheduled functions that came due. */
async function pass(t: T, ms: number): Promise<void> {
  vi.advanceTimersByTime(ms);
  await t.finishInProgressScheduledFunctions();
}

describe("expiry reaches queries that cannot see time pass", () => {
  test("an operator session is revoked by a write at its expiry, so a query run with a clock from before it is refused", async () => {
    vi.useFakeTimers();
    setEnv({ OPERATOR_SECRET });
    const t = setup();
    const signedInAt = Date.now();
    const result = await t.mutation(api.operator.signIn, { secret: OPERATOR_SECRET, name: "Ada" });
    if (!result.ok) throw new Error(result.message);
    const token = result.sessionToken;
    await pass(t, 12 * HOUR);
    const [session] = await t.run((ctx) => ctx.db.query("operatorSessions").collect());
    expect(session!.revokedAt).toBe(result.expiresAt);
    // A subscription's re-run after that write is refused whatever its frozen clock says.
    vi.setSystemTime(signedInAt + HOUR);
    await expectCode(t.query(api.operator.session, { token }), "UNAUTHORIZED");
  });

  test("an observer token is revoked by a write at its expiry", async () => {
    vi.useFakeTimers();
    const t = setup();
    const { threadId, token } = await newThread(t);
    const sharedAt = Date.now();
    const { observerToken, expiresAt } = await t.mutation(api.threads.share, { threadId, token, expiresInMs: HOUR });
    await pass(t, HOUR);
    vi.setSystemTime(sharedAt);
    await expectCode(t.query(api.threads.get, { threadId, token: observerToken }), "UNAUTHORIZED");
    const shares = await t.query(api.threads.listShares, { threadId, token });
    expect(shares.map((s) => s.revokedAt)).toEqual([expiresAt]);
  });

  test("a 30-day observer token lasts its 30 days: a wait longer than a timer holds is taken in steps", async () => {
    vi.useFakeTimers();
    const t = setup();
    const { threadId, token } = await newThread(t);
    const { observerToken } = await t.mutation(api.threads.share, { threadId, token });
    await pass(t, HOUR);
    expect((await t.query(api.threads.get, { threadId, token: observerToken })).access).toBe("observer");
    await pass(t, 20 * DAY);
    expect((await t.query(api.threads.get, { threadId, token: observerToken })).access).toBe("observer");
    await pass(t, 10 * DAY);
    await expectCode(t.query(api.threads.get, { threadId, token: observerToken }), "UNAUTHORIZED");
    const [share] = await t.run((ctx) => ctx.db.query("observerTokens").collect());
    expect(share!.revokedAt).toBe(share!.expiresAt);
  });
});

describe("cleanup:run", () => {
  test("deletes sessions and observer tokens a day after they expired, and token usage older than a week", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const t = setup();
    const now = Date.now();
    const thread = await newThread(t);
    const ids = await t.run(async (ctx) => {
      const threadId = ctx.db.normalizeId("threads", thread.threadId)!;
      const session = (expiresAt: number) =>
        ctx.db.insert("operatorSessions", {
          tokenHash: `s${expiresAt}`,
          name: "Ops",
          createdAt: 0,
          expiresAt,
          revokedAt: null,
        });
      const share = (expiresAt: number | undefined) =>
        ctx.db.insert("observerTokens", {
          tokenHash: `o${expiresAt}`,
          threadId,
          createdAt: 0,
          expiresAt,
          revokedAt: null,
        });
      const usage = (daysAgo: number) =>
        ctx.db.insert("tokenUsage", { day: utcDay(now - daysAgo * DAY).day, key: "deployment", tokens: 1 });
      return {
        oldSession: await session(now - DAY - 1),
        recentSession: await session(now - HOUR),
        oldShare: await share(now - 2 * DAY),
        recentShare: await share(now - HOUR),
        legacyShare: await share(undefined),
        usage8: await usage(8),
        usage7: await usage(7),
        usage6: await usage(6),
        usage0: await usage(0),
      };
    });
    await t.mutation(internal.cleanup.run, {});
    const left = await t.run(async (ctx) =>
      Object.fromEntries(
        await Promise.all(Object.entries(ids).map(async ([name, id]) => [name, (await ctx.db.get(id)) !== null])),
      ),
    );
    expect(left).toEqual({
      oldSession: false,
      recentSession: true,
      oldShare: false,
      recentShare: true,
      legacyShare: true,
      usage8: false,
      usage7: false,
      usage6: true,
      usage0: true,
    });
  });

  test("works in batches of 200: a full batch schedules the next run until nothing is left", async () => {
    vi.useFakeTimers();
    const t = setup();
    const old = utcDay(Date.now() - 30 * DAY).day;
    await t.run(async (ctx) => {
      for (let i = 0; i < 450; i++) await ctx.db.insert("tokenUsage", { day: old, key: `visitor-${i}`, tokens: 1 });
    });
    await t.mutation(internal.cleanup.run, {});
    expect((await t.run((ctx) => ctx.db.query("tokenUsage").collect())).length).toBe(250);
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect((await t.run((ctx) => ctx.db.query("tokenUsage").collect())).length).toBe(0);
  });
});
