// A subscription's run turned away at the query limit (local-backend/sync.ts): as a deployment's
// sync worker, the socket closes with "TooManyConcurrentRequests" (no FatalError, no QueryFailed),
// and the client reconnects and subscribes again.
import { anyApi } from "convex/server";
import { afterEach, expect, test } from "vitest";
import { nodeClient, startFixture, type Fixture } from "./helpers.js";

const api = anyApi;
let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.cleanup();
  fx = undefined;
});

test("a subscription refused for load is not failed: the client reconnects and gets its value", async () => {
  fx = await startFixture({ concurrency: { queries: 1, waitMs: 100 } });
  const url = fx.backend.convexUrl;
  const [first, second] = [nodeClient(url), nodeClient(url)];
  try {
    // Sockets open first (a query opens one), so both subscriptions arrive together.
    await Promise.all([first, second].map((c) => c.query(api.notes.list, {})));
    // One run holds the only query slot for 400 ms (its digests yield the thread, the slot stays
    // taken); the other waits for it past 100 ms and is turned away.
    const errors: string[] = [];
    const values = [first, second].map(
      (client) =>
        new Promise<boolean>((resolve) =>
          client.onUpdate(
            api.runtime.slowDigests,
            { ms: 400 },
            (done: boolean) => resolve(done),
            (e: Error) => errors.push(e.message),
          ),
        ),
    );
    // The refused one comes back after the client's backoff for load (3 s, jittered).
    expect(await Promise.all(values)).toEqual([true, true]);
    expect(errors).toEqual([]);
    expect(fx.backend.concurrency().now.query.refused).toBeGreaterThanOrEqual(1);
  } finally {
    await Promise.all([first, second].map((c) => c.close()));
  }
}, 20_000);
