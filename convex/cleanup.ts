/**
 * Expiry and cleanup of the security tables.
 *
 * - Queries cannot see time pass (a function's `Date.now()` is frozen when it starts, and a
 *   subscription re-runs only when what it read changes), so an operator session or observer
 *   token expires by a write: `expireSession` / `expireShare`, scheduled for the moment it
 *   expires, revoke it, and every subscription that read it re-runs and is refused.
 * - `run` (cron, hourly) deletes what nobody needs any more, in bounded batches: sessions and
 *   observer tokens a day after they expired (so `listShares` still shows recent ones), and
 *   `tokenUsage` and `usageCharges` rows of UTC days before the last TOKEN_USAGE_KEEP_DAYS. A full batch schedules
 *   the next one at once. Uploads never sent with a prompt go a day after they were made.
 */
import { v } from "convex/values";
import { internal } from "./_generated/api";
import { internalMutation } from "./_generated/server";
import { deleteAttachment, UNATTACHED_KEEP_MS } from "./lib/attachments";
import { utcDay } from "./lib/budget";
import { releaseHeld } from "./lib/handoff";
import { scheduleExpiry } from "./lib/expiry";

/** Rows deleted per table per run. */
const CLEANUP_BATCH = 200;
/** Expired sessions and observer tokens are deleted this long after they expired. */
const EXPIRED_KEEP_MS = 24 * 60 * 60 * 1000;
/** Days of token usage kept, today included. */
export const TOKEN_USAGE_KEEP_DAYS = 7;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Revokes an operator session at its expiry (scheduled by `operator:signIn`) and releases the
 * threads it held. Worst case: 103 documents read, 103 written, 1 function scheduled.
 */
export const expireSession = internalMutation({
  args: { sessionId: v.id("operatorSessions") },
  returns: v.null(),
  handler: async (ctx, args) => {
    const session = await ctx.db.get("operatorSessions", args.sessionId);
    if (!session || session.revokedAt !== null) return null;
    if (session.expiresAt > Date.now()) {
      await scheduleExpiry(session.expiresAt, (at) => ctx.scheduler.runAt(at, internal.cleanup.expireSession, args));
    } else {
      await ctx.db.patch("operatorSessions", session._id, { revokedAt: session.expiresAt });
      // Its threads go back to the AI, and the operator is offline.
      await releaseHeld(ctx, session._id);
    }
    return null;
  },
});

/**
 * Revokes an observer token at its expiry (scheduled by `threads:share`).
 * Worst case: 1 document read, 1 written, 1 function scheduled.
 */
export const expireShare = internalMutation({
  args: { shareId: v.id("observerTokens") },
  returns: v.null(),
  handler: async (ctx, args) => {
    const share = await ctx.db.get("observerTokens", args.shareId);
    if (!share || share.revokedAt !== null || share.expiresAt === undefined) return null;
    if (share.expiresAt > Date.now()) {
      await scheduleExpiry(share.expiresAt, (at) => ctx.scheduler.runAt(at, internal.cleanup.expireShare, args));
    } else {
      await ctx.db.patch("observerTokens", share._id, { revokedAt: share.expiresAt });
    }
    return null;
  },
});

/**
 * One cleanup batch per table (see the top of this file).
 * Worst case: 600 documents read and deleted, 1 function scheduled.
 */
export const run = internalMutation({
  args: {},
  returns: v.null(),
  handler: async (ctx) => {
    const now = Date.now();
    const expiredBefore = now - EXPIRED_KEEP_MS;
    const sessions = await ctx.db
      .query("operatorSessions")
      .withIndex("by_expiresAt", (q) => q.lt("expiresAt", expiredBefore))
      .take(CLEANUP_BATCH);
    // Observer tokens from before expiry existed have none and are left alone (refused after 30 days).
    const shares = await ctx.db
      .query("observerTokens")
      .withIndex("by_expiresAt", (q) => q.gt("expiresAt", 0).lt("expiresAt", expiredBefore))
      .take(CLEANUP_BATCH);
    const oldestKept = utcDay(now - (TOKEN_USAGE_KEEP_DAYS - 1) * DAY_MS).day;
    const usage = await ctx.db
      .query("tokenUsage")
      .withIndex("by_day_key", (q) => q.lt("day", oldestKept))
      .take(CLEANUP_BATCH);
    // Charges to a past day no send folds any more (lib/budget.ts).
    const charges = await ctx.db
      .query("usageCharges")
      .withIndex("by_day_key", (q) => q.lt("day", oldestKept))
      .take(CLEANUP_BATCH);
    // Uploads never sent with a prompt, a day on (lib/attachments.ts).
    const unsent = await ctx.db
      .query("attachments")
      .withIndex("by_messageId_createdAt", (q) => q.eq("messageId", null).lt("createdAt", now - UNATTACHED_KEEP_MS))
      .take(CLEANUP_BATCH);
    for (const row of unsent) await deleteAttachment(ctx, row);
    for (const row of sessions) await ctx.db.delete("operatorSessions", row._id);
    for (const row of shares) await ctx.db.delete("observerTokens", row._id);
    for (const row of usage) await ctx.db.delete("tokenUsage", row._id);
    for (const row of charges) await ctx.db.delete("usageCharges", row._id);
    if ([sessions, shares, usage, charges, unsent].some((rows) => rows.length === CLEANUP_BATCH)) {
      await ctx.scheduler.runAfter(0, internal.cleanup.run, {});
    }
    return null;
  },
});
