/**
 * POST /chat-stream: drives one reply. Streams the model's text to the response as it is
 * produced and persists it through the flush policy; each flush is one mutation that appends
 * to the component's chunks (`addChunk`) and to our `deltas`, so `getStreamBody` and
 * `streams:read` always agree. The component's `stream()` helper is not used: it persists only
 * on `.!?`.
 */
import { v } from "convex/values";
import { components, internal } from "./_generated/api";
import { httpAction, internalMutation, internalQuery, type ActionCtx } from "./_generated/server";
import type { Id } from "./_generated/dataModel";
import { hashToken, isTokenShaped, messageByStream } from "./lib/access";
import { type ErrorCode, formatCount, formatWait } from "./lib/errors";
import { FlushPolicy, flushOptionsFromEnv } from "./lib/flushPolicy";
import { consumeStreamRequest, getLimits, MAX_BODY_BYTES } from "./lib/limits";
import { buildHistory, describeModelError, modelConfig, streamReply } from "./lib/models";
import { appendDelta, componentStatus, finalizeReply } from "./lib/replies";
import { chargeReply, estimateTokens, getBudgets } from "./lib/budget";
import { refuseForeignOrigin } from "./lib/origins";
import { type ChatTurn, isUnfinished, vChatTurn } from "./lib/validators";

/** Without a flush for this long, the driver asks whether the reply was stopped. */
const STOP_POLL_MS = 1000;
/** The final mutation is retried this many times (a lost finish leaves the reply `streaming`). */
const FINISH_ATTEMPTS = 3;
/** History is read from at most this many newest messages before the character budget applies. */
const HISTORY_MESSAGES_MAX = 200;

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
 */
export const begin = internalMutation({
  args: { streamId: v.string(), tokenHash: v.string() },
  returns: vBeginResult,
  handler: async (ctx, args) => {
    const visitor = await ctx.db
      .query("visitors")
      .withIndex("by_tokenHash", (q) => q.eq("tokenHash", args.tokenHash))
      .unique();
    if (!visitor) return { kind: "unauthorized" as const };
    const wait = await consumeStreamRequest(ctx, args.tokenHash);
    if (wait !== null) return { kind: "rateLimited" as const, retryAfterMs: Math.ceil(wait) };

    const message = await messageByStream(ctx, args.streamId);
    const thread = message ? await ctx.db.get(message.threadId) : null;
    if (!message || !thread || message.role !== "assistant") return { kind: "notFound" as const };
    const owns = thread.visitorHash === args.tokenHash || message.driverHash === args.tokenHash;
    if (!owns) return { kind: "notFound" as const };

    const status = await componentStatus(ctx, args.streamId);
    if (status !== "pending" || message.status !== "pending") return { kind: "alreadyStarted" as const };
    await ctx.runMutation(components.persistentTextStreaming.lib.setStreamStatus, {
      streamId: args.streamId,
      status: "streaming",
    });
    await ctx.db.patch(message._id, { status: "streaming", updatedAt: Date.now() });

    const earlier = await ctx.db
      .query("messages")
      .withIndex("by_threadId", (q) => q.eq("threadId", thread._id))
      .order("desc")
      .take(HISTORY_MESSAGES_MAX);
    const turns: ChatTurn[] = earlier
      .reverse()
      .filter((m) => m._id !== message._id && (m.role === "user" || m.status === "done" || m.status === "stopped"))
      .map((m) => ({ role: m.role, content: m.text }));
    return {
      kind: "start" as const,
      messageId: message._id,
      messages: buildHistory(turns, getLimits().historyChars),
    };
  },
});

/**
 * One flush: the same text to the component's chunks and to our deltas. Returns `stop: true`
 * when the reply should end now (stop requested, thread deleted, or stream expired).
 * The message document is not touched, so `messages:list` stays quiet while a reply streams.
 */
export const flush = internalMutation({
  args: { messageId: v.id("messages"), text: v.string() },
  returns: v.object({ stop: v.boolean() }),
  handler: async (ctx, args) => {
    const message = await ctx.db.get(args.messageId);
    if (!message || message.status !== "streaming" || message.streamId === null) return { stop: true };
    if ((await componentStatus(ctx, message.streamId)) !== "streaming") return { stop: true };
    await appendDelta(ctx, message.streamId, args.text);
    await ctx.runMutation(components.persistentTextStreaming.lib.addChunk, {
      streamId: message.streamId,
      text: args.text,
      final: false,
    });
    return { stop: message.stopRequested === true };
  },
});

/** Between flushes: has the reply been stopped (or deleted) meanwhile? */
export const shouldStop = internalQuery({
  args: { messageId: v.id("messages") },
  returns: v.boolean(),
  handler: async (ctx, args) => {
    const message = await ctx.db.get(args.messageId);
    return !message || message.status !== "streaming" || message.stopRequested === true;
  },
});

/**
 * The last flush and the end of the reply: persists the tail, ends the component stream
 * (done, or error), and writes the full text to the message once.
 */
export const finish = internalMutation({
  args: {
    messageId: v.id("messages"),
    text: v.string(),
    status: v.union(v.literal("done"), v.literal("stopped"), v.literal("error")),
    error: v.union(v.string(), v.null()),
    /** Model tokens the reply cost (provider-reported, else estimated), charged to the budgets. */
    tokens: v.optional(v.number()),
  },
  returns: v.null(),
  handler: async (ctx, args) => {
    const message = await ctx.db.get(args.messageId);
    if (!message || !isUnfinished(message.status) || message.streamId === null) return null;
    await chargeReply(ctx, message, args.tokens);
    const streamId = message.streamId;
    const current = await componentStatus(ctx, streamId);
    if (current !== "pending" && current !== "streaming") {
      // Expired (or ended) under us: keep what was persisted.
      await finalizeReply(ctx, message, current === "timeout" ? "timeout" : "error", describeEnded(current));
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
    return null;
  },
});

function describeEnded(status: string): string {
  return status === "timeout"
    ? "The reply timed out before it finished."
    : "The reply ended unexpectedly before it finished.";
}

/* ------------------------------------------------------------------ HTTP */

const JSON_HEADERS = { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" };

function jsonError(status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify({ code, message }), { status, headers: { ...JSON_HEADERS, ...headers } });
}

/**
 * The body as text, or `{ tooLarge }` once it exceeds `limit` bytes (with its declared size, if
 * any; an undeclared body is read no further than the limit).
 */
async function readBodyCapped(request: Request, limit: number): Promise<string | { tooLarge: number | null }> {
  const declared = Number(request.headers.get("Content-Length"));
  if (Number.isFinite(declared) && declared > limit) return { tooLarge: declared };
  if (!request.body) return "";
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return { tooLarge: null };
    }
    parts.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

function parseStreamId(body: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return null;
  const streamId = (parsed as Record<string, unknown>).streamId;
  if (typeof streamId !== "string" || streamId.length === 0 || streamId.length > 128) return null;
  return streamId;
}

export const chatStream = httpAction(async (ctx, request): Promise<Response> => {
  const refused = refuseForeignOrigin(request);
  if (refused) return refused;
  const body = await readBodyCapped(request, MAX_BODY_BYTES);
  if (typeof body !== "string") {
    return jsonError(
      413,
      "PAYLOAD_TOO_LARGE",
      body.tooLarge === null
        ? `request body is over ${formatCount(MAX_BODY_BYTES)} bytes; the limit is ${formatCount(MAX_BODY_BYTES)}`
        : `request body is ${formatCount(body.tooLarge)} bytes; the limit is ${formatCount(MAX_BODY_BYTES)}`,
    );
  }
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.get("Authorization") ?? "")?.[1];
  if (!isTokenShaped(bearer)) {
    return jsonError(401, "UNAUTHORIZED", "send the visitor token as `Authorization: Bearer <token>`");
  }
  const streamId = parseStreamId(body);
  if (streamId === null) {
    return jsonError(400, "BAD_REQUEST", 'the body must be JSON like {"streamId": "..."}');
  }
  const begun = await ctx.runMutation(internal.chat.begin, { streamId, tokenHash: await hashToken(bearer) });
  switch (begun.kind) {
    case "unauthorized":
      return jsonError(401, "UNAUTHORIZED", "this visitor token is not known to this deployment");
    case "notFound":
      return jsonError(404, "NOT_FOUND", "no stream with that ID belongs to this visitor");
    case "rateLimited": {
      const seconds = Math.max(1, Math.ceil(begun.retryAfterMs / 1000));
      return jsonError(429, "RATE_LIMITED", `Too many requests; try again in ${formatWait(begun.retryAfterMs)}.`, {
        "Retry-After": String(seconds),
      });
    }
    case "alreadyStarted":
      return new Response(null, { status: 205 });
    case "start":
      return startReply(ctx, begun.messageId, begun.messages);
    default: {
      const unexpected: never = begun;
      throw new Error(`unexpected begin result ${JSON.stringify(unexpected)}`);
    }
  }
});

function startReply(ctx: ActionCtx, messageId: Id<"messages">, messages: ChatTurn[]): Response {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  void driveReply(ctx, messageId, messages, writer).catch(async (error) => {
    await writer.abort(new Error("reply failed")).catch(() => {});
    console.error("chat-stream driver failed", error instanceof Error ? error.message : String(error));
    // Don't leave the reply `streaming` until the component's timeout: end it (text so far kept).
    await ctx.runMutation(internal.chat.finish, {
      messageId,
      text: "",
      status: "error",
      error: "The reply could not be completed.",
    }).catch(() => {});
  });
  return new Response(readable, {
    status: 200,
    headers: {
      "Content-Type": "text/plain; charset=utf-8",
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}

/**
 * Generates the reply, writing each delta to the response at once and persisting through the
 * flush policy. A client that disconnects does not stop generation: persistence goes on to the
 * end, and observers see it all. A stop request aborts the model within one flush.
 */
async function driveReply(
  ctx: ActionCtx,
  messageId: Id<"messages">,
  messages: ChatTurn[],
  writer: WritableStreamDefaultWriter<Uint8Array>,
): Promise<void> {
  const encoder = new TextEncoder();
  const policy = new FlushPolicy(flushOptionsFromEnv(process.env));
  const abort = new AbortController();
  let clientOpen = true;
  let stopRequested = false;
  let saveFailed = false;
  let lastMutationAt = Date.now();
  let persisting: Promise<void> = Promise.resolve();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let finished = false;

  const requestStop = () => {
    if (!stopRequested) {
      stopRequested = true;
      abort.abort();
    }
  };

  // Flushes run one at a time, in order, so deltas get consecutive seqs.
  const persist = (text: string) => {
    persisting = persisting.then(async () => {
      try {
        const result = await ctx.runMutation(internal.chat.flush, { messageId, text });
        if (result.stop) requestStop();
      } catch (error) {
        saveFailed = true;
        requestStop();
        console.error("flush failed", error instanceof Error ? error.message : String(error));
      } finally {
        lastMutationAt = Date.now();
      }
    });
  };

  const onTimer = () => {
    timer = undefined;
    if (finished) return;
    const due = policy.poll();
    if (due !== null) persist(due);
    else if (Date.now() - lastMutationAt >= STOP_POLL_MS) {
      lastMutationAt = Date.now();
      persisting = persisting.then(async () => {
        if (await ctx.runQuery(internal.chat.shouldStop, { messageId }).catch(() => false)) requestStop();
      });
    }
    arm();
  };

  // One timer: the policy's next deadline, or the stop poll when nothing is pending.
  const arm = () => {
    if (finished) return;
    if (timer !== undefined) clearTimeout(timer);
    const deadline = policy.nextDeadline() ?? lastMutationAt + STOP_POLL_MS;
    timer = setTimeout(onTimer, Math.max(0, Math.min(deadline, lastMutationAt + STOP_POLL_MS) - Date.now()));
  };

  const config = modelConfig();
  let status: "done" | "stopped" | "error" = "done";
  let error: string | null = null;
  let reportedTokens: number | null = null;
  let outputChars = 0;
  const onUsage = (tokens: number) => (reportedTokens = tokens);
  arm();
  try {
    const maxOutputTokens = getBudgets().maxOutputTokens;
    for await (const delta of streamReply({ config, messages, signal: abort.signal, maxOutputTokens, onUsage })) {
      outputChars += delta.length;
      if (stopRequested) break;
      if (clientOpen) {
        writer.write(encoder.encode(delta)).catch(() => {
          clientOpen = false; // keep generating and persisting; observers still follow
        });
      }
      const due = policy.push(delta);
      if (due !== null) persist(due);
      arm();
    }
    if (stopRequested) status = "stopped";
  } catch (e) {
    if (stopRequested) {
      status = "stopped";
    } else {
      status = "error";
      error = describeModelError(e);
    }
  }
  finished = true;
  if (timer !== undefined) clearTimeout(timer);
  await persisting;
  if (saveFailed && status !== "error") {
    status = "error";
    error = "The reply could not be saved completely.";
  }
  const tail = policy.finish();
  const inputChars = messages.reduce((n, m) => n + m.content.length, 0) + config.system.length;
  const tokens = reportedTokens ?? estimateTokens(inputChars, outputChars);
  for (let attempt = 1; ; attempt++) {
    try {
      await ctx.runMutation(internal.chat.finish, { messageId, text: tail, status, error, tokens });
      break;
    } catch (e) {
      if (attempt >= FINISH_ATTEMPTS) throw e;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
  try {
    if (status === "error") await writer.abort(new Error(error ?? "error"));
    else await writer.close();
  } catch {
    // The client is gone; nothing to tell it.
  }
}
