/**
 * Reply bookkeeping shared by messages, streams, chat and the timeout reconciler:
 * views, the component's stream status, delta reads, and finishing a reply exactly once.
 */
import { components } from "../_generated/api";
import type { Doc } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import type { Access, MessageStatus, MessageView, ThreadView } from "./validators";
import { isUnfinished } from "./validators";

type ReadCtx = QueryCtx | MutationCtx;
export type ComponentStreamStatus = "pending" | "streaming" | "done" | "error" | "timeout";

export function toThreadView(thread: Doc<"threads">, access: Access): ThreadView {
  return {
    _id: thread._id,
    title: thread.title,
    status: thread.status,
    createdAt: thread.createdAt,
    updatedAt: thread.updatedAt,
    lastMessageAt: thread.lastMessageAt,
    model: thread.model,
    origin: thread.origin,
    access,
  };
}

export function toMessageView(message: Doc<"messages">, status: MessageStatus = message.status): MessageView {
  return {
    _id: message._id,
    _creationTime: message._creationTime,
    role: message.role,
    status,
    text: message.text,
    streamId: message.streamId,
    error: message.error,
    model: message.model,
    createdAt: message.createdAt,
    updatedAt: message.updatedAt,
    length: message.text.length,
  };
}

/** The component's view of a stream ("error" when it no longer exists). */
export async function componentStatus(ctx: ReadCtx, streamId: string): Promise<ComponentStreamStatus> {
  return await ctx.runQuery(components.persistentTextStreaming.lib.getStreamStatus, { streamId });
}

/**
 * A message's status as readers should see it: an unfinished reply whose component stream the
 * cleanup cron has expired is `timeout`, even before our reconciler has rewritten the message.
 */
export async function effectiveStatus(ctx: ReadCtx, message: Doc<"messages">): Promise<MessageStatus> {
  if (message.role !== "assistant" || !isUnfinished(message.status) || message.streamId === null) {
    return message.status;
  }
  const status = await componentStatus(ctx, message.streamId);
  return status === "timeout" ? "timeout" : message.status;
}

export async function lastDelta(ctx: ReadCtx, streamId: string): Promise<Doc<"deltas"> | null> {
  return await ctx.db
    .query("deltas")
    .withIndex("by_stream_seq", (q) => q.eq("streamId", streamId))
    .order("desc")
    .first();
}

/** Appends one delta (the next seq, starting where the previous one ended). */
export async function appendDelta(ctx: MutationCtx, streamId: string, text: string): Promise<void> {
  const last = await lastDelta(ctx, streamId);
  await ctx.db.insert("deltas", {
    streamId,
    seq: last ? last.seq + 1 : 0,
    start: last ? last.start + last.text.length : 0,
    text,
  });
}

/** The whole persisted text of a stream, from our deltas. */
export async function persistedText(ctx: ReadCtx, streamId: string): Promise<string> {
  let text = "";
  for await (const delta of ctx.db.query("deltas").withIndex("by_stream_seq", (q) => q.eq("streamId", streamId))) {
    text += delta.text;
  }
  return text;
}

/**
 * The thread's reply in progress (its newest message, when that is an unfinished assistant
 * reply) with its component stream's status, or null. A reply whose stream the component has
 * expired is finished as `timeout` here and now, and is not in progress.
 */
export async function replyInProgress(
  ctx: MutationCtx,
  threadId: Doc<"threads">["_id"],
): Promise<{ message: Doc<"messages">; stream: ComponentStreamStatus } | null> {
  const last = await ctx.db
    .query("messages")
    .withIndex("by_threadId", (q) => q.eq("threadId", threadId))
    .order("desc")
    .first();
  if (!last || last.role !== "assistant" || !isUnfinished(last.status) || last.streamId === null) return null;
  const stream = await componentStatus(ctx, last.streamId);
  if (stream === "timeout") {
    await finalizeReply(ctx, last, "timeout", TIMEOUT_MESSAGE);
    return null;
  }
  return { message: last, stream };
}

/**
 * Ends a reply: writes its full text to the message once, sets its final status, and updates
 * the thread (idle after done/stopped, error after error/timeout). No-op if already final.
 */
export async function finalizeReply(
  ctx: MutationCtx,
  message: Doc<"messages">,
  status: Exclude<MessageStatus, "pending" | "streaming">,
  error: string | null,
): Promise<void> {
  if (!isUnfinished(message.status)) return;
  const now = Date.now();
  const text = message.streamId ? await persistedText(ctx, message.streamId) : "";
  await ctx.db.patch(message._id, { status, text, error, updatedAt: now });
  const thread = await ctx.db.get(message.threadId);
  if (thread) {
    await ctx.db.patch(thread._id, {
      status: status === "error" || status === "timeout" ? "error" : "idle",
      active: 0,
      updatedAt: now,
      lastMessageAt: now,
    });
  }
}

export const TIMEOUT_MESSAGE =
  "The reply timed out: nothing drove it to the end (the page that started it may have closed before it began).";
