/**
 * Reply bookkeeping shared by messages, streams, chat and the timeout reconciler:
 * views, the component's stream status, delta reads, leases, and finishing a reply exactly once.
 */
import { previewOf } from "./threadSummary";
import { components, internal } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import type { Access, MessageStatus, MessageView, ThreadView } from "./validators";
import { isUnfinished } from "./validators";
import { REPLY_ERRORS } from "./errors";
import { envInt } from "./limits";
import { settleReply, unreportedCost } from "./budget";

type ReadCtx = QueryCtx | MutationCtx;
export type ComponentStreamStatus = "pending" | "streaming" | "done" | "error" | "timeout";

/** `myKey`: the operator listing (`authorizeOperatorAs`), to tell which threads they hold. */
export function toThreadView(thread: Doc<"threads">, access: Access, myKey?: string): ThreadView {
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
    ...(thread.holder ? { heldBy: thread.holder.name } : {}),
    ...(thread.needsHumanAt !== undefined ? { needsHumanAt: thread.needsHumanAt } : {}),
    ...(thread.messageCount !== undefined ? { messageCount: thread.messageCount } : {}),
    ...(thread.preview !== undefined ? { preview: thread.preview } : {}),
    ...(myKey !== undefined ? { heldByMe: thread.holder?.key === myKey } : {}),
    // The visitor's own claim and language are display context for operators, never for observers.
    ...(access === "operator" && thread.visitor ? { visitor: thread.visitor } : {}),
    ...(access === "operator" && thread.language ? { language: thread.language } : {}),
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
    ...(message.queued ? { queued: true } : {}),
    ...(message.author !== undefined ? { author: message.author } : {}),
    ...(message.feedback ? { feedback: message.feedback } : {}),
    ...(message.supersededBy ? { supersededBy: message.supersededBy } : {}),
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

/**
 * Every this many deltas, their text is appended to the reply's `replyTexts` row: the whole
 * text is then that row plus fewer than this many deltas, however long the reply.
 */
export const COMPACT_EVERY = 64;

/** A reply's compacted text row, while it streams (deleted when it is finished). */
export async function replyTextOf(ctx: ReadCtx, streamId: string): Promise<Doc<"replyTexts"> | null> {
  return await ctx.db
    .query("replyTexts")
    .withIndex("by_streamId", (q) => q.eq("streamId", streamId))
    .unique();
}

/**
 * Appends one delta (the next seq, starting where the previous one ended), compacting every
 * `COMPACT_EVERY`th. Worst case: 2 + 64 documents read, 2 written (the row ≤ the reply's size).
 */
export async function appendDelta(ctx: MutationCtx, streamId: string, text: string): Promise<void> {
  const last = await lastDelta(ctx, streamId);
  const seq = last ? last.seq + 1 : 0;
  await ctx.db.insert("deltas", { streamId, seq, start: last ? last.start + last.text.length : 0, text });
  if ((seq + 1) % COMPACT_EVERY !== 0) return;
  const row = await replyTextOf(ctx, streamId);
  const from = row ? row.throughSeq + 1 : 0;
  const batch = await ctx.db
    .query("deltas")
    .withIndex("by_stream_seq", (q) => q.eq("streamId", streamId).gte("seq", from).lte("seq", seq))
    .take(COMPACT_EVERY);
  const compacted = (row?.text ?? "") + batch.map((d) => d.text).join("");
  if (row) await ctx.db.patch("replyTexts", row._id, { text: compacted, throughSeq: seq });
  else await ctx.db.insert("replyTexts", { streamId, text: compacted, throughSeq: seq });
}

/** The whole persisted text of a stream. Worst case: 1 + 63 documents read. */
export async function persistedText(ctx: ReadCtx, streamId: string): Promise<string> {
  const row = await replyTextOf(ctx, streamId);
  const tail = await ctx.db
    .query("deltas")
    .withIndex("by_stream_seq", (q) => q.eq("streamId", streamId).gte("seq", row ? row.throughSeq + 1 : 0))
    .take(COMPACT_EVERY);
  return (row?.text ?? "") + tail.map((d) => d.text).join("");
}

/** Deletes a stream's compacted text (1 read, ≤ 1 write). */
export async function deleteReplyText(ctx: MutationCtx, streamId: string): Promise<void> {
  const row = await replyTextOf(ctx, streamId);
  if (row) await ctx.db.delete("replyTexts", row._id);
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
    await finalizeReply(ctx, last, "timeout", REPLY_ERRORS.timedOut);
    return null;
  }
  const lease = await leaseOf(ctx, last._id);
  if (lease !== null && lease.expiresAt <= Date.now()) {
    await endAbandonedReply(ctx, last);
    return null;
  }
  return { message: last, stream };
}

/* ------------------------------------------------------------------ leases */

/** A reply whose driver shows no sign of life for this long is ended (text so far kept). */
export const LEASE_MS = 30_000;
/** The shortest lease `REPLY_LEASE_MS` may set: several 1-second heartbeats must fit in one. */
export const MIN_LEASE_MS = 5_000;
/** Flushes and heartbeats renew the lease only once this much of it is used: fewer writes. */
const LEASE_RENEW_AFTER_MS = 5_000;

/** `REPLY_LEASE_MS` (default `LEASE_MS`; below `MIN_LEASE_MS` the default), read per call. */
export function leaseMs(): number {
  return envInt("REPLY_LEASE_MS", LEASE_MS, MIN_LEASE_MS);
}
/** After `messages:stop`, a live driver ends the reply within a second; a dead one within this. */
export const STOP_GRACE_MS = 3_000;

export async function leaseOf(ctx: ReadCtx, messageId: Id<"messages">): Promise<Doc<"leases"> | null> {
  return await ctx.db
    .query("leases")
    .withIndex("by_messageId", (q) => q.eq("messageId", messageId))
    .unique();
}

/** Deletes a reply's lease, if it has one, and cancels its check (1 read, ≤ 2 writes). */
export async function deleteLease(ctx: MutationCtx, messageId: Id<"messages">): Promise<void> {
  const lease = await leaseOf(ctx, messageId);
  if (lease === null) return;
  await cancelCheck(ctx, lease);
  await ctx.db.delete("leases", lease._id);
}

/**
 * The lease check is a dead man's switch: one `chat:expireLease` scheduled for the moment the
 * lease lapses, cancelled and scheduled anew whenever the lease moves. A live driver's check
 * therefore never runs, and a running check never reads a lease a flush is renewing (on a
 * deployment a check that read the lease while a flush renewed it was refused and retried:
 * 35 such conflicts in 100 replies, bench row 10). It runs only once the driver has been silent
 * for the whole lease, and ends the reply then (within the lease of the driver's death).
 */
async function cancelCheck(ctx: MutationCtx, lease: Doc<"leases">): Promise<void> {
  // A check that already ran (or is running) cannot be cancelled, and needs not be.
  if (lease.checkId === undefined) return;
  const job = await ctx.db.system.get(lease.checkId);
  if (job?.state.kind === "pending") await ctx.scheduler.cancel(lease.checkId);
}

/**
 * Sets the lease to lapse `ms` from now, with its check then (1 read, ≤ 3 writes, 1 scheduled
 * function): a new reply's lease (`grantLease`), a queued reply's wait, a cut after a stop.
 */
export async function setLease(ctx: MutationCtx, messageId: Id<"messages">, ms: number): Promise<void> {
  const lease = await leaseOf(ctx, messageId);
  const expiresAt = Date.now() + ms;
  const checkId = await ctx.scheduler.runAfter(ms, internal.chat.expireLease, { messageId });
  if (lease === null) {
    await ctx.db.insert("leases", { messageId, expiresAt, checkId });
  } else {
    await cancelCheck(ctx, lease);
    await ctx.db.patch("leases", lease._id, { expiresAt, checkId });
  }
}

/**
 * A new reply's lease, and the check that ends the reply once the lease lapses, so observers
 * see the end without anyone sending. Worst case: 1 read, 1 write, 1 scheduled function.
 */
export async function grantLease(ctx: MutationCtx, messageId: Id<"messages">): Promise<void> {
  await setLease(ctx, messageId, leaseMs());
}

/**
 * Extends the lease to `leaseMs()` from now (its check moved with it), writing only once a fifth
 * of it (at most `LEASE_RENEW_AFTER_MS`) is used. 1 read, ≤ 3 writes, ≤ 1 scheduled function.
 */
export async function renewLease(ctx: MutationCtx, messageId: Id<"messages">): Promise<void> {
  const lease = await leaseOf(ctx, messageId);
  const ms = leaseMs();
  if (lease === null || Date.now() + ms - lease.expiresAt >= Math.min(LEASE_RENEW_AFTER_MS, ms / 5))
    await setLease(ctx, messageId, ms);
}

/** Cuts the lease to `ms` from now and checks it then (1 read, ≤ 3 writes, 1 scheduled function). */
export async function shortenLease(ctx: MutationCtx, messageId: Id<"messages">, ms: number): Promise<void> {
  const lease = await leaseOf(ctx, messageId);
  if (lease === null || lease.expiresAt > Date.now() + ms) await setLease(ctx, messageId, ms);
}

/**
 * Ends a reply whose driver is gone: its component stream too (so a late POST answers 205 and
 * a late flush stops), keeping the text persisted so far. A reply nobody started is `timeout`,
 * one being stopped is `stopped`, otherwise `error`.
 */
export async function endAbandonedReply(ctx: MutationCtx, message: Doc<"messages">): Promise<void> {
  if (!isUnfinished(message.status)) return;
  if (message.streamId !== null) {
    const stream = await componentStatus(ctx, message.streamId);
    if (stream === "pending" || stream === "streaming") {
      await ctx.runMutation(components.persistentTextStreaming.lib.setStreamStatus, {
        streamId: message.streamId,
        status: "error",
      });
    }
  }
  if (message.stopRequested) await finalizeReply(ctx, message, "stopped", null);
  else if (message.status === "pending") await finalizeReply(ctx, message, "timeout", REPLY_ERRORS.timedOut);
  else await finalizeReply(ctx, message, "error", REPLY_ERRORS.driverLost);
}

/**
 * One copy at rest: a finished reply's text is its message's, so its other two copies go. The
 * component's stream and the compacted text now (its chunks in the component's own scheduled
 * batches of 64), and the deltas in `threads:purgeDeltas` batches of 256, each scheduled and
 * rescheduling itself until none are left. Readers of a finished reply read the message
 * (`streams:catchUp`, `streams:read`, `messages:list`). Worst case: 2 documents read, 2 deleted,
 * 2 functions scheduled.
 */
async function releaseStream(ctx: MutationCtx, streamId: string): Promise<void> {
  // An unfinished reply always has its stream: only this and `threads:purgeThread` (which deletes
  // the message with it) delete one.
  await ctx.runMutation(components.persistentTextStreaming.lib.deleteStream, { streamId });
  await deleteReplyText(ctx, streamId);
  await ctx.scheduler.runAfter(0, internal.threads.purgeDeltas, { streamIds: [streamId] });
}

/**
 * Ends a reply: writes its full text to the message once, sets its final status, and updates
 * the thread (idle after done/stopped, error after error/timeout). No-op if already final.
 * Its stream and deltas are then released (`releaseStream`).
 * Worst case: 68 documents read (message, compacted text, ≤ 63 deltas, stream, lease, thread),
 * 5 written, 3 functions scheduled (the charge, `usage:settle`; the chunks' and deltas' deletion).
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
  // Ended without its driver's count (stopped before it started or past the grace, timed out,
  // driver lost): its reservation is returned, and a reply that was streaming is charged for its
  // input and the text it generated.
  if (message.reservation) await settleReply(ctx, message, unreportedCost(message, text.length));
  if (message.streamId) {
    await ctx.db.patch("messages", message._id, { status, text, error, updatedAt: now, streamDeleted: true });
    await releaseStream(ctx, message.streamId);
  } else {
    await ctx.db.patch("messages", message._id, { status, text, error, updatedAt: now });
  }
  await deleteLease(ctx, message._id);
  const thread = await ctx.db.get("threads", message.threadId);
  if (thread) {
    await ctx.db.patch("threads", thread._id, {
      status: status === "error" || status === "timeout" ? "error" : "idle",
      active: 0,
      updatedAt: now,
      lastMessageAt: now,
      // A replaced reply (regenerated away) is not the newest message any more.
      ...(text.trim() && message.supersededBy === undefined ? { preview: previewOf(text) } : {}),
    });
  }
}

/**
 * Stops the thread's reply in progress, if any (`messages:stop`, and `handoff:takeOver`). A reply
 * nobody has started driving is finished as `stopped` at once, and so is one whose driver's lease
 * has lapsed; a streaming one is flagged, and its driver ends it within one flush (or heartbeat),
 * aborting the model request and keeping the text written so far. If its driver is gone, the
 * reply ends `STOP_GRACE_MS` (3 s) later anyway.
 */
export async function stopReply(ctx: MutationCtx, threadId: Id<"threads">): Promise<void> {
  const reply = await replyInProgress(ctx, threadId);
  if (!reply) return;
  const { message, stream } = reply;
  if (message.status === "pending" && stream === "pending") {
    // Nobody is driving it yet: end the component stream too, so a late POST answers 205.
    await ctx.runMutation(components.persistentTextStreaming.lib.setStreamStatus, {
      streamId: message.streamId!,
      status: "done",
    });
    await finalizeReply(ctx, message, "stopped", null);
  } else if (!message.stopRequested) {
    await ctx.db.patch("messages", message._id, { stopRequested: true });
    // A live driver sees the flag within a second and ends the reply; a dead one never will.
    await shortenLease(ctx, message._id, STOP_GRACE_MS);
  }
}
