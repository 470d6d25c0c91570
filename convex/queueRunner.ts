/**
 * The queue runners' slots and their one way to take a queued reply (`lib/queueRunner.ts` says
 * why runners, and how no queued reply is orphaned). Internal: only `http:runQueue` and the cron
 * call these.
 */
import { v } from "convex/values";
import { internal } from "./_generated/api";
import type { Doc } from "./_generated/dataModel";
import { internalMutation, type MutationCtx } from "./_generated/server";
import { beginQueuedReply, QUEUE_SHARDS } from "./chat";
import { newToken } from "./lib/access";
import { freeSlot, RUNNER_LEASE_MS, runnerLimits, slotRow, type NextStep } from "./lib/queueRunner";
import { vChatTurn } from "./lib/validators";

/** Queued replies one `next` may pass over (stopped ones leaving the queue) before it answers. */
const MAX_SKIPPED = 8;

/** The oldest queued reply still waiting: a read that ends at it, so newer ones queued meanwhile do not conflict. */
function oldestQueued(ctx: MutationCtx): Promise<Doc<"messages"> | null> {
  return ctx.db
    .query("messages")
    .withIndex("by_queued_status", (q) => q.eq("queued", true).eq("status", "pending"))
    .first();
}

/**
 * The oldest queued reply in runner `slot`'s own shares (`queueShard` s with s % QUEUE_RUNNERS ===
 * slot), else the oldest of all. Runners taking replies at once read apart, so they seldom meet on
 * one row (a deployment would retry all but one of them); with their own shares empty they help
 * the others. Worst case: 8 share reads (one runner owns all 8) and 1 more.
 */
async function nextQueued(ctx: MutationCtx, slot: number): Promise<Doc<"messages"> | null> {
  const { runners } = runnerLimits();
  let oldest: Doc<"messages"> | null = null;
  for (let shard = slot; shard < QUEUE_SHARDS; shard += runners) {
    const first = await ctx.db
      .query("messages")
      .withIndex("by_queueShard_status", (q) => q.eq("queueShard", shard).eq("status", "pending"))
      .first();
    if (first !== null && (oldest === null || first._creationTime < oldest._creationTime)) oldest = first;
  }
  return oldest ?? (await oldestQueued(ctx));
}

/**
 * A runner's start: its slot if `slot` names one handed to `runnerId` (a successor), else the
 * first free one of QUEUE_RUNNERS when a reply waits; `null`: exit at once (every slot taken, or
 * nothing queued). Worst case: 1 queued reply and QUEUE_RUNNERS slot rows read, 1 written.
 */
export const start = internalMutation({
  args: { runnerId: v.string(), slot: v.optional(v.number()) },
  returns: v.union(v.object({ slot: v.number(), runnerId: v.string() }), v.null()),
  handler: async (ctx, args) => {
    const expiresAt = Date.now() + RUNNER_LEASE_MS;
    if (args.slot !== undefined) {
      const row = await slotRow(ctx, args.slot);
      if (row?.runnerId !== args.runnerId) return null;
      await ctx.db.patch("queueRunners", row._id, { expiresAt });
      return { slot: args.slot, runnerId: args.runnerId };
    }
    if ((await oldestQueued(ctx)) === null) return null;
    const slot = await freeSlot(ctx);
    if (slot === null) return null;
    if (slot.row) await ctx.db.patch("queueRunners", slot.row._id, { runnerId: args.runnerId, expiresAt });
    else await ctx.db.insert("queueRunners", { slot: slot.slot, runnerId: args.runnerId, expiresAt });
    return { slot: slot.slot, runnerId: args.runnerId };
  },
});

const vNextStep = v.union(
  v.object({ kind: v.literal("reply"), messageId: v.id("messages"), messages: v.array(vChatTurn) }),
  v.object({ kind: v.literal("idle") }),
  v.object({ kind: v.literal("released") }),
  v.object({ kind: v.literal("handedOver") }),
  v.object({ kind: v.literal("lost") }),
);

/**
 * A runner's every step, renewing its slot's lease: with `take`, begins the oldest queued reply of
 * its own shares, else of all (`nextQueued`), as the POST's `chat:begin` would (`streaming`,
 * lease renewed), and answers its conversation; with the
 * queue empty and no reply of its own left (`active` 0), gives the slot back. With `handover`
 * (its time to take replies is up), hands the slot to a successor runner it schedules, or gives
 * it back if the queue is empty. Worst case: 1 slot row and 9 × 9 queue reads (8 stopped
 * replies leaving the queue), the reply's begin (`chat:begin`'s history read), 10 written.
 */
export const next = internalMutation({
  args: {
    slot: v.number(),
    runnerId: v.string(),
    take: v.boolean(),
    handover: v.boolean(),
    active: v.number(),
  },
  returns: vNextStep,
  handler: async (ctx, args): Promise<NextStep> => {
    const row = await slotRow(ctx, args.slot);
    if (row?.runnerId !== args.runnerId) return { kind: "lost" };
    if (args.handover) {
      if ((await oldestQueued(ctx)) === null) {
        await ctx.db.delete("queueRunners", row._id);
        return { kind: "released" };
      }
      const successor = newToken();
      await ctx.db.patch("queueRunners", row._id, { runnerId: successor, expiresAt: Date.now() + RUNNER_LEASE_MS });
      await ctx.scheduler.runAfter(0, internal.http.runQueue, { slot: args.slot, runnerId: successor });
      return { kind: "handedOver" };
    }
    // Renewed once half of it is gone, not on every step: a runner starting reads these rows.
    if (row.expiresAt - Date.now() < RUNNER_LEASE_MS / 2) {
      await ctx.db.patch("queueRunners", row._id, { expiresAt: Date.now() + RUNNER_LEASE_MS });
    }
    if (!args.take) return { kind: "idle" };
    let empty = false;
    for (let skipped = 0; skipped <= MAX_SKIPPED && !empty; skipped++) {
      const message = await nextQueued(ctx, args.slot);
      if (message === null) empty = true;
      else {
        const messages = await beginQueuedReply(ctx, message);
        if (messages !== null) return { kind: "reply", messageId: message._id, messages };
      }
    }
    if (!empty || args.active > 0) return { kind: "idle" };
    await ctx.db.delete("queueRunners", row._id);
    return { kind: "released" };
  },
});

/**
 * Every minute (crons.ts): a runner for queued replies that no runner will take, when a slot is
 * free (its runner crashed, or the runner `chat:queue` scheduled never ran). Worst case: 1 queued
 * reply and QUEUE_RUNNERS slot rows read; 1 function scheduled.
 */
export const rescue = internalMutation({
  args: {},
  returns: v.null(),
  handler: async (ctx) => {
    if ((await oldestQueued(ctx)) !== null && (await freeSlot(ctx)) !== null) {
      await ctx.scheduler.runAfter(0, internal.http.runQueue, {});
    }
    return null;
  },
});
