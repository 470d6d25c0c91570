/**
 * The HTTP routes: POST /chat-stream sends a prompt and drives its reply, in one request (the
 * contract: `lib/chatProtocol.ts`). The action parses the request (`lib/chatRequest.ts`), stores
 * and starts the reply with `chat:start` (or, for a reply `messages:send` stored, `chat:begin`), and hands it to a `ReplyDriver`
 * (`lib/replyDriver.ts`), which streams the model's text to the response as it is produced and
 * persists it through `chat:flush` and `chat:finish`. `http:runQueue` runs the same driver in the
 * background for the replies `chat:queue` stored (the site was too busy for their POSTs). The only module
 * that imports the AI SDK (`lib/models.ts`, through `lib/replyRun.ts`).
 * GET /chat-stream (the widget's warm-up) hands out a queue ticket (`lib/queueTicket.ts`) and a
 * proof-of-work challenge (`lib/pow.ts`).
 * POST /visitors mints a visitor token after proof of work or a Turnstile check (`lib/visitors.ts`).
 * POST /operator/sign-in is `operator:signIn` with wrong tries limited per client address too.
 * Per-client limits key on the address `lib/clientAddress.ts` reads. The POSTs refuse an Origin
 * outside ALLOWED_ORIGINS (`lib/origins.ts`).
 */
import { httpRouter } from "convex/server";
import { corsRouter } from "convex-helpers/server/cors";
import { internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { ConvexError, v } from "convex/values";
import { httpAction, internalAction, type ActionCtx } from "./_generated/server";
import { hashToken, newToken } from "./lib/access";
import { clientIp, clientKey } from "./lib/clientAddress";
import { newChallenge, powEnabled } from "./lib/pow";
import { signQueueTicket } from "./lib/queueTicket";
import { CHAT_REPLY_HEADER, CHAT_STREAM_PATH, CHAT_UPLOAD_PATH, FILE_NAME_HEADER } from "./lib/chatProtocol";
import {
  ATTACHMENT_TYPES,
  attachmentLimits,
  baseType,
  bytesMatchType,
  cleanFileName,
  fileTooLarge,
  fileTypeNotAllowed,
} from "./lib/attachments";
import {
  bearerToken,
  type ChatRequest,
  jsonError,
  jsonResponse,
  parseChatRequest,
  readBodyCapped,
  readBytesCapped,
  retryAfter,
} from "./lib/chatRequest";
import { type ErrorCode, humanCheckFailed, HTTP_ERRORS } from "./lib/errors";
import { getLimits } from "./lib/limits";
import { type FlushOptions, flushOptionsFromEnv } from "./lib/flushPolicy";
import { allowedOrigins, refuseForeignOrigin } from "./lib/origins";
import { serveQueuedReplies } from "./lib/queueRunner";
import { NO_BODY, runReply } from "./lib/replyRun";
import { retryWhileBusy } from "./lib/replyDriver";
import type { ChatTurn } from "./lib/validators";
import { parseVisitorRequest, turnstileSecret, verifyTurnstile } from "./lib/visitors";
import { firstLanguage } from "./lib/visitorIdentity";

const chatStream = httpAction(async (ctx, request): Promise<Response> => {
  const foreign = refuseForeignOrigin(request);
  if (foreign) return foreign;
  const parsed = await parseChatRequest(request, getLimits().maxPromptChars);
  if ("refusal" in parsed) return parsed.refusal;
  // Before the reply starts: a configuration error (thrown, logged) leaves it pending, not half-written.
  const flushOptions = flushOptionsFromEnv(process.env);
  if (parsed.mode === "start") return await sendAndStream(ctx, request, parsed, flushOptions);
  const begun = await ctx.runMutation(internal.chat.begin, {
    streamId: parsed.streamId,
    tokenHash: await hashToken(parsed.token),
  });
  switch (begun.kind) {
    case "unauthorized":
      return jsonError(401, "UNAUTHORIZED", HTTP_ERRORS.unknownToken);
    case "notFound":
      return jsonError(404, "NOT_FOUND", HTTP_ERRORS.noSuchStream);
    case "rateLimited":
      return jsonError(
        429,
        "RATE_LIMITED",
        HTTP_ERRORS.rateLimited(begun.retryAfterMs),
        retryAfter(begun.retryAfterMs),
      );
    case "alreadyStarted":
      return new Response(null, { status: 205 });
    case "start":
      return startReply(ctx, begun.messageId, begun.messages, flushOptions);
    default: {
      const unexpected: never = begun;
      throw new Error(`unexpected begin result ${JSON.stringify(unexpected)}`);
    }
  }
});

/**
 * The one-request path: the visitor (when new, after the Turnstile check when that is on), the
 * thread (when new), the prompt and the reply are stored and begun in one mutation
 * (`chat:start`), then the model is called. The ids, and a new visitor's token, go back in the
 * `X-Chat-Reply` header, ahead of the text. A refusal is the mutation's ConvexError as JSON
 * `{ code, message, ...details }`, with an HTTP status for its code.
 */
async function sendAndStream(
  ctx: ActionCtx,
  request: Request,
  parsed: Extract<ChatRequest, { mode: "start" }>,
  flushOptions: FlushOptions,
): Promise<Response> {
  let humanChecked = false;
  const secret = parsed.token === null ? turnstileSecret() : null;
  if (secret !== null) {
    if (!(await verifyTurnstile(secret, parsed.turnstileToken, clientIp(request)))) {
      return jsonResponse(403, humanCheckFailed(parsed.turnstileToken === undefined ? "missing" : "refused").data);
    }
    humanChecked = true;
  }
  const origin = request.headers.get("Origin");
  const language = firstLanguage(request.headers.get("Accept-Language"));
  let started;
  try {
    const client = clientKey(request);
    started = await ctx.runMutation(internal.chat.start, {
      ...(parsed.token !== null ? { tokenHash: await hashToken(parsed.token) } : {}),
      humanChecked,
      ...(parsed.token === null && parsed.pow !== undefined ? { pow: parsed.pow } : {}),
      ...(client !== null ? { clientKey: client } : {}),
      ...(parsed.threadId !== undefined ? { threadId: parsed.threadId } : {}),
      ...(parsed.requestId !== undefined ? { requestId: parsed.requestId } : {}),
      ...(origin && origin !== "null" ? { origin } : {}),
      ...(parsed.visitor !== undefined ? { visitor: parsed.visitor } : {}),
      ...(language !== undefined ? { language } : {}),
      request: parsed.request,
    });
  } catch (error) {
    if (!(error instanceof ConvexError)) throw error;
    return refusalOf(error.data as { code: ErrorCode; retryAfterMs?: number });
  }
  const replyHeader = { [CHAT_REPLY_HEADER]: JSON.stringify(started.reply) };
  // An operator holds the thread: the prompt is stored for them; no reply, no model request.
  if (started.kind === "held") return new Response(null, { status: 202, headers: replyHeader });
  // Sent before (the page lost that answer): the first request drives it; follow it.
  if (started.kind === "resent") return new Response(null, { status: 205, headers: replyHeader });
  return startReply(ctx, started.messageId, started.messages, flushOptions, replyHeader);
}

/** The HTTP status each refusal of `chat:start` answers with. */
const STATUS_OF: Partial<Record<ErrorCode, number>> = {
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  REPLY_IN_PROGRESS: 409,
  RATE_LIMITED: 429,
  TOO_MANY_VISITORS: 429,
  BUDGET_EXHAUSTED: 429,
  TOO_MANY_THREADS: 403,
  HUMAN_CHECK_FAILED: 403,
  PAYLOAD_TOO_LARGE: 413,
};

function refusalOf(data: { code: ErrorCode; retryAfterMs?: number }, status?: number): Response {
  const wait = typeof data.retryAfterMs === "number" ? retryAfter(data.retryAfterMs) : {};
  return jsonResponse(status ?? STATUS_OF[data.code] ?? 400, data, wait);
}

/** The 200 response, its body written by a `ReplyDriver` wired to the mutations above (`lib/replyRun.ts`). */
function startReply(
  ctx: ActionCtx,
  messageId: Id<"messages">,
  messages: ChatTurn[],
  flushOptions: FlushOptions,
  headers: Record<string, string> = {},
): Response {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const encoder = new TextEncoder();
  void runReply(ctx, messageId, messages, flushOptions, {
    write: (text) => writer.write(encoder.encode(text)),
    close: () => writer.close(),
    abort: (reason) => writer.abort(new Error(reason)),
  });
  return new Response(readable, {
    status: 200,
    headers: {
      "Content-Type": "text/plain; charset=utf-8",
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
      ...headers,
    },
  });
}

/**
 * A queue runner (`lib/queueRunner.ts`): generates queued replies (`chat:queue`: the site was too
 * busy for their POSTs) in the background, up to QUEUE_RUNNER_REPLIES at once, until the queue is
 * empty. `chat:queue` schedules one while a runner slot is free; it exits at once if another took
 * that slot first (a running runner takes the reply). A successor names the slot handed to it. Nobody reads
 * a body: every page follows the reply by subscription. Here, beside the POST's action, so the AI
 * SDK stays in this one bundle. A reply is not retried: a second run would append its text again
 * after what the first persisted; a runner that dies leaves its replies to their leases, as any
 * driver's, and its slot to its own lease.
 */
export const runQueue = internalAction({
  args: { slot: v.optional(v.number()), runnerId: v.optional(v.string()) },
  returns: v.null(),
  handler: async (ctx, args): Promise<null> => {
    const flushOptions = flushOptionsFromEnv(process.env);
    const runner = await retryWhileBusy(() =>
      ctx.runMutation(internal.queueRunner.start, {
        runnerId: args.runnerId ?? newToken(),
        ...(args.slot !== undefined ? { slot: args.slot } : {}),
      }),
    );
    if (runner === null) return null;
    await serveQueuedReplies(ctx, runner, (messageId, messages) =>
      runReply(ctx, messageId, messages, flushOptions, NO_BODY),
    );
    return null;
  },
});

/**
 * Mints a visitor token: `{"turnstileToken": "..."}` in, `{ token }` out. With
 * TURNSTILE_SECRET_KEY set, only after siteverify accepts the Turnstile token (siteverify needs
 * `fetch`, which mutations cannot do, so the check runs here and the minting in `visitors:mint`).
 */
const createVisitor = httpAction(async (ctx, request): Promise<Response> => {
  const foreign = refuseForeignOrigin(request);
  if (foreign) return foreign;
  const parsed = await parseVisitorRequest(request);
  if ("refusal" in parsed) return parsed.refusal;
  const secret = turnstileSecret();
  if (secret !== null) {
    if (!(await verifyTurnstile(secret, parsed.turnstileToken, clientIp(request)))) {
      return jsonResponse(403, humanCheckFailed("refused").data);
    }
  }
  const client = clientKey(request);
  try {
    return jsonResponse(
      200,
      await ctx.runMutation(internal.visitors.mint, {
        humanChecked: secret !== null,
        ...(typeof parsed.pow === "string" ? { pow: parsed.pow } : {}),
        ...(client !== null ? { clientKey: client } : {}),
      }),
    );
  } catch (error) {
    // TOO_MANY_VISITORS (with its wait) or HUMAN_CHECK_FAILED.
    if (!(error instanceof ConvexError)) throw error;
    return refusalOf(error.data as { code: ErrorCode; retryAfterMs?: number });
  }
});

/**
 * The warm-up (src/reply/warm.ts): opens the connection the widget's POST will use and hands out
 * `{ ticket }`, with which a new visitor's first message can queue if the site is too busy for
 * its POST (`lib/queueTicket.ts`), and, with proof of work on, a fresh signed challenge `pow` for
 * the page to solve while the visitor types. No write (the signing key is a cached read; it is
 * made once, on the first warm-up).
 */
const warmUp = httpAction(async (ctx, request): Promise<Response> => {
  const key =
    (await ctx.runQuery(internal.visitors.powKey, {})) ?? (await ctx.runMutation(internal.visitors.makePowKey, {}));
  const origin = request.headers.get("Origin");
  const ticket = await signQueueTicket(key, {
    clientKey: clientKey(request),
    origin: origin && origin !== "null" ? origin : null,
  });
  return jsonResponse(
    200,
    { ticket, ...(powEnabled() ? { pow: await newChallenge(key) } : {}) },
    { "Cache-Control": "no-store" },
  );
});

/**
 * `operator:signIn` over HTTP: `{"secret", "name"}` in, its result out. The right secret always
 * signs in; wrong ones are limited per client address (where the deployment passes it on) and
 * deployment-wide.
 */
const operatorSignIn = httpAction(async (ctx, request): Promise<Response> => {
  const foreign = refuseForeignOrigin(request);
  if (foreign) return foreign;
  const body = await readBodyCapped(request, SIGN_IN_BODY_MAX_BYTES);
  let fields: { secret?: unknown; name?: unknown } = {};
  try {
    if (typeof body === "string") fields = JSON.parse(body) as typeof fields;
  } catch {
    // Refused below.
  }
  if (typeof fields?.secret !== "string" || typeof fields.name !== "string") {
    return jsonError(400, "BAD_REQUEST", 'the body must be JSON like {"secret": "...", "name": "..."}');
  }
  try {
    const result = await ctx.runMutation(internal.operator.signInFrom, {
      secret: fields.secret,
      name: fields.name,
      clientKey: clientKey(request),
    });
    if (result.ok) return jsonResponse(200, result);
    return jsonResponse(
      result.code === "RATE_LIMITED" ? 429 : 401,
      result,
      result.code === "RATE_LIMITED" ? retryAfter(result.retryAfterMs ?? 1000) : {},
    );
  } catch (error) {
    if (!(error instanceof ConvexError)) throw error;
    return jsonResponse(503, error.data as object);
  }
});
const SIGN_IN_BODY_MAX_BYTES = 4096;

/**
 * `POST /chat-upload`: one file, checked as it arrives (`lib/attachments.ts`). The visitor token
 * is `Authorization: Bearer`; the declared type must be allowed, the body no larger than
 * MAX_FILE_BYTES (read no further), and its first bytes that type. Only then is it stored and
 * recorded; answers `UploadResult`.
 */
const upload = httpAction(async (ctx, request): Promise<Response> => {
  const foreign = refuseForeignOrigin(request);
  if (foreign) return foreign;
  const token = bearerToken(request.headers.get("Authorization"));
  if (token === null) return jsonError(401, "UNAUTHORIZED", HTTP_ERRORS.noBearer);
  const type = baseType(request.headers.get("Content-Type"));
  if (!ATTACHMENT_TYPES.includes(type)) return refusalOf(fileTypeNotAllowed(type, "type").data, 415);
  const { maxFileBytes } = attachmentLimits();
  const client = clientKey(request);
  let usageKey: string;
  try {
    usageKey = await ctx.runMutation(internal.attachments.admit, {
      tokenHash: await hashToken(token),
      ...(client !== null ? { clientKey: client } : {}),
    });
  } catch (error) {
    if (!(error instanceof ConvexError)) throw error;
    return refusalOf(error.data as { code: ErrorCode; retryAfterMs?: number });
  }
  const body = await readBytesCapped(request, maxFileBytes);
  if (!(body instanceof Uint8Array)) return refusalOf(fileTooLarge(body.tooLarge, maxFileBytes).data, 413);
  if (!bytesMatchType(body, type)) return refusalOf(fileTypeNotAllowed(type, "bytes").data, 415);
  const storageId = await ctx.storage.store(new Blob([body], { type }));
  const name = cleanFileName(request.headers.get(FILE_NAME_HEADER));
  try {
    const attachmentId = await ctx.runMutation(internal.attachments.record, {
      usageKey,
      storageId,
      name,
      contentType: type,
      size: body.byteLength,
    });
    return jsonResponse(200, { attachmentId, name, contentType: type, size: body.byteLength });
  } catch (error) {
    await ctx.storage.delete(storageId); // no row points to it: it would never be cleaned up
    throw error;
  }
});

const http = httpRouter();

// Tokens travel in the body (or the Authorization header), never in cookies, so `*` is a safe
// default. The handlers refuse a disallowed Origin themselves (403 ORIGIN_NOT_ALLOWED): CORS
// headers alone would still let a simple POST run. The widget's POST is CORS-simple and needs no
// preflight; the preflight below serves clients that send `Authorization` or a JSON content type.
const cors = corsRouter(http, {
  allowedOrigins: async () => allowedOrigins(),
  allowedHeaders: ["Authorization", "Content-Type", FILE_NAME_HEADER],
  exposedHeaders: ["Retry-After", CHAT_REPLY_HEADER],
});

cors.route({ path: CHAT_STREAM_PATH, method: "POST", handler: chatStream });
// The widget's warm-up when its chat opens (src/reply/warm.ts): opens the connection its POST
// will use. Answers at once; no database, no model.
cors.route({ path: CHAT_STREAM_PATH, method: "GET", handler: warmUp });
cors.route({ path: "/visitors", method: "POST", handler: createVisitor });
cors.route({ path: "/operator/sign-in", method: "POST", handler: operatorSignIn });
cors.route({ path: CHAT_UPLOAD_PATH, method: "POST", handler: upload });

export default http;
