// Crons run: the app's own and a registered component's (the persistent-text-streaming
// cleanup cron), without waiting real minutes: the backend's clock is moved forward and
// the real cron definitions run as they would then.
import { anyApi } from "convex/server";
import { describe, expect, test } from "vitest";
import { useFixture } from "./helpers.js";

const api = anyApi;
const { fx, http } = useFixture();

describe("crons", () => {
  test("the streaming component's cleanup cron marks an abandoned stream `timeout`", async () => {
    const old = (await http().mutation(api.streams.create, {})) as string;
    await fx().backend.advanceTime(10 * 60_000);
    // 10 minutes: the cron ran, but the stream is not expired yet (20 minute limit).
    expect(await http().query(api.streams.body, { streamId: old })).toEqual({ text: "", status: "pending" });
    const fresh = (await http().mutation(api.streams.create, {})) as string;
    await fx().backend.advanceTime(11 * 60_000);
    expect(await http().query(api.streams.body, { streamId: old })).toMatchObject({ status: "timeout" });
    // Created 11 minutes ago on the backend's clock: still pending.
    expect(await http().query(api.streams.body, { streamId: fresh })).toMatchObject({ status: "pending" });
  });

  test("the app's interval cron runs on its own", async () => {
    const start = (await http().query(api.notes.ticks, {})) as number;
    // Real time: the 1 s interval fires without any help.
    for (let i = 0; i < 60; i++) {
      if (((await http().query(api.notes.ticks, {})) as number) > start) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await http().query(api.notes.ticks, {})).toBeGreaterThan(start);
  });
});
