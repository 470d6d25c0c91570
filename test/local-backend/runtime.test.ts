// Queries and mutations see the isolate's globals: a frozen clock, seeded randomness, and
// no async operations or cryptographic randomness (local-backend/transactionRuntime.ts).
import { anyApi } from "convex/server";
import { describe, expect, test } from "vitest";
import { useFixture } from "./helpers.js";

const api = anyApi;
const { http } = useFixture();

type Clock = { start: number; later: number; constructed: number };
const ACTIONS_HINT =
  "in queries and mutations. Please consider using an action. See https://docs.convex.dev/functions/actions for more details.";

describe("queries and mutations", () => {
  test("Date.now() and new Date() are frozen at the start of a query", async () => {
    const c = (await http().query(api.runtime.queryClock, {})) as Clock;
    expect(c.later).toBe(c.start);
    expect(c.constructed).toBe(c.start);
  });

  test("Date.now() is frozen at the start of a mutation", async () => {
    const c = (await http().mutation(api.runtime.mutationClock, {})) as Clock;
    expect(c.later).toBe(c.start);
  });

  test("in an action the clock moves", async () => {
    const c = (await http().action(api.runtime.actionClock, {})) as Clock;
    expect(c.later - c.start).toBeGreaterThanOrEqual(25);
  });

  test("Math.random, crypto.randomUUID and crypto.getRandomValues work, seeded per run", async () => {
    const a = (await http().query(api.runtime.randomness, {})) as { random: number[]; uuid: string; bytes: number[] };
    const b = (await http().query(api.runtime.randomness, {})) as typeof a;
    for (const r of a.random) expect(r >= 0 && r < 1).toBe(true);
    expect(a.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.random).not.toEqual(b.random);
    expect(a.uuid).not.toBe(b.uuid);
    expect(a.bytes).not.toEqual(b.bytes);
  });

  test("crypto.getRandomValues gives at most 65,536 bytes, with the deployment's message", async () => {
    await expect(http().query(api.runtime.tooMuchEntropy, {})).rejects.toThrow(
      "Byte length (65537) exceeds the number of bytes of entropy available via this API (65536)",
    );
  });

  test("crypto.subtle operations without randomness work", async () => {
    expect(await http().query(api.runtime.digest, {})).toEqual([0xba, 0x78, 0x16, 0xbf]);
  });

  test("fetch() is refused", async () => {
    await expect(http().mutation(api.runtime.refused, { op: "fetch" })).rejects.toThrow(
      `Can't use fetch() ${ACTIONS_HINT}`,
    );
  });

  test("setTimeout is refused", async () => {
    await expect(http().mutation(api.runtime.refused, { op: "setTimeout" })).rejects.toThrow(
      `Can't use setTimeout ${ACTIONS_HINT}`,
    );
  });

  test("setInterval is refused", async () => {
    await expect(http().mutation(api.runtime.refused, { op: "setInterval" })).rejects.toThrow(
      `Can't use setInterval ${ACTIONS_HINT}`,
    );
  });

  test("cryptographic randomness (crypto.subtle.generateKey) is refused", async () => {
    await expect(http().mutation(api.runtime.refused, { op: "generateKey" })).rejects.toThrow(
      `Can't use cryptographic randomness ${ACTIONS_HINT}`,
    );
  });
});
