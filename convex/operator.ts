/** The operator console: sign-in and sessions, every thread (streaming ones first), today's usage. */
import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v } from "convex/values";
import { paginator } from "convex-helpers/server/pagination";
import schema from "./schema";
import { internalMutation, mutation, query } from "./_generated/server";
import { authorizeOperator, authorizeOperatorAs, hashToken, isTokenShaped } from "./lib/access";
import { todaysUsage } from "./lib/budget";
import { searchTooLong, unauthorized } from "./lib/errors";
import { deleteThread } from "./threads";
import { LIST_MAX } from "./lib/limits";
import { pageOptions } from "./lib/numbers";
import { releaseHeld } from "./lib/handoff";
import { liveSession, signInAttempt } from "./lib/operatorSessions";
import { toThreadView } from "./lib/replies";
import { vSignInResult, vThreadView, vTokenUsage, vIdentity } from "./lib/validators";

/**
 * All threads, paginated: those with a reply pending or streaming first, then by newest
 * activity. Needs an operator session token as `token`, or an identity with the operator role.
 * Pages of 1 to LIST_MAX (100) threads.
 */
export const listThreads = query({
  args: { token: v.optional(v.string()), identity: v.optional(vIdentity), paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(vThreadView),
  handler: async (ctx, args) => {
    pageOptions(args.paginationOpts, LIST_MAX);
    const me = await authorizeOperatorAs(ctx, args);
    // Not `ctx.db...paginate()`: a deployment refuses it inside a component
    // (PaginationUnsupportedInComponents); convex-helpers pages over the index with range reads.
    const result = await paginator(ctx.db, schema)
      .query("threads")
      .withIndex("by_active_lastMessageAt")
      .order("desc")
      .paginate(args.paginationOpts);
    return { ...result, page: result.page.map((thread) => toThreadView(thread, "operator", me.key)) };
  },
});

/**
 * Deletes a thread from the console, as `threads:remove` does for its visitor (the purge is the
 * same). Operators only; a thread already gone is UNAUTHORIZED, as for every thread read. Worst case: 4 documents read, 2
 * written, 1 function scheduled.
 */
export const removeThread = mutation({
  args: { token: v.optional(v.string()), identity: v.optional(vIdentity), threadId: v.string() },
  returns: v.null(),
  handler: async (ctx, args): Promise<null> => {
    await authorizeOperator(ctx, args);
    const id = ctx.db.normalizeId("threads", args.threadId);
    const thread = id ? await ctx.db.get("threads", id) : null;
    if (!thread) throw unauthorized();
    await deleteThread(ctx, thread);
    return null;
  },
});

/** Longest search text: a few words, not a document. */
export const SEARCH_MAX_CHARS = 200;
/** Threads matched by title, and messages matched by text, read per search. */
const SEARCH_RESULTS = 50;

/**
 * Threads whose title or any message's text matches `text` (Convex full-text search: whole words,
 * the last one as a prefix), best matches first, title matches before message matches, each
 * thread once, at most 100. Operators only. Empty text finds nothing; BAD_REQUEST past
 * SEARCH_MAX_CHARS (200). Worst case: 150 documents read (50 threads by title, 50 messages, their
 * 50 threads).
 */
export const searchThreads = query({
  args: { token: v.optional(v.string()), identity: v.optional(vIdentity), text: v.string() },
  returns: v.array(vThreadView),
  handler: async (ctx, args) => {
    const me = await authorizeOperatorAs(ctx, args);
    if (args.text.length > SEARCH_MAX_CHARS) throw searchTooLong(args.text.length, SEARCH_MAX_CHARS);
    const text = args.text.trim();
    if (text === "") return [];
    const byTitle = await ctx.db
      .query("threads")
      .withSearchIndex("search_title", (q) => q.search("title", text))
      .take(SEARCH_RESULTS);
    const byMessage = await ctx.db
      .query("messages")
      .withSearchIndex("search_text", (q) => q.search("text", text))
      .take(SEARCH_RESULTS);
    const found = new Map(byTitle.map((t) => [t._id, t]));
    for (const message of byMessage) {
      if (found.has(message.threadId)) continue;
      // A thread being deleted: its messages go in batches after it.
      const thread = await ctx.db.get("threads", message.threadId);
      if (thread) found.set(thread._id, thread);
    }
    return [...found.values()].map((thread) => toThreadView(thread, "operator", me.key));
  },
});

/**
 * Trades `OPERATOR_SECRET` for a session token carrying the operator's display name. The secret is
 * checked first, in constant time, so the right secret is never refused: a flood of wrong ones
 * cannot lock the operator out. A wrong secret counts against RATE_LIMIT_OPERATOR_FAILURES_PER_MINUTE
 * (10) deployment-wide (a mutation never sees the caller's address; `POST /operator/sign-in`
 * limits per address too); past it, wrong secrets get RATE_LIMITED. A refusal is returned, not
 * thrown, so the failure it counts is committed. A secret shorter than 32 characters (or none)
 * throws OPERATOR_NOT_CONFIGURED.
 */
export const signIn = mutation({
  args: { secret: v.string(), name: v.string() },
  returns: vSignInResult,
  handler: async (ctx, args) => await signInAttempt(ctx, args.secret, args.name, null),
});

/** `POST /operator/sign-in` (`convex/http.ts`): as `signIn`, wrong tries also limited per client address. */
export const signInFrom = internalMutation({
  args: { secret: v.string(), name: v.string(), clientKey: v.union(v.string(), v.null()) },
  returns: vSignInResult,
  handler: async (ctx, args) => await signInAttempt(ctx, args.secret, args.name, args.clientKey),
});

/**
 * Ends an operator session (sign-out): the threads it held go back to the AI. Unknown or already
 * ended sessions are ignored.
 */
export const signOut = mutation({
  args: { token: v.string() },
  returns: v.null(),
  handler: async (ctx, args) => {
    if (!isTokenShaped(args.token)) return null;
    const session = await liveSession(ctx, await hashToken(args.token));
    if (!session) return null;
    await ctx.db.patch("operatorSessions", session._id, { revokedAt: Date.now() });
    // Their threads go back to the AI, and they are offline (`lib/handoff.ts`).
    await releaseHeld(ctx, session._id);
    return null;
  },
});

/** The signed-in operator's name and session expiry (UNAUTHORIZED when the session is not live). */
export const session = query({
  args: { token: v.string() },
  returns: v.object({ name: v.string(), expiresAt: v.number() }),
  handler: async (ctx, args) => {
    const live = isTokenShaped(args.token) ? await liveSession(ctx, await hashToken(args.token)) : null;
    if (!live) throw unauthorized();
    return { name: live.name, expiresAt: live.expiresAt };
  },
});

/** Today's (UTC) model tokens against DAILY_TOKEN_BUDGET, and when the day's count resets. */
export const usage = query({
  args: { token: v.optional(v.string()), identity: v.optional(vIdentity) },
  returns: vTokenUsage,
  handler: async (ctx, args) => {
    await authorizeOperator(ctx, args);
    return await todaysUsage(ctx);
  },
});
