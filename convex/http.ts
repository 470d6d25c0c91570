/**
 * The HTTP routes: POST /chat-stream drives one reply. The action parses the request
 * (`lib/chatRequest.ts`), starts the reply with `chat:begin`, and hands it to a `ReplyDriver`
 * (`lib/replyDriver.ts`), which streams the model's text to the response as it is produced and
 * persists it through `chat:flush` and `chat:finish`. The only module that imports the AI SDK
 * (`lib/models.ts`).
 * POST /visitors mints a visitor token after a Cloudflare Turnstile check (`lib/visitors.ts`).
 * Both refuse an Origin outside ALLOWED_ORIGINS (`lib/origins.ts`).
 */
import { httpRouter } from "convex/server";
import { corsRouter } from "convex-helpers/server/cors";
import { internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { ConvexError } from "convex/values";
import { httpAction, type ActionCtx } from "./_generated/server";
import { hashToken } from "./lib/access";
import { getBudgets } from "./lib/budget";
import { jsonError, jsonResponse, parseChatRequest, retryAfter } from "./lib/chatRequest";
import { humanCheckFailed, HTTP_ERRORS } from "./lib/errors";
import { type FlushOptions, FlushPolicy, flushOptionsFromEnv } from "./lib/flushPolicy";
import { modelConfig } from "./lib/modelConfig";
import { describeModelError, streamReply } from "./lib/models";
import { allowedOrigins, refuseForeignOrigin } from "./lib/origins";
import { ReplyDriver, systemClock } from "./lib/replyDriver";
import type { ChatTurn } from "./lib/validators";
import { parseVisitorRequest, turnstileSecret, verifyTurnstile } from "./lib/visitors";

const chatStream = httpAction(async (ctx, request): Promise<Response> => {
  const foreign = refuseForeignOrigin(request);
  if (foreign) return foreign;
  const parsed = await parseChatRequest(request);
  if ("refusal" in parsed) return parsed.refusal;
  // Before the reply starts: a configuration error (thrown, logged) leaves it pending, not half-written.
  const flushOptions = flushOptionsFromEnv(process.env);
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

/** The 200 response, its body written by a `ReplyDriver` wired to the mutations above. */
function startReply(
  ctx: ActionCtx,
  messageId: Id<"messages">,
  messages: ChatTurn[],
  flushOptions: FlushOptions,
): Response {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const encoder = new TextEncoder();
  const config = modelConfig();
  const maxOutputTokens = getBudgets().maxOutputTokens;
  const driver = new ReplyDriver({
    store: {
      flush: (text) => ctx.runMutation(internal.chat.flush, { messageId, text }),
      heartbeat: () => ctx.runMutation(internal.chat.heartbeat, { messageId }),
      finish: async (end) => {
        await ctx.runMutation(internal.chat.finish, { messageId, ...end });
      },
    },
    body: {
      write: (text) => writer.write(encoder.encode(text)),
      close: () => writer.close(),
      abort: (reason) => writer.abort(new Error(reason)),
    },
    policy: new FlushPolicy(flushOptions, systemClock.now),
    describeModelError,
    inputChars: config.system.length + messages.reduce((n, m) => n + m.content.length, 0),
  });
  void driver.run((signal, onUsage) => streamReply({ config, messages, signal, maxOutputTokens, onUsage }));
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
    const remoteIp =
      request.headers.get("CF-Connecting-IP") ?? request.headers.get("X-Forwarded-For")?.split(",")[0]?.trim() ?? null;
    if (!(await verifyTurnstile(secret, parsed.turnstileToken, remoteIp))) {
      return jsonResponse(403, humanCheckFailed("refused").data);
    }
  }
  try {
    return jsonResponse(200, await ctx.runMutation(internal.visitors.mint, {}));
  } catch (error) {
    // TOO_MANY_VISITORS, with its wait.
    if (!(error instanceof ConvexError)) throw error;
    const data = error.data as { code: string; retryAfterMs: number };
    return jsonResponse(429, data, retryAfter(data.retryAfterMs));
  }
});

const http = httpRouter();

// Tokens travel in the Authorization header, not cookies, so `*` is a safe default. The
// handlers refuse a disallowed Origin themselves (403 ORIGIN_NOT_ALLOWED): CORS headers alone
// would still let the POST run.
const cors = corsRouter(http, {
  allowedOrigins: async () => allowedOrigins(),
  allowedHeaders: ["Authorization", "Content-Type"],
  exposedHeaders: ["Retry-After"],
});

cors.route({ path: "/chat-stream", method: "POST", handler: chatStream });
cors.route({ path: "/visitors", method: "POST", handler: createVisitor });

export default http;
