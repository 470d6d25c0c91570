/**
 * The internal mutations behind POST /chat-stream (`convex/http.ts`): `begin` starts a reply,
 * each flush of the `ReplyDriver` is one `flush` that appends to the component's chunks
 * (`addChunk`) and to our `deltas`, so `getStreamBody` and `streams:read` always agree, and
 * `finish` ends it. The component's `stream()` helper is not used: it persists only on `.!?`.
 * No AI SDK in this module (it would be bundled into every one of these functions).
 */
import { v } from "convex/values";
import { components, internal } from "./_generated/api";
import type { Doc, Id } from "./_generated/dataModel";
import { action, internalMutation, mutation, type MutationCtx } from "./_generated/server";
import { authorizeThreadAs, type Caller, hashToken, messageByStream } from "./lib/access";
import { appError, humanCheckFailed, queueBodyInvalid, queueFull, queueTicketInvalid } from "./lib/errors";
import { alreadySent, conversation, createThread, retryLastReply, sendPrompt } from "./lib/sending";
import { establishAfterReading, settleReply } from "./lib/budget";
import { REPLY_ERRORS } from "./lib/errors";
import { consumeStreamRequest, envInt } from "./lib/limits";
import { powEnabled, readPowKey, spendOnce, spendProofOfWork } from "./lib/pow";
import { freeSlot } from "./lib/queueRunner";
import { readQueueTicket, signQueueTicket } from "./lib/queueTicket";
import {
  appendDelta,
  componentStatus,
  endAbandonedReply,
  finalizeReply,
  leaseOf,
  renewLease,
  setLease,
} from "./lib/replies";
import {
  type ChatReplyHeader,
  type ChatTurn,
  type HeldReplyHeader,
  vHeldReplyHeader,
  type Identity,
  isUnfinished,
  vChatReplyHeader,
  vChatTurn,
  vIdentity,
  type VisitorClaim,
  vVisitorClaim,
} from "./lib/validators";
import { noteVisitor } from "./lib/visitorIdentity";
import { mintVisitor, turnstileSecret, verifyTurnstile, visitorByHash } from "./lib/visitors";

const vBeginResult = v.union(
  v.object({ kind: v.literal("unauthorized") }),
  v.object({ kind: v.literal("notFound") }),
  v.object({ kind: v.literal("rateLimited"), retryAfterMs: v.number() }),
  v.object({ kind: v.literal("alreadyStarted") }),
  v.object({ kind: v.literal("start"), messageId: v.id("messages"), messages: v.array(vChatTurn) }),
);

/**
 * Checks the token and stream ownership, rate-limits, and moves a pending reply to `streaming`
 * atomically, so of two concurrent POSTs for one stream exactly one drives it (the other: 205).
 * Returns the conversation the model should see.
 * Worst case: ~205 documents read (visitor, rate-limit bucket, message, thread, stream, lease,
 * 200 messages of history), 4 written.
 */
export const begin = internalMutation({
  args: { streamId: v.string(), tokenHash: v.string() },
  returns: vBeginResult,
  handler: async (ctx, args) => {
    const visitor = await visitorByHash(ctx, args.tokenHash);
    if (!visitor) return { kind: "unauthorized" as const };
    const wait = await consumeStreamRequest(ctx, args.tokenHash);
    if (wait !== null) return { kind: "rateLimited" as const, retryAfterMs: Math.ceil(wait) };

    const message = await messageByStream(ctx, args.streamId);
    const thread = message ? await ctx.db.get("threads", message.threadId) : null;
    if (!message || !thread || message.role !== "assistant") return { kind: "notFound" as const };
    const owns = thread.visitorHash === args.tokenHash || message.driverHash === args.tokenHash;
    if (!owns) return { kind: "notFound" as const };

    const status = await componentStatus(ctx, args.streamId);
    if (status !== "pending" || message.status !== "pending") return { kind: "alreadyStarted" as const };
    return { kind: "start" as const, messageId: message._id, messages: await beginReply(ctx, message) };
  },
});

/**
 * The one-request path, `POST /chat-stream {prompt}` or `{retry}`: in one transaction, mints the
 * visitor when the request carries no token (after the action's Turnstile check, when that is on),
 * creates the thread when it names none, stores the prompt and a pending reply (or replaces the
 * failed last reply), and begins it as `begin` does. Throws the ConvexErrors of `threads:create`,
 * `messages:send` and `messages:retry`, with their codes; then nothing is stored.
 * Worst case: `threads:create` + `messages:send` + `begin` (≈ 300 documents read, ≈ 20 written).
 */
export const start = internalMutation({
  args: {
    /** The visitor token's hash; absent: mint a new visitor. */
    tokenHash: v.optional(v.string()),
    /**
     * The host's signed-in user. `POST /chat-stream` passes none: a component's HTTP actions see no
     * `ctx.auth`, so that path is the visitor token's (a signed-in user's threads carry one too).
     */
    identity: v.optional(vIdentity),
    /** The action verified a Turnstile token (only then may it mint with Turnstile on). */
    humanChecked: v.boolean(),
    /** A new visitor's proof of work (`lib/pow.ts`), as the page sent it. */
    pow: v.optional(v.string()),
    /** The client's address key (`lib/clientAddress.ts`), when the deployment passed one on. */
    clientKey: v.optional(v.string()),
    threadId: v.optional(v.string()),
    /** The page's ID for this request: the same request sent again finds what it stored. */
    requestId: v.optional(v.string()),
    /** The page's Origin, kept on a new thread for the console. */
    origin: v.optional(v.string()),
    /** Who the page says the visitor is, and the browser's first language: kept on the thread. */
    visitor: v.optional(vVisitorClaim),
    language: v.optional(v.string()),
    request: v.union(
      v.object({ kind: v.literal("send"), prompt: v.string(), attachments: v.optional(v.array(v.string())) }),
      v.object({ kind: v.literal("retry"), messageId: v.string() }),
    ),
  },
  returns: v.union(
    v.object({
      kind: v.literal("start"),
      reply: vChatReplyHeader,
      messageId: v.id("messages"),
      messages: v.array(vChatTurn),
    }),
    /** The same request was sent before: its reply is driven (or was) by that one. */
    v.object({ kind: v.literal("resent"), reply: vChatReplyHeader }),
    /** An operator holds the thread: the prompt is stored for them, no reply started. */
    v.object({ kind: v.literal("held"), reply: vHeldReplyHeader }),
  ),
  handler: async (ctx, args) => {
    const stored = await storeReply(ctx, args.identity ?? null, args);
    if (stored.kind !== "stored") return stored;
    return {
      kind: "start" as const,
      reply: stored.reply,
      messageId: stored.message._id,
      messages: await beginReply(ctx, stored.message),
    };
  },
});

type StoreArgs = {
  tokenHash?: string;
  humanChecked: boolean;
  pow?: string;
  clientKey?: string;
  threadId?: string;
  requestId?: string;
  origin?: string;
  visitor?: VisitorClaim;
  language?: string;
  request: { kind: "send"; prompt: string; attachments?: string[] } | { kind: "retry"; messageId: string };
};

/**
 * What `start` and `queue` share: the visitor (minted when there is no token), the thread (created
 * when none is named), and the prompt with its pending reply (or the failed last reply replaced);
 * or, for a request sent before, the ids it stored then.
 */
async function storeReply(
  ctx: MutationCtx,
  identity: Identity | null,
  args: StoreArgs,
): Promise<
  | { kind: "resent"; reply: ChatReplyHeader }
  | { kind: "held"; reply: HeldReplyHeader }
  | { kind: "stored"; reply: ChatReplyHeader; message: Doc<"messages"> }
> {
  let token: string | undefined;
  let tokenHash = args.tokenHash;
  if (tokenHash === undefined) {
    if (turnstileSecret() !== null) {
      if (!args.humanChecked) throw humanCheckFailed("missing");
    } else if (powEnabled() && !(await spendProofOfWork(ctx, args.pow))) {
      throw humanCheckFailed(args.pow === undefined ? "missing" : "refused");
    }
    token = await mintVisitor(ctx, args.clientKey ?? null);
    tokenHash = await hashToken(token);
  }
  const who: Caller = { identity, tokenHash };
  let thread: Doc<"threads">;
  if (args.threadId === undefined) {
    const threadId = await createThread(ctx, tokenHash, identity, args.origin, args);
    thread = (await ctx.db.get("threads", threadId))!;
  } else {
    thread = (await authorizeThreadAs(ctx, args.threadId, who, "write")).thread;
    await noteVisitor(ctx, thread, args.visitor, args.language);
  }
  if (args.request.kind === "send" && args.requestId !== undefined && args.threadId !== undefined) {
    const sent = await alreadySent(ctx, thread, args.requestId);
    if (sent && "heldBy" in sent) return { kind: "held", reply: { threadId: thread._id, ...sent } };
    if (sent) return { kind: "resent", reply: { threadId: thread._id, ...sent } };
  }
  let userMessageId: string | undefined;
  let created: { assistantMessageId: Id<"messages">; streamId: string };
  if (args.request.kind === "send") {
    const sent = await sendPrompt(
      ctx,
      thread,
      who,
      args.request.prompt,
      args.requestId,
      args.clientKey ?? null,
      args.request.attachments,
    );
    if (sent.heldBy !== undefined || sent.assistantMessageId === undefined || sent.streamId === undefined) {
      const heldBy = sent.heldBy ?? "";
      const reply = { threadId: thread._id, userMessageId: sent.userMessageId, heldBy };
      return { kind: "held", reply: token !== undefined ? { ...reply, token } : reply };
    }
    userMessageId = sent.userMessageId;
    created = { assistantMessageId: sent.assistantMessageId as Id<"messages">, streamId: sent.streamId };
  } else {
    created = await retryLastReply(ctx, thread, who, args.request.messageId, args.clientKey ?? null);
  }
  const message = (await ctx.db.get("messages", created.assistantMessageId))!;
  return {
    kind: "stored",
    reply: {
      threadId: thread._id,
      ...(userMessageId !== undefined ? { userMessageId } : {}),
      assistantMessageId: created.assistantMessageId,
      streamId: created.streamId,
      ...(token !== undefined ? { token } : {}),
    },
    message,
  };
}

/** How long a queued reply may wait for its background action before it is ended as `timeout`. */
export const QUEUED_LEASE_MS = 10 * 60_000;
/** MAX_QUEUED_REPLIES' default: replies waiting for their background action, deployment-wide. */
export const MAX_QUEUED_REPLIES = 200;
/** The most shares MAX_QUEUED_REPLIES is counted in (`queueShard`: 0..7). */
export const QUEUE_SHARDS = 8;

/**
 * MAX_QUEUED_REPLIES split into min(8, cap) shares that add up to it exactly (the first ones one
 * larger when it does not divide): share `i`'s limit.
 */
export function queueShardCap(cap: number, i: number): number {
  const shards = Math.min(QUEUE_SHARDS, cap);
  return Math.floor(cap / shards) + (i < cap % shards ? 1 : 0);
}

/**
 * The send's way in when the site is too busy for its POST (every HTTP-action slot taken: the
 * deployment refused it for load): the same body as `POST /chat-stream`, over the WebSocket. The
 * prompt and its pending reply are stored as `chat:start` stores them, the reply is marked
 * `queued`, and a queue runner (`http:runQueue`, `queueRunner.ts`) generates it when one has room;
 * every page, the sender's included, follows it by subscription. A request sent before (the POST
 * did land after all) answers with its ids and queues nothing.
 *
 * A new visitor (no token yet) brings the `ticket` the warm-up handed out (`lib/queueTicket.ts`:
 * the client's address and Origin, signed) and, with proof of work on, the `pow` its refused POST
 * carried (unspent: that POST never ran): the visitor is minted and the thread created as
 * `chat:start` would, under the same limits; the answer carries the new token. With Turnstile on
 * the ticket must be a checked one (`checkHuman`: a mutation cannot ask siteverify), spent here.
 * At most MAX_QUEUED_REPLIES (200) replies wait at once, deployment-wide, counted in up to 8
 * shares (`queueShardCap`): the reply goes to a share picked at random, or to a second one if
 * that is full, so two calls read the same range only when they pick the same share. Both full:
 * QUEUE_FULL (then every slot and the queue are nearly taken, so the page should wait, not pile
 * more work on). Worst case: `chat:start`'s, less the beginning, plus 2 × 25 queued replies read;
 * 2 functions scheduled.
 */
export const queue = mutation({
  args: {
    /** The visitor's token; absent for a new visitor, who brings `ticket` instead. */
    token: v.optional(v.string()),
    /** From the warm-up (`GET /chat-stream`): a new visitor's way in (no `threadId`, no `retry`). */
    ticket: v.optional(v.string()),
    /** A new visitor's proof of work (`lib/pow.ts`), when the deployment asks for one. */
    pow: v.optional(v.string()),
    /** The host's user, passed in by its wrapper (`convex/client.ts`); a component never sees `ctx.auth`. */
    identity: v.optional(vIdentity),
    threadId: v.optional(v.string()),
    prompt: v.optional(v.string()),
    retry: v.optional(v.string()),
    requestId: v.optional(v.string()),
    /** As the POST's `visitor`. */
    visitor: v.optional(vVisitorClaim),
  },
  returns: v.union(vChatReplyHeader, vHeldReplyHeader),
  handler: async (ctx, args): Promise<ChatReplyHeader | HeldReplyHeader> => {
    const request =
      args.retry !== undefined && args.prompt === undefined && args.threadId !== undefined
        ? { kind: "retry" as const, messageId: args.retry }
        : args.prompt !== undefined && args.retry === undefined
          ? { kind: "send" as const, prompt: args.prompt }
          : null;
    const newVisitor = args.token === undefined;
    if (request === null || newVisitor !== (args.ticket !== undefined) || (newVisitor && args.threadId !== undefined))
      throw queueBodyInvalid();
    let who: Pick<StoreArgs, "tokenHash" | "pow" | "clientKey" | "origin">;
    let humanChecked = false;
    if (args.token !== undefined) who = { tokenHash: await hashToken(args.token) };
    else {
      const key = await readPowKey(ctx);
      const claims = key === null ? null : await readQueueTicket(key, args.ticket!);
      if (claims === null) throw queueTicketInvalid();
      // One visitor per human check, as one Turnstile token mints one on the POST.
      if (claims.checked && !(await spendOnce(ctx, claims.checked.signature, claims.checked.expiresAt)))
        throw humanCheckFailed("refused");
      humanChecked = claims.checked !== undefined;
      who = {
        ...(args.pow !== undefined ? { pow: args.pow } : {}),
        ...(claims.clientKey !== null ? { clientKey: claims.clientKey } : {}),
        ...(claims.origin !== null ? { origin: claims.origin } : {}),
      };
    }
    const stored = await storeReply(ctx, args.identity ?? null, {
      ...who,
      humanChecked,
      ...(args.threadId !== undefined ? { threadId: args.threadId } : {}),
      ...(args.requestId !== undefined ? { requestId: args.requestId } : {}),
      ...(args.visitor !== undefined ? { visitor: args.visitor } : {}),
      request,
    });
    if (stored.kind !== "stored") return stored.reply;
    // Past the cap, nothing is stored: the refusal rolls this transaction back.
    const cap = envInt("MAX_QUEUED_REPLIES", MAX_QUEUED_REPLIES);
    const shard = await shardWithRoom(ctx, cap);
    if (shard === null) throw queueFull(cap);
    await ctx.db.patch("messages", stored.message._id, { queued: true, queueShard: shard });
    // It waits for a slot, not for a driver's heartbeat: its lease covers the wait.
    await setLease(ctx, stored.message._id, QUEUED_LEASE_MS);
    // Every runner slot held by a live runner: one of them takes it (each looks again while it has
    // room, and as each of its replies ends), so no runner is scheduled just to find the slots
    // taken (a burst of sends would hold the deployment's scheduled-job slots with them). A runner
    // gives its slot back only after reading the queue, so in serial order it either sees this
    // reply or its slot is seen free here.
    if ((await freeSlot(ctx)) !== null) await ctx.scheduler.runAfter(0, internal.http.runQueue, {});
    return stored.reply;
  },
});

/** A share picked at random with room under its cap, else another one, else null. */
async function shardWithRoom(ctx: MutationCtx, cap: number): Promise<number | null> {
  const shards = Math.min(QUEUE_SHARDS, cap);
  const first = Math.floor(Math.random() * shards);
  const tries = shards === 1 ? [first] : [first, (first + 1 + Math.floor(Math.random() * (shards - 1))) % shards];
  for (const shard of tries) {
    const limit = queueShardCap(cap, shard);
    const waiting = await ctx.db
      .query("messages")
      .withIndex("by_queueShard_status", (q) => q.eq("queueShard", shard).eq("status", "pending"))
      .take(limit);
    if (waiting.length < limit) return shard;
  }
  return null;
}

/**
 * With Turnstile on, a new visitor's way into `queue`: the warm-up's ticket and a Turnstile token
 * in, once siteverify accepts the token, a checked ticket out (`lib/queueTicket.ts`: the same
 * address and Origin, valid 2 minutes, good for one `queue`). An action, because siteverify needs
 * `fetch`; the POST it stands in for makes the same one call. Refusals: BAD_REQUEST without
 * Turnstile configured, UNAUTHORIZED for a forged, expired or already checked ticket,
 * HUMAN_CHECK_FAILED when siteverify says no.
 */
export const checkHuman = action({
  args: { ticket: v.string(), turnstileToken: v.string() },
  returns: v.object({ ticket: v.string() }),
  handler: async (ctx, args): Promise<{ ticket: string }> => {
    const secret = turnstileSecret();
    if (secret === null)
      throw appError(
        "BAD_REQUEST",
        "This deployment has no human check (TURNSTILE_SECRET_KEY is not set): queue with the warm-up's ticket.",
      );
    const key = await ctx.runQuery(internal.visitors.powKey, {});
    const claims = key === null ? null : await readQueueTicket(key, args.ticket);
    if (claims === null || claims.checked) throw queueTicketInvalid();
    const ip = claims.clientKey?.startsWith("ip:") ? claims.clientKey.slice(3) : null;
    if (!(await verifyTurnstile(secret, args.turnstileToken, ip))) throw humanCheckFailed("refused");
    return { ticket: await signQueueTicket(key!, claims, Date.now(), true) };
  },
});

/**
 * A queue runner begins the oldest queued reply (`queueRunner:next`): `streaming`, no longer
 * `queued`, the conversation the model should see. `null` if it cannot begin (stopped, its thread
 * deleted, or its stream no longer pending): it leaves the queue all the same, and its lease or
 * the thread's purge ends it.
 */
export async function beginQueuedReply(ctx: MutationCtx, message: Doc<"messages">): Promise<ChatTurn[] | null> {
  await ctx.db.patch("messages", message._id, { queued: undefined, queueShard: undefined });
  if (message.status !== "pending" || message.streamId === null || message.stopRequested) return null;
  // Its thread deleted, the purge not yet run: nobody would see it.
  if ((await ctx.db.get("threads", message.threadId)) === null) return null;
  if ((await componentStatus(ctx, message.streamId)) !== "pending") return null;
  return await beginReply(ctx, message);
}

/**
 * Moves a pending reply to `streaming` (the component's stream too), renews its lease, and
 * returns the conversation the model should see: at most the newest 200 messages, then the
 * character budget.
 */
async function beginReply(ctx: MutationCtx, message: Doc<"messages">): Promise<ChatTurn[]> {
  await ctx.runMutation(components.persistentTextStreaming.lib.setStreamStatus, {
    streamId: message.streamId!,
    status: "streaming",
  });
  await ctx.db.patch("messages", message._id, { status: "streaming", updatedAt: Date.now() });
  await renewLease(ctx, message._id);
  return await conversation(ctx, message.threadId, message._id);
}

/**
 * One flush: the same text to the component's chunks and to our deltas, and the reply's lease
 * renewed. Returns `stop: true` when the reply should end now (stop requested, thread deleted,
 * lease lapsed, or stream expired). The message document is not touched, so `messages:list`
 * stays quiet while a reply streams.
 * Worst case: 69 documents read (message, stream, last delta, lease, 64 when compacting), 4 written.
 */
export const flush = internalMutation({
  args: { messageId: v.id("messages"), text: v.string() },
  returns: v.object({ stop: v.boolean() }),
  handler: async (ctx, args) => {
    const message = await ctx.db.get("messages", args.messageId);
    if (!message || message.status !== "streaming" || message.streamId === null) return { stop: true };
    if ((await componentStatus(ctx, message.streamId)) !== "streaming") return { stop: true };
    await appendDelta(ctx, message.streamId, args.text);
    await ctx.runMutation(components.persistentTextStreaming.lib.addChunk, {
      streamId: message.streamId,
      text: args.text,
      final: false,
    });
    if (message.stopRequested === true) return { stop: true };
    await renewLease(ctx, message._id);
    return { stop: false };
  },
});

/**
 * While the model is silent (no flush for a second): renews the lease, so a live driver keeps
 * its reply, and says whether the reply was stopped (or deleted, or ended) meanwhile.
 * Worst case: 2 documents read, 1 written.
 */
export const heartbeat = internalMutation({
  args: { messageId: v.id("messages") },
  returns: v.boolean(),
  handler: async (ctx, args) => {
    const message = await ctx.db.get("messages", args.messageId);
    if (!message || message.status !== "streaming" || message.stopRequested === true) return true;
    await renewLease(ctx, message._id);
    return false;
  },
});

/**
 * Scheduled for the moment a lease lapses, and cancelled whenever the lease moves (`setLease`):
 * it runs only once the driver has been silent for the whole lease (the driver died: deployment
 * restart, action time or memory limit, a POST that never landed) and ends the reply. A lease
 * found still running (written before leases kept their check, or renewed as the check began)
 * is checked again when it now lapses.
 * Worst case: as `finalizeReply` plus the stream (≈ 70 read, 5 written), 1 function scheduled.
 */
export const expireLease = internalMutation({
  args: { messageId: v.id("messages") },
  returns: v.null(),
  handler: async (ctx, args): Promise<null> => {
    const message = await ctx.db.get("messages", args.messageId);
    if (!message || !isUnfinished(message.status)) return null;
    const lease = await leaseOf(ctx, message._id);
    if (lease === null) return null;
    const left = lease.expiresAt - Date.now();
    if (left > 0) await setLease(ctx, message._id, left);
    else await endAbandonedReply(ctx, message);
    return null;
  },
});

/**
 * The last flush and the end of the reply: persists the tail, ends the component stream
 * (done, or error), writes the full text to the message once, and charges the reply's tokens
 * to today's budgets (the driver's visitor becomes established).
 * Worst case: ≈ 139 documents read (a compacting append, then `finalizeReply`, 2 usage rows,
 * the visitor), 11 written.
 */
export const finish = internalMutation({
  args: {
    messageId: v.id("messages"),
    text: v.string(),
    status: v.union(v.literal("done"), v.literal("stopped"), v.literal("error")),
    error: v.union(v.string(), v.null()),
    /** Model tokens the reply cost (provider-reported, else estimated). */
    tokens: v.number(),
  },
  returns: v.null(),
  handler: async (ctx, args) => {
    const found = await ctx.db.get("messages", args.messageId);
    if (!found || !isUnfinished(found.status) || found.streamId === null) return null;
    // What the reply cost, and its reservation returned, before it is finalized (which would
    // charge a streaming reply's whole reservation).
    await settleReply(ctx, found, args.tokens);
    const message = { ...found, reservation: undefined };
    const streamId = found.streamId;
    const current = await componentStatus(ctx, streamId);
    if (current !== "pending" && current !== "streaming") {
      // Expired (or ended) under us: keep what was persisted.
      const ended = current === "timeout" ? "timeout" : "error";
      await finalizeReply(
        ctx,
        message,
        ended,
        ended === "timeout" ? REPLY_ERRORS.timedOut : REPLY_ERRORS.endedUnexpectedly,
      );
      return null;
    }
    if (args.text.length > 0) {
      await appendDelta(ctx, streamId, args.text);
      await ctx.runMutation(components.persistentTextStreaming.lib.addChunk, {
        streamId,
        text: args.text,
        final: args.status !== "error",
      });
    } else if (args.status !== "error") {
      await ctx.runMutation(components.persistentTextStreaming.lib.setStreamStatus, { streamId, status: "done" });
    }
    if (args.status === "error") {
      await ctx.runMutation(components.persistentTextStreaming.lib.setStreamStatus, { streamId, status: "error" });
    }
    await finalizeReply(ctx, message, args.status, args.status === "error" ? args.error : null);
    if (args.status === "done") {
      const ended = await ctx.db.get("messages", message._id);
      if (ended) await establishAfterReading(ctx, ended.driverHash, ended.text.length);
    }
    return null;
  },
});
