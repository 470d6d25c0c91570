/**
 * Human handoff's shared steps (`convex/handoff.ts` holds the functions): who holds a thread, and
 * letting go of every thread an operator held when their session ends (sign-out, expiry), so a
 * thread never waits for a person who is gone.
 */
import { internal } from "../_generated/api";
import type { Id } from "../_generated/dataModel";
import type { MutationCtx } from "../_generated/server";

/** Threads released per run when a session ends; a full batch schedules the next one. */
export const RELEASE_BATCH = 100;
/** An operator's heartbeat keeps them online this long... */
export const ONLINE_MS = 60_000;
/** ...and is written only once less than this is left: at most 2 writes a minute per operator. */
export const ONLINE_RENEW_MS = 30_000;
/** A side's typing is written at most once per this long (bounded writes however fast one types). */
export const TYPING_REFRESH_MS = 3_000;

/** The presence key of an operator session (`authorizeOperatorAs` gives the same). */
export function sessionKey(sessionId: Id<"operatorSessions">): string {
  return `session:${sessionId}`;
}

/**
 * A session ended: its threads go back to the AI (the next visitor message gets a reply) and it
 * is offline. Worst case: 101 documents read, 101 written, 1 function scheduled.
 */
export async function releaseHeld(ctx: MutationCtx, sessionId: Id<"operatorSessions">): Promise<void> {
  const held = await ctx.db
    .query("threads")
    .withIndex("by_holderSessionId", (q) => q.eq("holderSessionId", sessionId))
    .take(RELEASE_BATCH);
  for (const thread of held) {
    await ctx.db.patch("threads", thread._id, { holder: undefined, holderSessionId: undefined });
  }
  const online = await ctx.db
    .query("operatorsOnline")
    .withIndex("by_key", (q) => q.eq("key", sessionKey(sessionId)))
    .unique();
  if (online) await ctx.db.delete("operatorsOnline", online._id);
  if (held.length === RELEASE_BATCH) {
    await ctx.scheduler.runAfter(0, internal.handoff.releaseSession, { sessionId });
  }
}
