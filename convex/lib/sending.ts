/**
 * Starting a reply, shared by the two ways in: the mutations `messages:send` / `messages:retry`
 * (then `POST /chat-stream {streamId}` drives it) and the one-request path, `POST /chat-stream
 * {prompt}` (`chat:start`), which runs the same steps and begins the reply in one transaction.
 * Creating a thread is here too, for the same reason (`threads:create` and `chat:start`).
 */
import { noteMessages } from "./threadSummary";
import { components } from "../_generated/api";
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx } from "../_generated/server";
import { visitorKey, type Caller } from "./access";
import { attachmentInputChars, markSent, unsentUploads } from "./attachments";
import { reserveBudget, type Reservation, worstCaseTokens } from "./budget";
import {
  emptyPrompt,
  heldByOperator,
  notLastReply,
  promptTooLong,
  rateLimited,
  replyStillRunning,
  tooManyReplies,
  tooManyRepliesInFlight,
  tooManyThreads,
  unauthorized,
} from "./errors";
import { consumeMessageBudget, getLimits, NEW_THREAD_TITLE } from "./limits";
import { buildHistory, modelConfig } from "./modelConfig";
import { grantLease, replyInProgress } from "./replies";
import { storedOrigin, titleFromPrompt } from "./text";
import type { ChatAttachment, ChatTurn, Identity, SendResult } from "./validators";
import { isEstablished, visitorByHash } from "./visitors";
import { checkVisitorClaim, contextToModel, visitorInfo, withVisitorContext } from "./visitorIdentity";

/**
 * A new thread owned by the visitor token with this hash (which must be one this deployment
 * issued: a client cannot choose its own) and, when signed in, by the identity too.
 * TOO_MANY_THREADS past the per-visitor limit.
 */
export async function createThread(
  ctx: MutationCtx,
  tokenHash: string,
  identity: Identity | null,
  origin: string | undefined,
  about: { visitor?: unknown; language?: string } = {},
): Promise<Id<"threads">> {
  // Checked before anything is written: a refused claim stores nothing.
  const visitorClaim = about.visitor === undefined ? undefined : await visitorInfo(checkVisitorClaim(about.visitor));
  const limit = getLimits().threadsPerVisitor;
  const visitor = await visitorByHash(ctx, tokenHash);
  if (!visitor) throw unauthorized();
  if (visitor.threadCount >= limit) throw tooManyThreads(visitor.threadCount, limit);
  await ctx.db.patch("visitors", visitor._id, { threadCount: visitor.threadCount + 1 });
  const now = Date.now();
  return await ctx.db.insert("threads", {
    title: NEW_THREAD_TITLE,
    status: "idle",
    active: 0,
    createdAt: now,
    updatedAt: now,
    lastMessageAt: now,
    origin: storedOrigin(origin),
    model: modelConfig().model,
    visitorHash: tokenHash,
    ...(identity ? { userId: identity.userId } : {}),
    ...(visitorClaim ? { visitor: visitorClaim } : {}),
    ...(about.language !== undefined ? { language: about.language } : {}),
  });
}

/**
 * Stores the prompt, a pending assistant message and its component stream. The caller must
 * have write access to `thread`. Worst case: ≈ 80 documents read (the previous reply finalized
 * if its lease lapsed, rate-limit buckets), ≈ 12 written, 1 function scheduled (the lease check).
 */
export async function sendPrompt(
  ctx: MutationCtx,
  thread: Doc<"threads">,
  caller: Caller,
  prompt: string,
  requestId?: string,
  clientKey: string | null = null,
  attachmentIds: string[] = [],
): Promise<SendResult> {
  const limits = getLimits();
  // A file alone (a screenshot) is a message too.
  if (prompt.trim().length === 0 && attachmentIds.length === 0) throw emptyPrompt();
  if (prompt.length > limits.maxPromptChars) throw promptTooLong(prompt.length, limits.maxPromptChars);
  const attachments = attachmentIds.length > 0 ? await unsentUploads(ctx, visitorKey(caller) ?? "", attachmentIds) : [];
  if (thread.holder) return await storeForOperator(ctx, thread, caller, prompt, requestId, clientKey, attachments);
  if (await replyInProgress(ctx, thread._id)) throw replyStillRunning();
  const turns = await conversation(ctx, thread._id);
  turns.push({ role: "user", content: prompt, ...(attachments.length > 0 ? { attachments } : {}) });
  const charge = await chargeNewReply(ctx, caller, inputChars(turns), clientKey);

  const userMessageId = await insertPrompt(ctx, thread, prompt, requestId, attachments);
  const { assistantMessageId, streamId } = await insertPendingReply(ctx, thread, caller, charge, {
    title: titleAfter(thread, prompt, attachments),
  });
  await noteMessages(ctx, thread._id, 2, prompt.trim() || attachments[0]?.name || "");
  return { userMessageId, assistantMessageId, streamId };
}

/**
 * A send while an operator holds the thread: the prompt is stored for the operator and no reply is
 * started (no model request, nothing reserved), but it still counts against the visitor's and the
 * deployment's message rates like any send. `heldBy` names who answers.
 */
async function storeForOperator(
  ctx: MutationCtx,
  thread: Doc<"threads">,
  caller: Caller,
  prompt: string,
  requestId: string | undefined,
  clientKey: string | null,
  attachments: ChatAttachment[],
): Promise<SendResult & { heldBy: string }> {
  const { usageKey, visitor } = await payer(ctx, caller);
  const wait = await consumeMessageBudget(ctx, usageKey, isEstablished(caller, visitor), clientKey);
  if (wait !== null) throw rateLimited(wait);
  const userMessageId = await insertPrompt(ctx, thread, prompt, requestId, attachments);
  await noteMessages(ctx, thread._id, 1, prompt.trim() || attachments[0]?.name || "");
  const now = Date.now();
  await ctx.db.patch("threads", thread._id, {
    title: titleAfter(thread, prompt, attachments),
    updatedAt: now,
    lastMessageAt: now,
  });
  return { userMessageId, heldBy: thread.holder!.name };
}

/** A new thread takes its title from its first prompt, or its first file's name if it has no text. */
function titleAfter(thread: Doc<"threads">, prompt: string, attachments: ChatAttachment[]): string {
  if (thread.title !== NEW_THREAD_TITLE) return thread.title;
  return titleFromPrompt(prompt.trim() || attachments[0]?.name || thread.title);
}

/** Stores the visitor's prompt, and marks its files as sent with it. */
async function insertPrompt(
  ctx: MutationCtx,
  thread: Doc<"threads">,
  prompt: string,
  requestId: string | undefined,
  attachments: ChatAttachment[],
): Promise<Id<"messages">> {
  const now = Date.now();
  const userMessageId = await ctx.db.insert("messages", {
    threadId: thread._id,
    role: "user",
    status: "done",
    text: prompt,
    streamId: null,
    error: null,
    model: null,
    createdAt: now,
    updatedAt: now,
    ...(requestId !== undefined ? { requestId } : {}),
    ...(attachments.length > 0 ? { attachments } : {}),
  });
  await markSent(ctx, attachments, userMessageId, thread._id);
  return userMessageId;
}

/**
 * The prompt a request with this ID already sent to the thread, and the reply to it: a page whose
 * POST's answer was lost sends it again, and must find the reply it started rather than a second
 * copy. Only the newest messages are looked at: a resend comes within seconds.
 */
export async function alreadySent(
  ctx: MutationCtx,
  thread: Doc<"threads">,
  requestId: string,
): Promise<
  | { userMessageId: Id<"messages">; assistantMessageId: Id<"messages">; streamId: string }
  | { userMessageId: Id<"messages">; heldBy: string }
  | null
> {
  const newest = await ctx.db
    .query("messages")
    .withIndex("by_threadId_supersededBy", (q) => q.eq("threadId", thread._id).eq("supersededBy", undefined))
    .order("desc")
    .take(RESEND_WINDOW_MESSAGES);
  const at = newest.findIndex((m) => m.role === "user" && m.requestId === requestId);
  if (at < 0) return null;
  const reply = at > 0 ? newest[at - 1] : undefined;
  if (!reply || reply.role !== "assistant" || reply.streamId === null) {
    // Stored for the operator holding the thread then (no reply was started): found, not resent.
    return thread.holder ? { userMessageId: newest[at]._id, heldBy: thread.holder.name } : null;
  }
  return { userMessageId: newest[at]._id, assistantMessageId: reply._id, streamId: reply.streamId };
}

/** How many of a thread's newest messages `alreadySent` looks through. */
const RESEND_WINDOW_MESSAGES = 4;

/** A prompt has at most this many replies (the one shown and those regenerated away). */
export const REPLIES_PER_PROMPT_MAX = 5;

/**
 * Generates the thread's last reply (`messageId`, which must be its newest message) again: a new
 * pending reply to the same prompt, charged like a send. The old reply stays, marked
 * `supersededBy` the new one: operators see both, visitors and observers only the new one. A
 * finished reply too (regenerate), up to REPLIES_PER_PROMPT_MAX replies per prompt.
 */
export async function retryLastReply(
  ctx: MutationCtx,
  thread: Doc<"threads">,
  caller: Caller,
  messageId: string,
  clientKey: string | null = null,
): Promise<{ assistantMessageId: Id<"messages">; streamId: string }> {
  // No reply while an operator answers: the visitor writes to them instead.
  if (thread.holder) throw heldByOperator(thread.holder.name);
  // This also ends a reply whose driver's lease has lapsed, which may then be retried.
  if (await replyInProgress(ctx, thread._id)) throw replyStillRunning();
  // The last reply, then the replies it replaced, then their prompt.
  const [last, ...earlier] = await ctx.db
    .query("messages")
    .withIndex("by_threadId", (q) => q.eq("threadId", thread._id))
    .order("desc")
    .take(REPLIES_PER_PROMPT_MAX + 1);
  if (!last || last._id !== messageId || last.role !== "assistant") throw notLastReply();
  const prompt = earlier.findIndex((m) => m.role === "user");
  // No prompt among the REPLIES_PER_PROMPT_MAX messages before it: at least that many replies.
  const replies = prompt === -1 ? earlier.length + 1 : prompt + 1;
  if (replies >= REPLIES_PER_PROMPT_MAX) throw tooManyReplies(REPLIES_PER_PROMPT_MAX);
  const charge = await chargeNewReply(
    ctx,
    caller,
    inputChars(await conversation(ctx, thread._id, last._id)),
    clientKey,
  );
  const next = await insertPendingReply(ctx, thread, caller, charge);
  await ctx.db.patch("messages", last._id, { supersededBy: next.assistantMessageId });
  return next;
}

/** History is read from at most this many newest messages before the character budget applies. */
const HISTORY_MESSAGES_MAX = 200;

/**
 * The conversation the model is sent for a reply in this thread: at most the newest 200 messages
 * (without `exclude`, the reply itself, and replies regenerated away), then the character budget
 * (HISTORY_CHARS).
 */
export async function conversation(
  ctx: MutationCtx,
  threadId: Id<"threads">,
  exclude?: Id<"messages">,
): Promise<ChatTurn[]> {
  const earlier = await ctx.db
    .query("messages")
    .withIndex("by_threadId_supersededBy", (q) => q.eq("threadId", threadId).eq("supersededBy", undefined))
    .order("desc")
    .take(HISTORY_MESSAGES_MAX);
  const turns: ChatTurn[] = earlier
    .reverse()
    .filter((m) => m._id !== exclude && (m.role !== "assistant" || m.status === "done" || m.status === "stopped"))
    .map((m) =>
      m.role === "operator"
        ? personTurn(m)
        : { role: m.role, content: m.text, ...(m.attachments?.length ? { attachments: m.attachments } : {}) },
    );
  const history = buildHistory(turns, getLimits().historyChars);
  // VISITOR_CONTEXT_TO_MODEL: who the page says the visitor is, ahead of the first prompt.
  return contextToModel() ? withVisitorContext(history, await ctx.db.get("threads", threadId)) : history;
}

/**
 * An operator's message as the model sees it: an assistant turn (it answered the visitor), marked
 * as written by a person, so after a hand-back the model knows what was promised and by whom.
 */
export function personTurn(m: Doc<"messages">): ChatTurn {
  return { role: "assistant", content: `${PERSON_MARK(m.author ?? "Operator")}\n${m.text}` };
}
/** The line that opens an operator's turn in the model's history. */
export const PERSON_MARK = (name: string) => `[A person from the support team, ${name}, wrote this reply, not the AI:]`;

/** Characters a reply's model request carries: the system prompt and the conversation. */
function inputChars(turns: ChatTurn[]): number {
  return (
    modelConfig().system.length +
    turns.reduce(
      (n, t) => n + t.content.length + (t.attachments ?? []).reduce((m, a) => m + attachmentInputChars(a), 0),
      0,
    )
  );
}

/** Who pays for a new reply (`chargeNewReply`): the caller's visitor row, read once, and the reservation. */
type Charge = { usageKey: string; visitor: Doc<"visitors"> | null; reservation: Reservation };

/**
 * What a send and a retry charge before a new reply: a slot among the visitor's replies in
 * flight (REPLY_IN_PROGRESS), one message of its rate limits and of its address's
 * (RATE_LIMITED), and the reply's worst case reserved on the daily budgets (BUDGET_EXHAUSTED).
 * Only a token this deployment minted may pay: a signed-in caller's unknown token is UNAUTHORIZED.
 */
async function chargeNewReply(
  ctx: MutationCtx,
  caller: Caller,
  replyInputChars: number,
  clientKey: string | null,
): Promise<Charge> {
  const { usageKey, visitor } = await payer(ctx, caller);
  const limit = getLimits().repliesInFlight;
  if ((await repliesInFlight(ctx, usageKey, limit)) >= limit) throw tooManyRepliesInFlight(limit);
  const established = isEstablished(caller, visitor);
  const wait = await consumeMessageBudget(ctx, usageKey, established, clientKey);
  if (wait !== null) throw rateLimited(wait);
  const reserved = await reserveBudget(ctx, usageKey, established, worstCaseTokens(replyInputChars));
  return { usageKey, visitor, reservation: { ...reserved, inputChars: replyInputChars } };
}

/** Whose budgets a send draws on: the caller's visitor key, and its visitor row (read once). */
async function payer(ctx: MutationCtx, caller: Caller): Promise<{ usageKey: string; visitor: Doc<"visitors"> | null }> {
  const usageKey = visitorKey(caller);
  if (usageKey === null) throw unauthorized(); // unreachable: write access needs a token or identity
  const visitor = caller.tokenHash === null ? null : await visitorByHash(ctx, caller.tokenHash);
  // Only a token this deployment minted may drive the reply. A signed-in visitor's token that is
  // not one (made up, or an observer's) is refused: storing it would let a client choose its own
  // visitor token and skip minting's limits and checks. A new device gets its token minted by
  // `POST /chat-stream` without one.
  if (caller.tokenHash !== null && visitor === null) throw unauthorized();
  return { usageKey, visitor };
}

/** The visitor's unfinished replies, across threads, counted up to `upTo`. */
async function repliesInFlight(ctx: MutationCtx, usageKey: string, upTo: number): Promise<number> {
  let n = 0;
  for (const status of ["pending", "streaming"] as const) {
    const rows = await ctx.db
      .query("messages")
      .withIndex("by_usageKey_status", (q) => q.eq("usageKey", usageKey).eq("status", status))
      .take(upTo);
    n += rows.length;
  }
  return n;
}

/**
 * A pending assistant reply with a new component stream, which the caller's token may drive,
 * charged to `charge.usageKey`'s budget, and the thread marked as streaming.
 */
async function insertPendingReply(
  ctx: MutationCtx,
  thread: Doc<"threads">,
  caller: Caller,
  { usageKey, reservation }: Charge,
  threadPatch: Partial<Doc<"threads">> = {},
): Promise<{ assistantMessageId: Id<"messages">; streamId: string }> {
  const driverHash = caller.tokenHash ?? undefined;
  const model = modelConfig().model;
  const now = Date.now();
  const streamId: string = await ctx.runMutation(components.persistentTextStreaming.lib.createStream, {});
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
    usageKey,
    reservation,
  });
  // A POST that never lands (page closed, request refused) must not hold the thread.
  await grantLease(ctx, assistantMessageId);
  await ctx.db.patch("threads", thread._id, {
    ...threadPatch,
    status: "streaming",
    active: 1,
    updatedAt: now,
    lastMessageAt: now,
    model,
  });
  return { assistantMessageId, streamId };
}
