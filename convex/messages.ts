/** Messages: the transcript, sending a prompt, stopping a reply. */
import { v } from "convex/values";
import { components } from "./_generated/api";
import type { Doc } from "./_generated/dataModel";
import { mutation, query, type MutationCtx } from "./_generated/server";
import { authorizeThread, visitorKey } from "./lib/access";
import { appError, formatCount, rateLimited, unauthorized } from "./lib/errors";
import { consumeMessageBudget, getLimits, MESSAGES_LIST_MAX, NEW_THREAD_TITLE, TITLE_MAX_CHARS } from "./lib/limits";
import { modelConfig } from "./lib/models";
import {
  componentStatus,
  effectiveStatus,
  finalizeReply,
  latestMessage,
  TIMEOUT_MESSAGE,
  toMessageView,
} from "./lib/replies";
import { isUnfinished, vMessageView } from "./lib/validators";

/**
 * The thread's messages, oldest first (at most the newest 500). An assistant message's `text`
 * is "" until it finishes; follow it with `streams:read` meanwhile.
 */
export const list = query({
  args: { threadId: v.string(), token: v.optional(v.string()) },
  returns: v.array(vMessageView),
  handler: async (ctx, args) => {
    const { thread } = await authorizeThread(ctx, args.threadId, args.token, "read");
    const newest = await ctx.db
      .query("messages")
      .withIndex("by_threadId", (q) => q.eq("threadId", thread._id))
      .order("desc")
      .take(MESSAGES_LIST_MAX);
    newest.reverse();
    return await Promise.all(newest.map(async (m) => toMessageView(m, await effectiveStatus(ctx, m))));
  },
});

function titleFrom(prompt: string): string {
  const line = prompt.trim().split("\n")[0].trim();
  return line.length > TITLE_MAX_CHARS ? `${line.slice(0, TITLE_MAX_CHARS - 1).trimEnd()}…` : line;
}

/**
 * If the thread's last reply is unfinished, throws REPLY_IN_PROGRESS, unless the component
 * has expired its stream, in which case the reply is finished as `timeout` here and now.
 */
async function ensureNoReplyInProgress(ctx: MutationCtx, thread: Doc<"threads">): Promise<void> {
  const last = await latestMessage(ctx, thread._id);
  if (!last || last.role !== "assistant" || !isUnfinished(last.status) || last.streamId === null) return;
  const status = await componentStatus(ctx, last.streamId);
  if (status === "timeout") {
    await finalizeReply(ctx, last, "timeout", TIMEOUT_MESSAGE);
    return;
  }
  throw appError("REPLY_IN_PROGRESS", "the previous reply is still being written; wait for it or stop it");
}

/**
 * Stores the prompt, a pending assistant message and its component stream, atomically.
 * The caller then POSTs `{streamId}` to `/chat-stream` to drive the reply.
 */
export const send = mutation({
  args: { threadId: v.string(), token: v.optional(v.string()), prompt: v.string() },
  returns: v.object({ userMessageId: v.string(), assistantMessageId: v.string(), streamId: v.string() }),
  handler: async (ctx, args) => {
    const { thread, caller } = await authorizeThread(ctx, args.threadId, args.token, "write");
    const limits = getLimits();
    if (args.prompt.trim().length === 0) {
      throw appError("EMPTY_PROMPT", "prompt is empty; write a message first");
    }
    if (args.prompt.length > limits.maxPromptChars) {
      throw appError(
        "PROMPT_TOO_LONG",
        `prompt is ${formatCount(args.prompt.length)} characters; the limit is ${formatCount(limits.maxPromptChars)}`,
        { length: args.prompt.length, limit: limits.maxPromptChars },
      );
    }
    await ensureNoReplyInProgress(ctx, thread);
    const key = visitorKey(caller);
    if (key === null) throw unauthorized(); // unreachable: write access needs a token or identity
    const wait = await consumeMessageBudget(ctx, key);
    if (wait !== null) throw rateLimited(wait);

    const driverHash = caller.tokenHash ?? undefined;
    if (driverHash !== undefined) {
      // A signed-in visitor on another device drives with that device's token: make it known.
      const known = await ctx.db
        .query("visitors")
        .withIndex("by_tokenHash", (q) => q.eq("tokenHash", driverHash))
        .unique();
      if (!known) await ctx.db.insert("visitors", { tokenHash: driverHash, threadCount: 0 });
    }

    const model = modelConfig().model;
    const now = Date.now();
    const streamId: string = await ctx.runMutation(components.persistentTextStreaming.lib.createStream, {});
    const userMessageId = await ctx.db.insert("messages", {
      threadId: thread._id,
      role: "user",
      status: "done",
      text: args.prompt,
      streamId: null,
      error: null,
      model: null,
      createdAt: now,
      updatedAt: now,
    });
    const assistantMessageId = await ctx.db.insert("messages", {
      threadId: thread._id,
      role: "assistant",
      status: "pending",
      text: "",
      streamId,
      error: null,
      model,
      createdAt: now,
      updatedAt: now,
      ...(driverHash ? { driverHash } : {}),
    });
    await ctx.db.patch(thread._id, {
      title: thread.title === NEW_THREAD_TITLE ? titleFrom(args.prompt) : thread.title,
      status: "streaming",
      active: 1,
      updatedAt: now,
      lastMessageAt: now,
      model,
    });
    return { userMessageId, assistantMessageId, streamId };
  },
});

/**
 * Stops the thread's reply in progress, if any. A reply nobody has started driving is finished
 * as `stopped` at once; a streaming one is flagged, and its driver ends it within one flush,
 * keeping the text written so far.
 */
export const stop = mutation({
  args: { threadId: v.string(), token: v.optional(v.string()) },
  returns: v.null(),
  handler: async (ctx, args) => {
    const { thread } = await authorizeThread(ctx, args.threadId, args.token, "write");
    const last = await latestMessage(ctx, thread._id);
    if (!last || last.role !== "assistant" || !isUnfinished(last.status) || last.streamId === null) return null;
    const status = await componentStatus(ctx, last.streamId);
    if (status === "timeout") {
      await finalizeReply(ctx, last, "timeout", TIMEOUT_MESSAGE);
    } else if (last.status === "pending" && status === "pending") {
      // Nobody is driving it yet: end the component stream too, so a late POST answers 205.
      await ctx.runMutation(components.persistentTextStreaming.lib.setStreamStatus, {
        streamId: last.streamId,
        status: "done",
      });
      await finalizeReply(ctx, last, "stopped", null);
    } else if (!last.stopRequested) {
      await ctx.db.patch(last._id, { stopRequested: true });
    }
    return null;
  },
});
