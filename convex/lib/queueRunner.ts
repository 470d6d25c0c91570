/**
 * Queue runners: how queued replies (`chat:queue`) are generated without taking every one of the
 * deployment's scheduled-job slots. A deployment runs only so many scheduled functions at once
 * (8 on the S16 plans: Convex's limits page, "Scheduled jobs"), and a scheduled action holds its
 * slot for its whole run; one action per queued reply would let 8 queued visitors take them all,
 * and every other scheduled job (charges, purges, cleanup) would wait behind their replies.
 *
 * So a runner (`http:runQueue`, one scheduled action) generates up to QUEUE_RUNNER_REPLIES (16)
 * queued replies at once, each as the POST's driver would (`runReply`), and when one ends takes
 * the next oldest (of its own shares of the queue first, so runners seldom meet on one row); while
 * it has room it also looks for queued replies every POLL_MS. At most
 * QUEUE_RUNNERS (4) run at once, deployment-wide: each holds a slot row (`queueRunners`) whose
 * lease it renews, so a crashed runner's slot frees. 4 × 16 = 64 replies, the S16 action pool.
 *
 * No queued reply is orphaned: a runner gives its slot back only in a mutation that also sees the
 * queue empty (`queueRunner:next`), so a reply queued at the same time is either seen by it or,
 * as the transactions are serializable, queued after it, when `chat:queue` finds the slot free and
 * schedules a runner (with every slot held by a live runner it schedules none: one of them takes it). A Convex-runtime action is stopped at 30 minutes: a runner takes replies for TAKE_MS, then
 * hands its slot to a successor it schedules and finishes what it has.
 */
import { internal } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import type { ActionCtx, MutationCtx } from "../_generated/server";
import { retryWhileBusy } from "./replyDriver";
import type { ChatTurn } from "./validators";

/** QUEUE_RUNNERS' default: runners at once, deployment-wide. */
export const DEFAULT_QUEUE_RUNNERS = 4;
/** QUEUE_RUNNER_REPLIES' default: replies one runner generates at once. */
export const DEFAULT_QUEUE_RUNNER_REPLIES = 16;
/** How often a runner with room looks for queued replies (one may be queued while all are full). */
export const POLL_MS = 1_500;
/** How long a runner's slot is held without a renewal; each step renews it once half of it is gone. */
export const RUNNER_LEASE_MS = 30_000;
/** How often a full runner steps (renewing its slot) while none of its replies ends. */
const RENEW_MS = 10_000;
/** A runner takes new replies this long, then hands over: its last replies have ~26 of the action's 30 minutes. */
export const TAKE_MS = 4 * 60_000;

/** QUEUE_RUNNERS and QUEUE_RUNNER_REPLIES, each a whole number ≥ 1, or an error naming the variable. */
export function runnerLimits(env: Record<string, string | undefined> = process.env): {
  runners: number;
  replies: number;
} {
  return {
    runners: count("QUEUE_RUNNERS", env.QUEUE_RUNNERS, DEFAULT_QUEUE_RUNNERS),
    replies: count("QUEUE_RUNNER_REPLIES", env.QUEUE_RUNNER_REPLIES, DEFAULT_QUEUE_RUNNER_REPLIES),
  };
}

function count(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(
      `${name} is ${JSON.stringify(raw)}; it must be a whole number of at least 1 (the default is ${fallback}). Set it with npx convex env set.`,
    );
  }
  return n;
}

export function slotRow(ctx: MutationCtx, slot: number): Promise<Doc<"queueRunners"> | null> {
  return ctx.db
    .query("queueRunners")
    .withIndex("by_slot", (q) => q.eq("slot", slot))
    .unique();
}

/** The first of QUEUE_RUNNERS slots with no runner or a lapsed one. */
export async function freeSlot(ctx: MutationCtx): Promise<{ slot: number; row: Doc<"queueRunners"> | null } | null> {
  const { runners } = runnerLimits();
  const now = Date.now();
  for (let slot = 0; slot < runners; slot++) {
    const row = await slotRow(ctx, slot);
    if (row === null || row.expiresAt <= now) return { slot, row };
  }
  return null;
}

/** What `queueRunner:next` answers. */
export type NextStep =
  | { kind: "reply"; messageId: Id<"messages">; messages: ChatTurn[] }
  /** Nothing to take now (or not asked to take): the slot is renewed. */
  | { kind: "idle" }
  /** The queue was empty and the runner had nothing left: the slot is given back. */
  | { kind: "released" }
  /** A successor runner holds the slot now. */
  | { kind: "handedOver" }
  /** The slot is no longer this runner's (its lease lapsed): take nothing more. */
  | { kind: "lost" };

export interface Runner {
  slot: number;
  runnerId: string;
}

/**
 * Runs the runner holding `runner`'s slot until it gave the slot back (or handed it over, or
 * lost it) and every reply it took has ended. `generate` runs one reply to its end, never throwing.
 */
export async function serveQueuedReplies(
  ctx: ActionCtx,
  runner: Runner,
  generate: (messageId: Id<"messages">, messages: ChatTurn[]) => Promise<void>,
): Promise<void> {
  const { replies: capacity } = runnerLimits();
  const startedAt = Date.now();
  const active = new Set<Promise<void>>();
  let wake = () => {};
  let failingSince: number | null = null;
  for (;;) {
    const handover = Date.now() - startedAt >= TAKE_MS;
    const take = !handover && active.size < capacity;
    let step: NextStep;
    try {
      // Run when the deployment is busy by definition: a call turned away for load is sent again.
      step = await retryWhileBusy(() =>
        ctx.runMutation(internal.queueRunner.next, { ...runner, take, handover, active: active.size }),
      );
      failingSince = null;
    } catch (error) {
      console.error(`queue runner ${runner.slot}: ${error instanceof Error ? error.message : String(error)}`);
      // Its lease covers a few failures; past it, the slot is another runner's to take.
      failingSince ??= Date.now();
      step = Date.now() - failingSince < RUNNER_LEASE_MS ? { kind: "idle" } : { kind: "lost" };
    }
    if (step.kind === "reply") {
      const reply: Promise<void> = generate(step.messageId, step.messages).finally(() => {
        active.delete(reply);
        wake();
      });
      active.add(reply);
      continue;
    }
    if (step.kind !== "idle") break;
    // Look again after POLL_MS while there is room, or when a reply ends (room again).
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, active.size < capacity ? POLL_MS : RENEW_MS);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    wake = () => {};
  }
  await Promise.all(active);
}
