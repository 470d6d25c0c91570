/** Messages: the transcript, sending a prompt, stopping a reply. */
import { v } from "convex/values";
import { components } from "./_generated/api";
import { mutation, query } from "./_generated/server";
import { authorizeThread, visitorKey } from "./lib/access";
import { emptyPrompt, promptTooLong, rateLimited, replyStillRunning, unauthorized } from "./lib/errors";
import { consumeMessageBudget, getLimits, MESSAGES_LIST_MAX, NEW_THREAD_TITLE, TITLE_MAX_CHARS } from "./lib/limits";
import { assertBudget } from "./lib/budget";
import { modelConfig } from "./lib/modelConfig";
import { effectiveStatus, finalizeReply, grantLease, replyInProgress, shortenLease, STOP_GRACE_MS, toMessageView } from "./lib/replies";
import { vMessageView, vSendResult } from "./lib/validators";
import { isEstablished } from "./lib/visitors";

/**
 * The thread's messages, oldest first (at most the newest 500). An assistant message's `text`
 * is "" until it finishes; follow it with `streams:read` meanwhile.
 * Worst case: 500 messages (each ≤ 1 MiB: the reply text) + their streams' status + access reads.
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
 * Stores the prompt, a pending assistant message and its component stream, atomically.
 * The caller then POSTs `{streamId}` to `/chat-stream` to drive the reply.
 * Worst case: ≈ 80 documents read (access, the previous reply finalized if its lease lapsed,
 * rate-limit buckets), ≈ 12 written, 1 function scheduled (the lease check).
 */
export const send = mutation({
  args: { threadId: v.string(), token: v.optional(v.string()), prompt: v.string() },
  returns: vSendResult,
  handler: async (ctx, args) => {
    const { thread, caller } = await authorizeThread(ctx, args.threadId, args.token, "write");
    const limits = getLimits();
    if (args.prompt.trim().length === 0) {
      throw emptyPrompt();
    }
    if (args.prompt.length > limits.maxPromptChars) {
      throw promptTooLong(args.prompt.length, limits.maxPromptChars);
    }
    if (await replyInProgress(ctx, thread._id)) {
      throw replyStillRunning();
    }
    const key = visitorKey(caller);
    if (key === null) throw unauthorized(); // unreachable: write access needs a token or identity
    await assertBudget(ctx, key);
    const wait = await consumeMessageBudget(ctx, key, await isEstablished(ctx, caller));
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
      usageKey: key,
    });
    // A POST that never lands (page closed, request refused) must not hold the thread.
    await grantLease(ctx, assistantMessageId);
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
 * as `stopped` at once, and so is one whose driver's lease has lapsed; a streaming one is
 * flagged, and its driver ends it within one flush (or heartbeat), keeping the text written so
 * far. If its driver is gone, the reply ends `STOP_GRACE_MS` (3 s) later anyway.
 * Worst case: ≈ 75 documents read (access, the reply finalized), 5 written, 1 function scheduled.
 */
export const stop = mutation({
  args: { threadId: v.string(), token: v.optional(v.string()) },
  returns: v.null(),
  handler: async (ctx, args) => {
    const { thread } = await authorizeThread(ctx, args.threadId, args.token, "write");
    const reply = await replyInProgress(ctx, thread._id);
    if (!reply) return null;
    const { message, stream } = reply;
    if (message.status === "pending" && stream === "pending") {
      // Nobody is driving it yet: end the component stream too, so a late POST answers 205.
      await ctx.runMutation(components.persistentTextStreaming.lib.setStreamStatus, {
        streamId: message.streamId!,
        status: "done",
      });
      await finalizeReply(ctx, message, "stopped", null);
    } else if (!message.stopRequested) {
      await ctx.db.patch(message._id, { stopRequested: true });
      // A live driver sees the flag within a second and ends the reply; a dead one never will.
      await shortenLease(ctx, message._id, STOP_GRACE_MS);
    }
    return null;
  },
});
