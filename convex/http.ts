/**
 * The HTTP routes: POST /chat-stream drives one reply. The action parses the request
 * (`lib/chatRequest.ts`), starts the reply with `chat:begin`, and hands it to a `ReplyDriver`
 * (`lib/replyDriver.ts`), which streams the model's text to the response as it is produced and
 * persists it through `chat:flush` and `chat:finish`. The only module that imports the AI SDK
 * (`lib/models.ts`).
 */
import { httpRouter } from "convex/server";
import { corsRouter } from "convex-helpers/server/cors";
import { internal } from "./_generated/api";
import type { Id } from "./_generated/dataModel";
import { httpAction, type ActionCtx } from "./_generated/server";
import { hashToken } from "./lib/access";
import { jsonError, parseChatRequest } from "./lib/chatRequest";
import { HTTP_ERRORS } from "./lib/errors";
import { type FlushOptions, FlushPolicy, flushOptionsFromEnv } from "./lib/flushPolicy";
import { modelConfig } from "./lib/modelConfig";
import { describeModelError, streamReply } from "./lib/models";
import { ReplyDriver, systemClock } from "./lib/replyDriver";
import type { ChatTurn } from "./lib/validators";

/** ALLOWED_ORIGINS: comma-separated origins (`https://a.example, *.b.example`), default `*`. */
function allowedOrigins(raw: string | undefined = process.env.ALLOWED_ORIGINS): string[] {
  const list = (raw ?? "*")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  return list.length > 0 ? list : ["*"];
}

const chatStream = httpAction(async (ctx, request): Promise<Response> => {
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
    case "rateLimited": {
      const seconds = Math.max(1, Math.ceil(begun.retryAfterMs / 1000));
      return jsonError(429, "RATE_LIMITED", HTTP_ERRORS.rateLimited(begun.retryAfterMs), {
        "Retry-After": String(seconds),
      });
    }
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
function startReply(ctx: ActionCtx, messageId: Id<"messages">, messages: ChatTurn[], flushOptions: FlushOptions): Response {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const encoder = new TextEncoder();
  const config = modelConfig();
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
  });
  void driver.run((signal) => streamReply({ config, messages, signal }));
  return new Response(readable, {
    status: 200,
    headers: {
      "Content-Type": "text/plain; charset=utf-8",
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}

const http = httpRouter();

// Tokens travel in the Authorization header, not cookies, so `*` is a safe default.
const cors = corsRouter(http, {
  allowedOrigins: async () => allowedOrigins(),
  allowedHeaders: ["Authorization", "Content-Type"],
  exposedHeaders: ["Retry-After"],
});

cors.route({ path: "/chat-stream", method: "POST", handler: chatStream });

export default http;
