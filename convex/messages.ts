/** Messages: the transcript, sending a prompt, stopping a reply, generating a failed one again. */
import { v } from "convex/values";
import type { Doc, Id } from "./_generated/dataModel";
import { mutation, query, type QueryCtx } from "./_generated/server";
import { authorizeThread } from "./lib/access";
import { MESSAGES_LIVE_MAX, MESSAGES_PAGE_CHARS, MESSAGES_PAGE_MAX } from "./lib/limits";
import { attachmentViews } from "./lib/attachments";
import { effectiveStatus, lastDelta, stopReply, toMessageView } from "./lib/replies";
import { timestamp } from "./lib/numbers";
import { retryLastReply, sendPrompt } from "./lib/sending";
import {
  isUnfinished,
  vMessageView,
  vSendResult,
  type Access,
  type MessageView,
  vIdentity,
  vVisitorClaim,
} from "./lib/validators";
import { noteVisitor } from "./lib/visitorIdentity";

/**
 * The view readers get. A reply the component has expired but the reconciler has not yet
 * rewritten shows `timeout` with the length of its persisted text (its text is read from
 * `streams:read`, as for any reply the viewer did not stream). An unfinished reply has length 0.
 */
async function messageView(ctx: QueryCtx, message: Doc<"messages">, withReplyText: boolean): Promise<MessageView> {
  const status = await effectiveStatus(ctx, message);
  const view = toMessageView(message, status);
  // Only a caller with read access gets here: the URLs are the files' capabilities (docs/threat-model.md).
  const attachments = await attachmentViews(ctx, message.attachments);
  if (attachments) view.attachments = attachments;
  if (status !== message.status && message.streamId !== null) {
    const last = await lastDelta(ctx, message.streamId);
    view.length = last ? last.start + last.text.length : 0;
  }
  if (!withReplyText && message.role === "assistant") {
    view.text = "";
    // The live end shows an unfinished reply the same from `send` to its end, so the driver
    // starting it (pending → streaming) re-sends nothing to viewers: they tell "Thinking…" from
    // streaming by whether text has arrived on `streams:tail`.
    if (isUnfinished(view.status)) {
      view.status = "pending";
      view.updatedAt = view.createdAt;
    }
  }
  return view;
}

/**
 * The thread's messages, newest first, within `range` of `_creationTime`: every message for an
 * operator; for visitors and observers only the newest reply to each prompt (`messages:retry`
 * keeps the reply it replaces, for operators), skipped by the index rather than read and dropped.
 */
function transcript(
  ctx: QueryCtx,
  threadId: Id<"threads">,
  access: Access,
  { before, after }: { before?: number; after?: number },
) {
  if (access === "operator") {
    return ctx.db
      .query("messages")
      .withIndex("by_threadId", (q) => {
        const thread = q.eq("threadId", threadId);
        return before !== undefined
          ? thread.lt("_creationTime", before)
          : after !== undefined
            ? thread.gt("_creationTime", after)
            : thread;
      })
      .order("desc");
  }
  return ctx.db
    .query("messages")
    .withIndex("by_threadId_supersededBy", (q) => {
      const shown = q.eq("threadId", threadId).eq("supersededBy", undefined);
      return before !== undefined
        ? shown.lt("_creationTime", before)
        : after !== undefined
          ? shown.gt("_creationTime", after)
          : shown;
    })
    .order("desc");
}

/**
 * A page of the thread's history, oldest first: the newest messages created before `before`
 * (a `_creationTime`; absent: the newest of the thread), at most 50 of them, stopping once their
 * text passes 128 K characters (always at least one message). Full text: the widget reads each
 * page once (a one-shot query, not a subscription) and pages in older history on scroll.
 *
 * Worst case per call: 51 message documents (each ≤ 1 MiB, but a page stops after the first
 * that passes 128 K characters, so ≤ 128 K + one message's text is returned, well under the 16 MiB
 * read limit), one access check, and for an unfinished reply one component status read and one delta.
 */
export const list = query({
  args: {
    threadId: v.string(),
    token: v.optional(v.string()),
    identity: v.optional(vIdentity),
    before: v.optional(v.number()),
  },
  returns: v.array(vMessageView),
  handler: async (ctx, args) => {
    const { thread, access } = await authorizeThread(ctx, args.threadId, args, "read");
    const before = args.before === undefined ? undefined : timestamp("before", args.before);
    const newest = transcript(ctx, thread._id, access, { before });
    const page: MessageView[] = [];
    let chars = 0;
    for await (const message of newest) {
      page.push(await messageView(ctx, message, true));
      chars += message.text.length;
      if (page.length >= MESSAGES_PAGE_MAX || chars >= MESSAGES_PAGE_CHARS) break;
    }
    return page.reverse();
  },
});

/**
 * The live end of the transcript, oldest first: the messages created after `after` (a
 * `_creationTime`; absent: from the thread's start), at most the newest 50. Subscribe with `after`
 * set to the newest message of history the viewer already holds, so a status change re-sends
 * only the messages after it, never the transcript. An unfinished reply is `pending` (with
 * `updatedAt` = `createdAt`) until it ends, so its start re-sends nothing. Assistant replies come without their text
 * (`text` is "", `length` says how long a finished one is): the viewer streams it from
 * `streams:tail`, or reads what it lacks from `streams:read`, once.
 *
 * Worst case per run: 51 message documents, of which only user prompts are returned in full
 * (≤ 50 × MAX_PROMPT_CHARS), one access check, and for an unfinished reply one component status
 * read and one delta.
 */
export const live = query({
  args: {
    threadId: v.string(),
    token: v.optional(v.string()),
    identity: v.optional(vIdentity),
    after: v.optional(v.number()),
  },
  returns: v.array(vMessageView),
  handler: async (ctx, args) => {
    const { thread, access } = await authorizeThread(ctx, args.threadId, args, "read");
    const after = args.after === undefined ? undefined : timestamp("after", args.after);
    const newest = await transcript(ctx, thread._id, access, { after }).take(MESSAGES_LIVE_MAX);
    newest.reverse();
    return await Promise.all(newest.map((m) => messageView(ctx, m, false)));
  },
});

/**
 * Stores the prompt, a pending assistant message and its component stream, atomically.
 * The caller then POSTs `{streamId}` to `/chat-stream` to drive the reply. (The widget sends and
 * drives in one request instead: `POST /chat-stream {prompt}`.)
 * Worst case: ≈ 80 documents read (access, the previous reply finalized if its lease lapsed,
 * rate-limit buckets), ≈ 12 written, 1 function scheduled (the lease check).
 */
export const send = mutation({
  args: {
    threadId: v.string(),
    token: v.optional(v.string()),
    identity: v.optional(vIdentity),
    prompt: v.string(),
    /** Upload IDs from `POST /chat-upload` (the caller's own, unsent), at most MAX_FILES_PER_MESSAGE. */
    attachments: v.optional(v.array(v.string())),
    /** Who the page says the visitor is (docs/visitor-identity.md), kept on the thread; BAD_REQUEST past its limits. */
    visitor: v.optional(vVisitorClaim),
  },
  returns: vSendResult,
  handler: async (ctx, args) => {
    const { thread, caller } = await authorizeThread(ctx, args.threadId, args, "write");
    await noteVisitor(ctx, thread, args.visitor);
    return await sendPrompt(ctx, thread, caller, args.prompt, undefined, null, args.attachments);
  },
});

/**
 * Generates the thread's last reply again (retry a failed or stopped one, regenerate a finished
 * one): the reply (`messageId`, which must be the thread's newest message) is replaced by a new
 * pending one answering the same prompt, so visitors and observers see one question and one
 * answer; the old reply stays, `supersededBy` the new one, for operators. At most
 * REPLIES_PER_PROMPT_MAX (5) replies per prompt. Costs a message from the visitor's budget, like
 * `send`. Drive the new `streamId` as after `send`.
 */
export const retry = mutation({
  args: { threadId: v.string(), token: v.optional(v.string()), identity: v.optional(vIdentity), messageId: v.string() },
  returns: v.object({ assistantMessageId: v.string(), streamId: v.string() }),
  handler: async (ctx, args) => {
    const { thread, caller } = await authorizeThread(ctx, args.threadId, args, "write");
    return await retryLastReply(ctx, thread, caller, args.messageId);
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
  args: { threadId: v.string(), token: v.optional(v.string()), identity: v.optional(vIdentity) },
  returns: v.null(),
  handler: async (ctx, args) => {
    const { thread } = await authorizeThread(ctx, args.threadId, args, "write");
    await stopReply(ctx, thread._id);
    return null;
  },
});
