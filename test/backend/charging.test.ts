// Every reply is charged to the daily budgets, however it ends, for the text it generated; and
// the charge is its own scheduled mutation (`usage:settle`), so a reply's end never touches the
// deployment-wide usage row that every send reads and writes.
import { afterEach, describe, expect, test, vi } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import { hashToken } from "../../convex/lib/access";
import { DEPLOYMENT_KEY, estimateTokens } from "../../convex/lib/budget";
import { LEASE_MS, STOP_GRACE_MS } from "../../convex/lib/replies";
import { newThread, restoreEnv, send, setup, type T, usageRows } from "./setup";

afterEach(() => {
  vi.useRealTimers();
  restoreEnv();
});

const PARTIAL = "Partial answer, cut off mid-way. ";

/** A reply whose driver began it, flushed once, and died. */
async function replyWithDeadDriver() {
  const t = setup();
  const { threadId, token } = await newThread(t);
  const { streamId } = await send(t, threadId, token);
  const begun = await t.mutation(internal.chat.begin, { streamId, tokenHash: await hashToken(token) });
  if (begun.kind !== "start") throw new Error(`begin: ${begun.kind}`);
  await t.mutation(internal.chat.flush, { messageId: begun.messageId, text: PARTIAL });
  const message = await t.run(async (ctx) => (await ctx.db.get("messages", begun.messageId))!);
  return { t, threadId, token, messageId: begun.messageId, reservation: message.reservation! };
}

async function usage(t: T) {
  return (await usageRows(t)).find((r) => r.key === DEPLOYMENT_KEY)!;
}

async function advance(t: T, ms: number) {
  vi.advanceTimersByTime(ms);
  await t.finishInProgressScheduledFunctions();
}

describe("every reply is charged for the text it generated", () => {
  test("a reply ended by the lease sweeper: its input and persisted text, its reservation returned", async () => {
    vi.useFakeTimers();
    const { t, threadId, token, reservation } = await replyWithDeadDriver();
    expect(reservation.inputChars).toBeGreaterThan(0);
    await advance(t, LEASE_MS);
    await advance(t, 0); // the charge, scheduled by the sweeper
    const reply = (await t.query(api.messages.list, { threadId, token }))[1];
    expect(reply).toMatchObject({ status: "error", text: PARTIAL });
    const expected = estimateTokens(reservation.inputChars!, PARTIAL.length);
    expect(expected).toBeLessThan(reservation.tokens);
    // The deployment's row and the visitor's.
    const rows = await usageRows(t);
    expect(rows.map((r) => [r.key === DEPLOYMENT_KEY, r.tokens, r.reserved])).toEqual([
      [true, expected, 0],
      [false, expected, 0],
    ]);
  });

  test("a reply stopped past the grace, its driver gone: charged for its text", async () => {
    vi.useFakeTimers();
    const { t, threadId, token, reservation } = await replyWithDeadDriver();
    await t.mutation(api.messages.stop, { threadId, token });
    await advance(t, STOP_GRACE_MS);
    await advance(t, 0);
    expect((await t.query(api.messages.list, { threadId, token }))[1]).toMatchObject({
      status: "stopped",
      text: PARTIAL,
    });
    expect(await usage(t)).toMatchObject({
      tokens: estimateTokens(reservation.inputChars!, PARTIAL.length),
      reserved: 0,
    });
  });

  test("a reply deleted with its thread while it ran: charged for its text", async () => {
    vi.useFakeTimers();
    const { t, threadId, token, reservation } = await replyWithDeadDriver();
    await t.mutation(api.threads.remove, { threadId, token });
    await advance(t, 0);
    await advance(t, 0);
    expect(await usage(t)).toMatchObject({
      tokens: estimateTokens(reservation.inputChars!, PARTIAL.length),
      reserved: 0,
    });
  });
});

describe("a reply's end does not touch the deployment-wide usage row", () => {
  test("a finish whose charge fails still ends the reply done with its text", async () => {
    vi.useFakeTimers();
    const { t, threadId, token, messageId } = await replyWithDeadDriver();
    // Break the charge: a second usage row for the visitor's day makes every read of it throw.
    await t.run(async (ctx) => {
      const visitorRow = (await ctx.db.query("tokenUsage").collect()).find((r) => r.key !== DEPLOYMENT_KEY)!;
      await ctx.db.insert("tokenUsage", { day: visitorRow.day, key: visitorRow.key, tokens: 0 });
    });
    await t.mutation(internal.chat.finish, { messageId, text: "The end.", status: "done", error: null, tokens: 42 });
    expect((await t.query(api.messages.list, { threadId, token }))[1]).toMatchObject({
      status: "done",
      text: `${PARTIAL}The end.`,
    });
    // The charge was scheduled, and it is the charge that fails, not the finish.
    await advance(t, 0);
    const charges = await t.run(async (ctx) => await ctx.db.system.query("_scheduled_functions").collect());
    expect(charges.filter((f) => f.name.startsWith("usage")).map((f) => f.state.kind)).toEqual(["failed"]);
    const message = await t.run(async (ctx) => (await ctx.db.get("messages", messageId))!);
    expect(message.reservation).toBeUndefined();
  });

  test("the charge only inserts: the shard's row is unchanged until the next send folds it in", async () => {
    vi.useFakeTimers();
    const { t, threadId, token, messageId } = await replyWithDeadDriver();
    const shardRow = async () =>
      await t.run(async (ctx) => (await ctx.db.query("tokenUsage").collect()).find((r) => r.key === DEPLOYMENT_KEY)!);
    const pendingCharges = async () => await t.run(async (ctx) => await ctx.db.query("usageCharges").collect());
    const before = await shardRow();
    await t.mutation(internal.chat.finish, { messageId, text: "", status: "done", error: null, tokens: 42 });
    await advance(t, 0);
    // A send on the same shard at this moment would not have conflicted with the charge.
    expect(await shardRow()).toEqual(before);
    expect(await pendingCharges()).toHaveLength(1);
    expect(await usage(t)).toMatchObject({ tokens: 42, reserved: 0 });
    await send(t, threadId, token);
    const after = await shardRow();
    expect(after.tokens).toBe(42);
    // Held now: only the new send's own reservation; the old one was returned by the fold.
    const held = await t.run(async (ctx) =>
      (await ctx.db.query("messages").collect()).reduce((n, m) => n + (m.reservation?.tokens ?? 0), 0),
    );
    expect(held).toBeGreaterThan(0);
    expect(after.reserved).toBe(held);
    expect(await pendingCharges()).toEqual([]);
  });

  test("a finish charges the driver's count once, in its own scheduled mutation", async () => {
    vi.useFakeTimers();
    const { t, messageId } = await replyWithDeadDriver();
    const before = await usage(t);
    await t.mutation(internal.chat.finish, { messageId, text: "", status: "done", error: null, tokens: 42 });
    // Until the charge runs, the reservation is still held: admission errs on the safe side.
    expect(await usage(t)).toEqual(before);
    await advance(t, 0);
    expect(await usage(t)).toMatchObject({ tokens: 42, reserved: 0 });
    await advance(t, LEASE_MS);
    expect(await usage(t)).toMatchObject({ tokens: 42, reserved: 0 });
  });
});
