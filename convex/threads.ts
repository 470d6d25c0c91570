/** Threads: create, read, list, delete, and share read-only with observer tokens. */
import { v } from "convex/values";
import { components, internal } from "./_generated/api";
import type { Doc } from "./_generated/dataModel";
import { internalMutation, mutation, query } from "./_generated/server";
import { authorizeThread, hashToken, isTokenShaped, newToken } from "./lib/access";
import { tooManyThreads, unauthorized } from "./lib/errors";
import { getLimits, LIST_DEFAULT, LIST_MAX, NEW_THREAD_TITLE, ORIGIN_MAX_CHARS } from "./lib/limits";
import { modelConfig } from "./lib/modelConfig";
import { toThreadView } from "./lib/replies";
import { vCreateThreadResult, vThreadView } from "./lib/validators";


const DELTA_DELETE_BATCH = 256;

/**
 * Creates a thread owned by the given visitor token (or a new one) and, when signed in, by the
 * Convex identity too. Returns the visitor token: the only copy; we keep its hash.
 */
export const create = mutation({
  args: { token: v.optional(v.string()), origin: v.optional(v.string()) },
  returns: vCreateThreadResult,
  handler: async (ctx, args) => {
    if (args.token !== undefined && !isTokenShaped(args.token)) throw unauthorized();
    const token = args.token ?? newToken();
    const tokenHash = await hashToken(token);
    const limit = getLimits().threadsPerVisitor;
    const visitor = await ctx.db
      .query("visitors")
      .withIndex("by_tokenHash", (q) => q.eq("tokenHash", tokenHash))
      .unique();
    if (visitor && visitor.threadCount >= limit) {
      throw tooManyThreads(visitor.threadCount, limit);
    }
    if (visitor) await ctx.db.patch(visitor._id, { threadCount: visitor.threadCount + 1 });
    else await ctx.db.insert("visitors", { tokenHash, threadCount: 1 });

    const identity = await ctx.auth.getUserIdentity();
    const now = Date.now();
    const origin = args.origin?.trim() ? args.origin.trim().slice(0, ORIGIN_MAX_CHARS) : null;
    const threadId = await ctx.db.insert("threads", {
      title: NEW_THREAD_TITLE,
      status: "idle",
      active: 0,
      createdAt: now,
      updatedAt: now,
      lastMessageAt: now,
      origin,
      model: modelConfig().model,
      visitorHash: tokenHash,
      ...(identity ? { userId: identity.tokenIdentifier } : {}),
    });
    return { threadId, token };
  },
});

/** One thread, for anyone who may read it. */
export const get = query({
  args: { threadId: v.string(), token: v.optional(v.string()) },
  returns: vThreadView,
  handler: async (ctx, args) => {
    const { thread, access } = await authorizeThread(ctx, args.threadId, args.token, "read");
    return toThreadView(thread, access);
  },
});

/**
 * The caller's threads, newest activity first: those of the visitor token and, when signed in,
 * those of the identity (merged). No token and no identity is UNAUTHORIZED; an unknown token
 * simply owns nothing.
 */
export const listMine = query({
  args: { token: v.optional(v.string()), limit: v.optional(v.number()) },
  returns: v.array(vThreadView),
  handler: async (ctx, args) => {
    const limit = Math.max(1, Math.min(LIST_MAX, Math.floor(args.limit ?? LIST_DEFAULT)));
    const identity = await ctx.auth.getUserIdentity();
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
          .withIndex("by_userId_lastMessageAt", (q) => q.eq("userId", identity.tokenIdentifier))
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
 * Deletes a thread with its messages, observer tokens and component streams (`deleteStream`).
 * Deltas are deleted in scheduled batches, so a long history never exceeds a mutation's limits.
 * A reply still streaming notices on its next flush and stops.
 */
export const remove = mutation({
  args: { threadId: v.string(), token: v.optional(v.string()) },
  returns: v.null(),
  handler: async (ctx, args): Promise<null> => {
    const { thread } = await authorizeThread(ctx, args.threadId, args.token, "write");
    const streamIds: string[] = [];
    for await (const message of ctx.db.query("messages").withIndex("by_threadId", (q) => q.eq("threadId", thread._id))) {
      if (message.streamId !== null) {
        streamIds.push(message.streamId);
        await ctx.runMutation(components.persistentTextStreaming.lib.deleteStream, { streamId: message.streamId });
      }
      await ctx.db.delete(message._id);
    }
    for await (const share of ctx.db.query("observerTokens").withIndex("by_threadId", (q) => q.eq("threadId", thread._id))) {
      await ctx.db.delete(share._id);
    }
    if (thread.visitorHash !== undefined) {
      const owner = await ctx.db
        .query("visitors")
        .withIndex("by_tokenHash", (q) => q.eq("tokenHash", thread.visitorHash!))
        .unique();
      if (owner) await ctx.db.patch(owner._id, { threadCount: Math.max(0, owner.threadCount - 1) });
    }
    await ctx.db.delete(thread._id);
    if (streamIds.length > 0) {
      await ctx.scheduler.runAfter(0, internal.threads.purgeDeltas, { streamIds });
    }
    return null;
  },
});

/** Deletes the deltas of removed streams, one batch per run, rescheduling itself until done. */
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
      for (const delta of batch) await ctx.db.delete(delta._id);
      budget -= batch.length;
      if (batch.length === 0 || budget > 0) remaining.shift();
    }
    if (remaining.length > 0) {
      await ctx.scheduler.runAfter(0, internal.threads.purgeDeltas, { streamIds: remaining });
    }
    return null;
  },
});

/** Mints a read-only observer token for one thread (visitor or operator). */
export const share = mutation({
  args: { threadId: v.string(), token: v.optional(v.string()) },
  returns: v.object({ observerToken: v.string() }),
  handler: async (ctx, args) => {
    const { thread } = await authorizeThread(ctx, args.threadId, args.token, "share");
    const observerToken = newToken();
    await ctx.db.insert("observerTokens", {
      tokenHash: await hashToken(observerToken),
      threadId: thread._id,
      createdAt: Date.now(),
      revokedAt: null,
    });
    return { observerToken };
  },
});

/** Revokes an observer token of this thread (visitor or operator). Unknown tokens are ignored. */
export const revokeShare = mutation({
  args: { threadId: v.string(), token: v.optional(v.string()), observerToken: v.string() },
  returns: v.null(),
  handler: async (ctx, args) => {
    const { thread } = await authorizeThread(ctx, args.threadId, args.token, "share");
    if (!isTokenShaped(args.observerToken)) return null;
    const tokenHash = await hashToken(args.observerToken);
    const share = await ctx.db
      .query("observerTokens")
      .withIndex("by_tokenHash", (q) => q.eq("tokenHash", tokenHash))
      .unique();
    if (share && share.threadId === thread._id && share.revokedAt === null) {
      await ctx.db.patch(share._id, { revokedAt: Date.now() });
    }
    return null;
  },
});
