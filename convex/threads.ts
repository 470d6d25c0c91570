/** Threads: create, read, list, delete, and share read-only with observer tokens. */
import { v } from "convex/values";
import { components, internal } from "./_generated/api";
import type { Doc } from "./_generated/dataModel";
import { internalMutation, mutation, query, type MutationCtx } from "./_generated/server";
import {
  authorizeThread,
  hashToken,
  isTokenShaped,
  newToken,
  SHARE_DEFAULT_MS,
  shareExpiry,
  visitorKey,
} from "./lib/access";
import { humanCheckFailed, shareExpiryOutOfRange, sharesRateLimited, unauthorized } from "./lib/errors";
import { consumeShare, LIST_DEFAULT, LIST_MAX } from "./lib/limits";
import { deleteLease, deleteReplyText, persistedText, toThreadView } from "./lib/replies";
import { deleteAttachment } from "./lib/attachments";
import { mintVisitor, turnstileSecret, visitorByHash } from "./lib/visitors";
import { settleReply, unreportedCost } from "./lib/budget";
import { powEnabled } from "./lib/pow";
import { createThread } from "./lib/sending";
import { scheduleExpiry } from "./lib/expiry";
import { wholeNumber } from "./lib/numbers";
import { vCreateThreadResult, vShareResult, vShareView, vThreadView, vIdentity, vVisitorClaim } from "./lib/validators";

const DELTA_DELETE_BATCH = 256;
/** Messages (then observer tokens) deleted per `purgeThread` run: each reply also schedules its stream's cleanup. */
const THREAD_DELETE_BATCH = 100;

/**
 * Creates a thread owned by the given visitor token (or a new one) and, when signed in, by the
 * host's user (`identity`) too. Returns the visitor token: the only copy; we keep its hash. A new
 * token is minted here only with proof of work and Turnstile both off (a mutation sees no client
 * address and carries no check): otherwise new visitors come through `POST /chat-stream` or
 * `POST /visitors`.
 */
export const create = mutation({
  args: {
    token: v.optional(v.string()),
    identity: v.optional(vIdentity),
    origin: v.optional(v.string()),
    /** Who the page says the visitor is (docs/visitor-identity.md); BAD_REQUEST past its limits. */
    visitor: v.optional(vVisitorClaim),
  },
  returns: vCreateThreadResult,
  handler: async (ctx, args) => {
    if (args.token !== undefined && !isTokenShaped(args.token)) throw unauthorized();
    if (args.token === undefined && (turnstileSecret() !== null || powEnabled())) throw humanCheckFailed("missing");
    const token = args.token ?? (await mintVisitor(ctx, null));
    const threadId = await createThread(ctx, await hashToken(token), args.identity ?? null, args.origin, {
      visitor: args.visitor,
    });
    return { threadId, token };
  },
});

/** One thread, for anyone who may read it. */
export const get = query({
  args: { threadId: v.string(), token: v.optional(v.string()), identity: v.optional(vIdentity) },
  returns: vThreadView,
  handler: async (ctx, args) => {
    const { thread, access } = await authorizeThread(ctx, args.threadId, args, "read");
    return toThreadView(thread, access);
  },
});

/**
 * The caller's threads, newest activity first: those of the visitor token and, when signed in,
 * those of the identity (merged). No token and no identity is UNAUTHORIZED; an unknown token
 * simply owns nothing.
 */
export const listMine = query({
  args: { token: v.optional(v.string()), identity: v.optional(vIdentity), limit: v.optional(v.number()) },
  returns: v.array(vThreadView),
  handler: async (ctx, args) => {
    // Above LIST_MAX reads as LIST_MAX; NaN, fractions and anything below 1 are refused.
    const limit = Math.min(LIST_MAX, wholeNumber("limit", args.limit ?? LIST_DEFAULT, 1));
    const identity = args.identity ?? null;
    if (!identity && args.token === undefined) throw unauthorized();
    const found = new Map<string, Doc<"threads">>();
    const rows: Doc<"threads">[] = [];
    if (isTokenShaped(args.token)) {
      const tokenHash = await hashToken(args.token);
      rows.push(
        ...(await ctx.db
          .query("threads")
          .withIndex("by_visitorHash_lastMessageAt", (q) => q.eq("visitorHash", tokenHash))
          .order("desc")
          .take(limit)),
      );
    }
    if (identity) {
      rows.push(
        ...(await ctx.db
          .query("threads")
          .withIndex("by_userId_lastMessageAt", (q) => q.eq("userId", identity.userId))
          .order("desc")
          .take(limit)),
      );
    }
    for (const row of rows) found.set(row._id, row);
    return [...found.values()]
      .sort((a, b) => b.lastMessageAt - a.lastMessageAt || b._creationTime - a._creationTime)
      .slice(0, limit)
      .map((thread) => toThreadView(thread, "visitor"));
  },
});

/**
 * Deletes a thread: the thread itself at once (every read and write of it is refused from
 * then on), then its messages with their component streams (`deleteStream`), files, leases and observer
 * tokens in scheduled batches (`purgeThread`), and their deltas after them (`purgeDeltas`), so a
 * thread of any length stays within a mutation's limits. A reply still streaming stops at its
 * next flush once its message is gone (the newest messages go first).
 * Worst case: 4 documents read, 2 written, 1 function scheduled.
 */
export const remove = mutation({
  args: { threadId: v.string(), token: v.optional(v.string()), identity: v.optional(vIdentity) },
  returns: v.null(),
  handler: async (ctx, args): Promise<null> => {
    const { thread } = await authorizeThread(ctx, args.threadId, args, "write");
    await deleteThread(ctx, thread);
    return null;
  },
});

/** Deletes the thread now and schedules its documents' purge (`remove`, `operator:removeThread`). */
export async function deleteThread(ctx: MutationCtx, thread: Doc<"threads">): Promise<void> {
  if (thread.visitorHash !== undefined) {
    const owner = await visitorByHash(ctx, thread.visitorHash);
    if (owner) await ctx.db.patch("visitors", owner._id, { threadCount: Math.max(0, owner.threadCount - 1) });
  }
  await ctx.db.delete("threads", thread._id);
  await ctx.scheduler.runAfter(0, internal.threads.purgeThread, { threadId: thread._id });
}

/**
 * One batch of a removed thread's documents: up to `THREAD_DELETE_BATCH` messages (newest
 * first, each with its component stream, lease and ratings), then its observer tokens; reschedules itself
 * while any remain. Worst case per run: 565 documents read (the thread's one unfinished reply's
 * text too, to charge it; a reply's ratings, one per visitor key: token and identity), 500
 * written, 103 functions scheduled (a `deleteStream` cleanup per
 * reply, `purgeDeltas`, itself, that reply's charge).
 */
export const purgeThread = internalMutation({
  args: { threadId: v.id("threads") },
  returns: v.null(),
  handler: async (ctx, args): Promise<null> => {
    const messages = await ctx.db
      .query("messages")
      .withIndex("by_threadId", (q) => q.eq("threadId", args.threadId))
      .order("desc")
      .take(THREAD_DELETE_BATCH);
    const streamIds: string[] = [];
    for (const message of messages) {
      // A reply finished since `streamDeleted` exists released its stream and deltas then.
      if (message.streamId !== null && message.streamDeleted !== true) {
        streamIds.push(message.streamId);
        await ctx.runMutation(components.persistentTextStreaming.lib.deleteStream, { streamId: message.streamId });
      }
      await deleteLease(ctx, message._id);
      if (message.feedback) {
        const ratings = ctx.db
          .query("feedback")
          .withIndex("by_messageId_visitorKey", (q) => q.eq("messageId", message._id));
        for await (const rating of ratings) await ctx.db.delete("feedback", rating._id);
      }
      // A reply still running when its thread went: its reservation back, charged for what it generated.
      if (message.reservation) {
        const generated = message.streamId !== null ? (await persistedText(ctx, message.streamId)).length : 0;
        await settleReply(ctx, message, unreportedCost(message, generated));
      }
      // Its files go with it (a message has at most MAX_FILES_PER_MESSAGE).
      if (message.attachments?.length) {
        const rows = await ctx.db
          .query("attachments")
          .withIndex("by_messageId_createdAt", (q) => q.eq("messageId", message._id))
          .collect();
        for (const row of rows) await deleteAttachment(ctx, row);
      }
      await ctx.db.delete("messages", message._id);
    }
    const shares =
      messages.length < THREAD_DELETE_BATCH
        ? await ctx.db
            .query("observerTokens")
            .withIndex("by_threadId", (q) => q.eq("threadId", args.threadId))
            .take(THREAD_DELETE_BATCH - messages.length)
        : [];
    for (const share of shares) await ctx.db.delete("observerTokens", share._id);
    if (streamIds.length > 0) await ctx.scheduler.runAfter(0, internal.threads.purgeDeltas, { streamIds });
    if (messages.length + shares.length === THREAD_DELETE_BATCH) {
      await ctx.scheduler.runAfter(0, internal.threads.purgeThread, args);
    }
    return null;
  },
});

/**
 * Deletes the deltas (and compacted text) of removed streams, one batch per run, rescheduling
 * itself until done. Worst case per run: 256 deltas plus 2 documents per stream ID read and
 * deleted (at most 100 stream IDs: one `purgeThread` batch), 1 function scheduled.
 */
export const purgeDeltas = internalMutation({
  args: { streamIds: v.array(v.string()) },
  returns: v.null(),
  handler: async (ctx, args): Promise<null> => {
    const remaining = [...args.streamIds];
    let budget = DELTA_DELETE_BATCH;
    while (remaining.length > 0 && budget > 0) {
      const batch = await ctx.db
        .query("deltas")
        .withIndex("by_stream_seq", (q) => q.eq("streamId", remaining[0]))
        .take(budget);
      for (const delta of batch) await ctx.db.delete("deltas", delta._id);
      budget -= batch.length;
      if (batch.length === 0 || budget > 0) {
        await deleteReplyText(ctx, remaining[0]);
        remaining.shift();
      }
    }
    if (remaining.length > 0) {
      await ctx.scheduler.runAfter(0, internal.threads.purgeDeltas, { streamIds: remaining });
    }
    return null;
  },
});

/** Longest an observer token may be shared for: a year. */
const SHARE_MAX_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * Mints a read-only observer token for one thread (visitor or operator), valid for `expiresInMs`
 * (default 30 days, at most a year). RATE_LIMIT_SHARES_PER_MINUTE (10) per caller.
 */
export const share = mutation({
  args: {
    threadId: v.string(),
    token: v.optional(v.string()),
    identity: v.optional(vIdentity),
    expiresInMs: v.optional(v.number()),
  },
  returns: vShareResult,
  handler: async (ctx, args) => {
    const { thread, caller } = await authorizeThread(ctx, args.threadId, args, "share");
    const ttl = args.expiresInMs ?? SHARE_DEFAULT_MS;
    if (!Number.isInteger(ttl) || ttl < 1000 || ttl > SHARE_MAX_MS) {
      throw shareExpiryOutOfRange(ttl, SHARE_MAX_MS);
    }
    const wait = await consumeShare(ctx, visitorKey(caller) ?? "operator");
    if (wait !== null) throw sharesRateLimited(wait);
    const observerToken = newToken();
    const now = Date.now();
    const expiresAt = now + ttl;
    const shareId = await ctx.db.insert("observerTokens", {
      tokenHash: await hashToken(observerToken),
      threadId: thread._id,
      createdAt: now,
      expiresAt,
      revokedAt: null,
    });
    // Subscriptions holding the token re-run when this revokes it (queries cannot see time pass).
    await scheduleExpiry(expiresAt, (at) => ctx.scheduler.runAt(at, internal.cleanup.expireShare, { shareId }));
    return { observerToken, shareId, expiresAt };
  },
});

/** The thread's observer tokens (never the tokens themselves), newest first, for the owner and operators. */
export const listShares = query({
  args: { threadId: v.string(), token: v.optional(v.string()), identity: v.optional(vIdentity) },
  returns: v.array(vShareView),
  handler: async (ctx, args) => {
    const { thread } = await authorizeThread(ctx, args.threadId, args, "share");
    const shares = await ctx.db
      .query("observerTokens")
      .withIndex("by_threadId", (q) => q.eq("threadId", thread._id))
      .order("desc")
      .take(LIST_MAX);
    return shares.map((s) => ({
      _id: s._id,
      createdAt: s.createdAt,
      expiresAt: shareExpiry(s),
      revokedAt: s.revokedAt,
    }));
  },
});

/** Revokes one of this thread's observer tokens by its ID (visitor or operator). Unknown IDs are ignored. */
export const revokeShare = mutation({
  args: { threadId: v.string(), token: v.optional(v.string()), identity: v.optional(vIdentity), shareId: v.string() },
  returns: v.null(),
  handler: async (ctx, args) => {
    const { thread } = await authorizeThread(ctx, args.threadId, args, "share");
    const id = ctx.db.normalizeId("observerTokens", args.shareId);
    const share = id ? await ctx.db.get("observerTokens", id) : null;
    if (share && share.threadId === thread._id && share.revokedAt === null) {
      await ctx.db.patch("observerTokens", share._id, { revokedAt: Date.now() });
    }
    return null;
  },
});
