/** Feedback: a visitor rates a reply; operators export the ratings with their prompts and replies. */
import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v } from "convex/values";
import { paginator } from "convex-helpers/server/pagination";
import schema from "./schema";
import type { Doc } from "./_generated/dataModel";
import { mutation, query, type QueryCtx } from "./_generated/server";
import { authorizeOperator, authorizeThread, visitorKey } from "./lib/access";
import { commentTooLong, feedbackRateLimited, notRateable, unauthorized } from "./lib/errors";
import { consumeFeedback, FEEDBACK_COMMENT_MAX_CHARS, LIST_MAX } from "./lib/limits";
import { pageOptions } from "./lib/numbers";
import { isUnfinished, vFeedbackView, vIdentity, vRating, type FeedbackView } from "./lib/validators";

/**
 * Rates a finished reply of the caller's thread "up" or "down", with an optional comment (at most
 * FEEDBACK_COMMENT_MAX_CHARS, 500); `rating: null` takes the rating back. One rating per reply and
 * visitor: rating again replaces it. Visitors only (observers and operators read); FEEDBACK_PER_MINUTE
 * (20) per visitor. Worst case: ≈ 10 documents read, 3 written.
 */
export const rate = mutation({
  args: {
    threadId: v.string(),
    token: v.optional(v.string()),
    identity: v.optional(vIdentity),
    messageId: v.string(),
    rating: v.union(vRating, v.null()),
    comment: v.optional(v.string()),
  },
  returns: v.null(),
  handler: async (ctx, args): Promise<null> => {
    const { thread, caller } = await authorizeThread(ctx, args.threadId, args, "write");
    const comment = args.comment?.trim() || undefined;
    if (comment !== undefined && comment.length > FEEDBACK_COMMENT_MAX_CHARS) {
      throw commentTooLong(comment.length, FEEDBACK_COMMENT_MAX_CHARS);
    }
    const id = ctx.db.normalizeId("messages", args.messageId);
    const message = id ? await ctx.db.get("messages", id) : null;
    if (!message || message.threadId !== thread._id || message.role !== "assistant" || isUnfinished(message.status)) {
      throw notRateable();
    }
    const key = visitorKey(caller);
    if (key === null) throw unauthorized(); // unreachable: write access needs a token or identity
    const wait = await consumeFeedback(ctx, key);
    if (wait !== null) throw feedbackRateLimited(wait);
    const row = await ctx.db
      .query("feedback")
      .withIndex("by_messageId_visitorKey", (q) => q.eq("messageId", message._id).eq("visitorKey", key))
      .unique();
    if (args.rating === null) {
      if (row) await ctx.db.delete("feedback", row._id);
      await ctx.db.patch("messages", message._id, { feedback: undefined });
      return null;
    }
    const feedback = { rating: args.rating, ...(comment !== undefined ? { comment } : {}) };
    const fields = {
      messageId: message._id,
      threadId: thread._id,
      visitorKey: key,
      ...feedback,
      updatedAt: Date.now(),
    };
    if (row) await ctx.db.replace("feedback", row._id, fields);
    else await ctx.db.insert("feedback", fields);
    // The reply carries the rating, so every view of it shows the rating without another read.
    await ctx.db.patch("messages", message._id, { feedback });
    return null;
  },
});

/**
 * Every rating, newest change first, with its prompt and reply, for review: operators only (an
 * operator session token as `token`, or an identity with the operator role). Pages of 1 to
 * LIST_MAX (100). Worst case per rating: 3 documents read (it, its reply, its prompt).
 */
export const list = query({
  args: { token: v.optional(v.string()), identity: v.optional(vIdentity), paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(vFeedbackView),
  handler: async (ctx, args) => {
    pageOptions(args.paginationOpts, LIST_MAX);
    await authorizeOperator(ctx, args);
    // convex-helpers' paginator: a deployment refuses `ctx.db...paginate()` inside a component.
    const result = await paginator(ctx.db, schema)
      .query("feedback")
      .withIndex("by_updatedAt")
      .order("desc")
      .paginate(args.paginationOpts);
    return { ...result, page: await Promise.all(result.page.map((row) => feedbackView(ctx, row))) };
  },
});

/** A rating with the reply it rates and the prompt that reply answers. */
async function feedbackView(ctx: QueryCtx, row: Doc<"feedback">): Promise<FeedbackView> {
  const reply = await ctx.db.get("messages", row.messageId);
  // The newest message before the reply that no reply replaced: only replies are replaced, and
  // those to the same prompt that came before this one all were.
  const prompt = reply
    ? await ctx.db
        .query("messages")
        .withIndex("by_threadId_supersededBy", (q) =>
          q.eq("threadId", row.threadId).eq("supersededBy", undefined).lt("_creationTime", reply._creationTime),
        )
        .order("desc")
        .first()
    : null;
  return {
    _id: row._id,
    _creationTime: row._creationTime,
    threadId: row.threadId,
    messageId: row.messageId,
    rating: row.rating,
    ...(row.comment !== undefined ? { comment: row.comment } : {}),
    updatedAt: row.updatedAt,
    prompt: prompt?.text ?? "",
    reply: reply?.text ?? "",
  };
}
