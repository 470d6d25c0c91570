// Concurrency limits as a deployment enforces them (local-backend/concurrency.ts): an S16
// deployment's by default, each configurable, a function beyond its limit waits for a slot and
// then gets the deployment's 429 TooManyConcurrentRequests.
import { afterEach, describe, expect, test } from "vitest";
import type { ConvexClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { Concurrency, concurrencyLimits, S16_LIMITS } from "../../local-backend/concurrency.js";
import { nodeClient, startFixture, type Fixture } from "./helpers.js";

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

/** A streamed GET that holds its HTTP action for about `n * delay` ms. */
function ticks(siteUrl: string, n: number, delay: number) {
  return fetch(`${siteUrl}/ticks?n=${n}&delay=${delay}`).then(async (res) => ({
    status: res.status,
    body: await res.text(),
  }));
}

describe("the limits", () => {
  test("an S16 deployment's by default: 16 queries, 16 mutations, 64 actions and HTTP actions, 8 scheduled jobs", async () => {
    fx = await startFixture();
    expect(fx.backend.concurrency().limits).toEqual({
      queries: 16,
      mutations: 16,
      actions: 64,
      httpActions: 64,
      scheduledJobs: 8,
      waitMs: 5_000,
      actionWaitMs: 10_000,
    });
  });

  test("each is configurable from the environment, and a value that is not a count fails the start", () => {
    expect(concurrencyLimits({ LOCAL_MAX_CONCURRENT_HTTP_ACTIONS: "8", LOCAL_MAX_CONCURRENT_QUERIES: "4" })).toEqual({
      ...S16_LIMITS,
      httpActions: 8,
      queries: 4,
    });
    expect(concurrencyLimits({ LOCAL_MAX_CONCURRENT_MUTATIONS: "2" }, { mutations: 3 }).mutations).toBe(3);
    expect(() => concurrencyLimits({ LOCAL_MAX_CONCURRENT_HTTP_ACTIONS: "many" })).toThrow(
      /LOCAL_MAX_CONCURRENT_HTTP_ACTIONS must be a whole number/,
    );
    expect(() => concurrencyLimits({ LOCAL_MAX_CONCURRENT_ACTIONS: "0" })).toThrow(/LOCAL_MAX_CONCURRENT_ACTIONS/);
    // HTTP actions share the actions' pool: never more of them than of it.
    expect(concurrencyLimits({ LOCAL_MAX_CONCURRENT_ACTIONS: "4" }).httpActions).toBe(4);
  });

  test("queries and mutations wait for a slot, then get the deployment's error", async () => {
    const c = new Concurrency({ ...S16_LIMITS, mutations: 1, waitMs: 50 });
    const release = await c.acquire("mutation");
    await expect(c.acquire("mutation")).rejects.toThrow(
      "Too many concurrent requests. Your backend is limited to 1 concurrent mutations. To get more resources, upgrade to Convex Pro. If you are already on Convex Pro, please contact support.",
    );
    // Released within the wait: the waiter gets the slot.
    const waiting = c.acquire("mutation");
    setTimeout(release, 10);
    (await waiting)();
    expect(c.stats().mutation).toEqual({ running: 0, waiting: 0, peak: 1, refused: 1 });
  });
});

describe("HTTP actions", () => {
  test("beyond the limit a request waits for a slot, and after the wait gets 429 TooManyConcurrentRequests", async () => {
    fx = await startFixture({ concurrency: { httpActions: 2, actionWaitMs: 300 } });
    const site = fx.backend.siteUrl;
    // Two streamed bodies hold both slots for ~1 s.
    const holding = [ticks(site, 8, 120), ticks(site, 8, 120)];
    await new Promise((r) => setTimeout(r, 100));
    const refused = await fetch(`${site}/ticks?n=1&delay=0`);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({
      code: "TooManyConcurrentRequests",
      message:
        "Too many concurrent requests. Your backend is limited to 2 concurrent http actions. To get more resources, upgrade to Convex Pro. If you are already on Convex Pro, please contact support.",
    });
    for (const r of await Promise.all(holding)) expect(r.status).toBe(200);
    // The slots came back when the bodies ended.
    expect((await ticks(site, 1, 0)).status).toBe(200);
    expect(fx.backend.concurrency().now.httpAction).toMatchObject({ running: 0, peak: 2, refused: 1 });
  });

  test("a request that finds every slot busy is served once one frees within the wait", async () => {
    fx = await startFixture({ concurrency: { httpActions: 1, actionWaitMs: 5_000 } });
    const site = fx.backend.siteUrl;
    const first = ticks(site, 3, 100);
    await new Promise((r) => setTimeout(r, 50));
    const started = performance.now();
    const second = await ticks(site, 1, 0);
    expect(second.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(150); // it waited for the first body to end
    expect((await first).status).toBe(200);
  });
});

describe("actions", () => {
  test("a client's action beyond the limit is refused with 429 on the HTTP API; HTTP actions share its pool", async () => {
    fx = await startFixture({ concurrency: { actions: 1, actionWaitMs: 200 } });
    const call = (ms: number) =>
      fetch(`${fx!.backend.convexUrl}/api/action`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ path: "notes:sleepFor", args: { ms }, format: "json" }),
      });
    const busy = call(800);
    await new Promise((r) => setTimeout(r, 100));
    const refused = await call(0);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({
      code: "TooManyConcurrentRequests",
      message: expect.stringContaining("limited to 1 concurrent actions"),
    });
    expect((await busy).status).toBe(200);
    // An HTTP action shares the actions' pool.
    const holding = call(600);
    await new Promise((r) => setTimeout(r, 100));
    expect((await fetch(`${fx.backend.siteUrl}/ticks?n=1&delay=0`)).status).toBe(429);
    await holding;
  });

  test("a scheduled action waits for an action slot (past the wait a client gets), and runs once one frees", async () => {
    fx = await startFixture({ concurrency: { actions: 1, actionWaitMs: 200 } });
    const { nodeClient } = await import("./helpers.js");
    const client = nodeClient(fx.backend.convexUrl);
    const notes = () => client.query(makeFunctionReference<"query">("notes:list"), {}) as Promise<{ text: string }[]>;
    try {
      const holding = ticks(fx.backend.siteUrl, 8, 100); // the one slot, for ~800 ms
      await new Promise((r) => setTimeout(r, 100));
      await client.mutation(makeFunctionReference<"mutation">("notes:addViaScheduledAction"), { text: "scheduled" });
      await new Promise((r) => setTimeout(r, 400));
      expect(fx.backend.concurrency().now.action).toMatchObject({ running: 1, waiting: 1, refused: 0 });
      expect((await notes()).map((n) => n.text)).not.toContain("scheduled");
      expect((await holding).status).toBe(200);
      await expect.poll(async () => (await notes()).map((n) => n.text), { timeout: 5_000 }).toContain("scheduled");
      expect(fx.backend.concurrency().now.action.refused).toBe(0);
    } finally {
      await client.close();
    }
  });

  test("an action's ctx.runMutation takes a mutation slot for the call", async () => {
    fx = await startFixture({ concurrency: { mutations: 1 } });
    const { nodeClient } = await import("./helpers.js");
    const client = nodeClient(fx.backend.convexUrl);
    try {
      await client.action(makeFunctionReference<"action">("notes:addViaAction"), { text: "via action" });
      expect(fx.backend.concurrency().now.mutation.peak).toBe(1);
      expect(fx.backend.concurrency().now.action.peak).toBe(1);
    } finally {
      await client.close();
    }
  });
});

describe("scheduled jobs", () => {
  type Job = { name: string; state: string };
  async function withClient(run: (c: ConvexClient) => Promise<void>) {
    const client = nodeClient(fx!.backend.convexUrl);
    try {
      await run(client);
    } finally {
      await client.close();
    }
  }
  const jobs = (c: ConvexClient) => c.query(makeFunctionReference<"query">("notes:jobs"), {}) as Promise<Job[]>;
  const notes = async (c: ConvexClient) =>
    ((await c.query(makeFunctionReference<"query">("notes:list"), {})) as { text: string }[]).map((n) => n.text);
  const states = (list: Job[]) => list.map((j) => j.state);
  /** One long job running in the only scheduled-job slot (a fixture started with `scheduledJobs: 1`). */
  async function holdTheOnlySlot(client: ConvexClient, ms: number) {
    await client.mutation(makeFunctionReference<"mutation">("notes:scheduleSleeps"), { count: 1, ms, text: "long" });
    await expect.poll(async () => states(await jobs(client))).toEqual(["inProgress"]);
  }

  test("beyond the limit a due job stays pending until a running one ends, and is never refused", async () => {
    fx = await startFixture({ concurrency: { scheduledJobs: 2 } });
    await withClient(async (client) => {
      await client.mutation(makeFunctionReference<"mutation">("notes:scheduleSleeps"), {
        count: 3,
        ms: 800,
        text: "slow",
      });
      await expect.poll(async () => states(await jobs(client)).filter((s) => s === "inProgress").length).toBe(2);
      // Two actions hold both slots; the third is due but waits, still pending, taking no action slot.
      await new Promise((r) => setTimeout(r, 300));
      expect(states(await jobs(client)).sort()).toEqual(["inProgress", "inProgress", "pending"]);
      expect(fx!.backend.concurrency().now.scheduledJob).toMatchObject({ running: 2, waiting: 1 });
      expect(fx!.backend.concurrency().now.action.running).toBe(2);
      // It starts once one of them ended: by then that one's note is there and its own is not.
      await expect
        .poll(async () => states(await jobs(client)).filter((s) => s === "success").length)
        .toBeGreaterThan(0);
      const third = (await jobs(client)).findIndex((j) => j.state !== "success");
      await expect.poll(async () => (await jobs(client))[third]!.state, { timeout: 5_000 }).toBe("success");
      expect((await notes(client)).sort()).toEqual(["slow 0", "slow 1", "slow 2"]);
      expect(fx!.backend.concurrency().now.scheduledJob).toMatchObject({ running: 0, waiting: 0, peak: 2, refused: 0 });
    });
  });

  test("a mutation scheduled behind long actions waits for one of them to end", async () => {
    fx = await startFixture({ concurrency: { scheduledJobs: 2 } });
    await withClient(async (client) => {
      await client.mutation(makeFunctionReference<"mutation">("notes:scheduleSleeps"), {
        count: 2,
        ms: 1_000,
        text: "long",
      });
      await expect.poll(async () => states(await jobs(client)).filter((s) => s === "inProgress").length).toBe(2);
      await client.mutation(makeFunctionReference<"mutation">("notes:addLater"), { text: "quick", delayMs: 0 });
      await new Promise((r) => setTimeout(r, 300));
      expect((await jobs(client)).at(-1)?.state).toBe("pending");
      expect(await notes(client)).toEqual([]);
      await expect.poll(() => notes(client), { timeout: 5_000 }).toContain("quick");
      // It ran only once a slot freed: after a long one's note.
      expect((await notes(client)).indexOf("quick")).toBeGreaterThan(0);
    });
  });

  test("a job an action scheduled waits for a slot too", async () => {
    fx = await startFixture({ concurrency: { scheduledJobs: 1 } });
    await withClient(async (client) => {
      await holdTheOnlySlot(client, 1_000);
      await client.action(makeFunctionReference<"action">("notes:addLaterFromAction"), { text: "from an action" });
      await new Promise((r) => setTimeout(r, 300));
      expect(states(await jobs(client))).toEqual(["inProgress", "pending"]);
      await expect.poll(() => notes(client), { timeout: 5_000 }).toEqual(["long 0", "from an action"]);
    });
  });

  test("only a scheduled function's timer waits for a slot: an action's own fires as armed while a transaction is in flight", async () => {
    fx = await startFixture({ concurrency: { scheduledJobs: 1 } });
    await withClient(async (client) => {
      await holdTheOnlySlot(client, 5_000);
      // A query holds the transaction across event-loop turns; meanwhile an action sleeps 50 ms.
      // Taken for a job's, its timer would wait for the slot (and could no longer be cleared): an
      // idle socket's timer of undici then broke off the next response on that socket (bench row 10).
      const query = client.query(makeFunctionReference<"query">("runtime:slowDigests"), { ms: 2_000 });
      await expect.poll(() => fx!.backend.concurrency().now.query.running).toBe(1);
      expect(await client.action(makeFunctionReference<"action">("notes:sleepFor"), { ms: 50 })).toBe(50);
      // It returned while the job still held the slot, and the query the transaction.
      expect(fx!.backend.concurrency().now.scheduledJob).toMatchObject({ running: 1, waiting: 0 });
      expect(fx!.backend.concurrency().now.query.running).toBe(1);
      await query;
      expect(states(await jobs(client))).toEqual(["inProgress"]);
      await expect.poll(async () => states(await jobs(client)), { timeout: 10_000 }).toEqual(["success"]);
    });
  });
});
