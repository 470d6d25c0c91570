// A driver that dies (deployment restart, action time or memory limit, a POST turned away)
// must not hold its thread: each reply has a lease its driver renews; once it lapses the reply
// ends and the thread takes the next message. The driver's death is simulated by running its
// internal mutations by hand and then stopping.
import { afterEach, describe, expect, test, vi } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import { hashToken } from "../../convex/lib/access";
import { REPLY_ERRORS } from "../../convex/lib/errors";
import { LEASE_MS, MIN_LEASE_MS, STOP_GRACE_MS } from "../../convex/lib/replies";
import { expectCode, newThread, restoreEnv, send, setEnv, setup, type T } from "./setup";

afterEach(() => {
  vi.useRealTimers();
  restoreEnv();
});

/** A chat whose reply a driver began and flushed once, and then died. */
async function replyWithDeadDriver() {
  const t = setup();
  const { threadId, token } = await newThread(t);
  const { streamId } = await send(t, threadId, token);
  const begun = await t.mutation(internal.chat.begin, { streamId, tokenHash: await hashToken(token) });
  if (begun.kind !== "start") throw new Error(`begin: ${begun.kind}`);
  await t.mutation(internal.chat.flush, { messageId: begun.messageId, text: "Partial answer. " });
  return { t, threadId, token, messageId: begun.messageId };
}

async function reply(t: T, threadId: string, token: string) {
  return (await t.query(api.messages.list, { threadId, token }))[1];
}

/** Runs the scheduled functions due within `ms` (fake timers). */
async function advance(t: T, ms: number) {
  vi.advanceTimersByTime(ms);
  await t.finishInProgressScheduledFunctions();
}

describe("a dead driver's reply", () => {
  test("ends as error once its lease lapses, keeping its text, without anyone sending", async () => {
    vi.useFakeTimers();
    const { t, threadId, token } = await replyWithDeadDriver();
    await advance(t, LEASE_MS - 1000);
    expect((await reply(t, threadId, token)).status).toBe("streaming");
    await advance(t, 1000);
    expect(await reply(t, threadId, token)).toMatchObject({
      status: "error",
      text: "Partial answer. ",
      error: REPLY_ERRORS.driverLost,
    });
    expect((await t.query(api.threads.get, { threadId, token })).status).toBe("error");
  });

  test("does not refuse the next message once the lease has lapsed (REPLY_IN_PROGRESS only before)", async () => {
    vi.useFakeTimers({ toFake: ["Date"] }); // the clock only: the scheduled check does not run
    const { t, threadId, token } = await replyWithDeadDriver();
    await expectCode(send(t, threadId, token, "next"), "REPLY_IN_PROGRESS");
    vi.setSystemTime(Date.now() + LEASE_MS);
    await send(t, threadId, token, "next");
    const statuses = (await t.query(api.messages.list, { threadId, token })).map((m) => m.status);
    expect(statuses).toEqual(["done", "error", "done", "pending"]);
  });

  test("ends within STOP_GRACE_MS of messages:stop, as stopped, keeping its text", async () => {
    vi.useFakeTimers();
    const { t, threadId, token } = await replyWithDeadDriver();
    await t.mutation(api.messages.stop, { threadId, token });
    expect((await reply(t, threadId, token)).status).toBe("streaming");
    await advance(t, STOP_GRACE_MS);
    expect(await reply(t, threadId, token)).toMatchObject({ status: "stopped", text: "Partial answer. " });
  });

  test("ends at once on messages:stop when its lease has already lapsed", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const { t, threadId, token } = await replyWithDeadDriver();
    vi.setSystemTime(Date.now() + LEASE_MS);
    await t.mutation(api.messages.stop, { threadId, token });
    expect(await reply(t, threadId, token)).toMatchObject({ status: "error", text: "Partial answer. " });
  });

  test("a late flush from a driver presumed dead is told to stop, and adds nothing", async () => {
    vi.useFakeTimers();
    const { t, threadId, token, messageId } = await replyWithDeadDriver();
    await advance(t, LEASE_MS);
    expect(await t.mutation(internal.chat.flush, { messageId, text: "too late" })).toEqual({ stop: true });
    expect((await reply(t, threadId, token)).text).toBe("Partial answer. ");
  });
});

describe("a live driver keeps its reply", () => {
  test("a live driver's lease check never runs: each renewal moves it (no check beside a flush)", async () => {
    vi.useFakeTimers();
    const { t, threadId, token, messageId } = await replyWithDeadDriver();
    // Alive for three leases: a flush or a heartbeat every second.
    for (let s = 0; s < (3 * LEASE_MS) / 1000; s++) {
      await advance(t, 1000);
      if (s % 2 === 0) expect(await t.mutation(internal.chat.heartbeat, { messageId })).toBe(false);
      else expect(await t.mutation(internal.chat.flush, { messageId, text: "." })).toEqual({ stop: false });
    }
    const checks = await t.run(async (ctx) =>
      (await ctx.db.system.query("_scheduled_functions").collect()).filter((j) => j.name.includes("expireLease")),
    );
    // Every check but the newest was cancelled before it came due; none ran.
    expect(checks.filter((j) => j.state.kind === "pending")).toHaveLength(1);
    expect(checks.filter((j) => j.state.kind !== "pending" && j.state.kind !== "canceled")).toEqual([]);
    expect(checks.length).toBeGreaterThan(3);
    // Then it dies, its last renewal just written: the reply ends when that lease lapses, not before.
    await advance(t, LEASE_MS - 1000);
    expect((await reply(t, threadId, token)).status).toBe("streaming");
    await advance(t, 1000);
    expect((await reply(t, threadId, token)).status).toBe("error");
  });

  test("heartbeats while the model is silent renew the lease", async () => {
    vi.useFakeTimers();
    const { t, threadId, token, messageId } = await replyWithDeadDriver();
    for (let elapsed = 0; elapsed < 3 * LEASE_MS; elapsed += 1000) {
      await advance(t, 1000);
      expect(await t.mutation(internal.chat.heartbeat, { messageId })).toBe(false);
    }
    expect((await reply(t, threadId, token)).status).toBe("streaming");
    await expectCode(send(t, threadId, token, "next"), "REPLY_IN_PROGRESS");
  });

  test("each flush renews the lease", async () => {
    vi.useFakeTimers();
    const { t, threadId, token, messageId } = await replyWithDeadDriver();
    for (let elapsed = 0; elapsed < 2 * LEASE_MS; elapsed += 10_000) {
      await advance(t, 10_000);
      expect(await t.mutation(internal.chat.flush, { messageId, text: "more. " })).toEqual({ stop: false });
    }
    expect((await reply(t, threadId, token)).status).toBe("streaming");
  });
});

test("a reply whose POST never lands ends as timeout when its lease lapses, and frees the thread", async () => {
  vi.useFakeTimers();
  const t = setup();
  const { threadId, token } = await newThread(t);
  await send(t, threadId, token);
  await advance(t, LEASE_MS);
  expect(await reply(t, threadId, token)).toMatchObject({ status: "timeout", error: REPLY_ERRORS.timedOut });
  await send(t, threadId, token, "again");
});

describe("REPLY_LEASE_MS", () => {
  test("sets the lease: a dead driver's reply ends after it, a live one's heartbeats keep it", async () => {
    setEnv({ REPLY_LEASE_MS: "6000" });
    vi.useFakeTimers();
    const live = await replyWithDeadDriver();
    for (let elapsed = 0; elapsed < 3 * 6000; elapsed += 1000) {
      await advance(live.t, 1000);
      expect(await live.t.mutation(internal.chat.heartbeat, { messageId: live.messageId })).toBe(false);
    }
    expect((await reply(live.t, live.threadId, live.token)).status).toBe("streaming");

    const dead = await replyWithDeadDriver();
    await advance(dead.t, 5000);
    expect((await reply(dead.t, dead.threadId, dead.token)).status).toBe("streaming");
    await advance(dead.t, 1000);
    expect((await reply(dead.t, dead.threadId, dead.token)).status).toBe("error");
  });

  test("below the minimum, the default lease applies", async () => {
    setEnv({ REPLY_LEASE_MS: String(MIN_LEASE_MS - 1) });
    vi.useFakeTimers();
    const { t, threadId, token } = await replyWithDeadDriver();
    await advance(t, LEASE_MS - 1000);
    expect((await reply(t, threadId, token)).status).toBe("streaming");
  });
});
