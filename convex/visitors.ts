/**
 * POST /visitors: mints a visitor token after a Cloudflare Turnstile check (when
 * TURNSTILE_SECRET_KEY is set). Siteverify needs `fetch`, which mutations cannot do, so the
 * check runs here and the minting in an internal mutation.
 */
import { ConvexError, v } from "convex/values";
import { internal } from "./_generated/api";
import { httpAction, internalMutation } from "./_generated/server";
import { appError } from "./lib/errors";
import { refuseForeignOrigin } from "./lib/origins";
import { humanCheckFailed, mintVisitor, turnstileSecret, verifyTurnstile } from "./lib/visitors";

/** The body is `{"turnstileToken": "..."}`; Turnstile tokens are at most 2 KB. */
const MAX_BODY_CHARS = 4096;

/** Mints one visitor token (rate-limited deployment-wide). */
export const mint = internalMutation({
  args: {},
  returns: v.object({ token: v.string() }),
  handler: async (ctx) => ({ token: await mintVisitor(ctx) }),
});

function json(status: number, body: object, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", ...headers },
  });
}

export const create = httpAction(async (ctx, request) => {
  const refused = refuseForeignOrigin(request);
  if (refused) return refused;
  const raw = await request.text();
  if (raw.length > MAX_BODY_CHARS) {
    return json(413, appError("PAYLOAD_TOO_LARGE", `request body is over ${MAX_BODY_CHARS} characters`).data);
  }
  let turnstileToken: unknown;
  try {
    turnstileToken = (JSON.parse(raw || "{}") as { turnstileToken?: unknown }).turnstileToken;
  } catch {
    return json(400, appError("BAD_REQUEST", 'body must be JSON: {"turnstileToken": "..."}').data);
  }
  const secret = turnstileSecret();
  if (secret !== null) {
    const remoteIp = request.headers.get("CF-Connecting-IP") ?? request.headers.get("X-Forwarded-For")?.split(",")[0]?.trim() ?? null;
    if (!(await verifyTurnstile(secret, turnstileToken, remoteIp))) {
      return json(403, humanCheckFailed("The human check did not pass; please try it again.").data);
    }
  }
  try {
    return json(200, await ctx.runMutation(internal.visitors.mint, {}));
  } catch (error) {
    if (error instanceof ConvexError) {
      const data = error.data as { code: string; retryAfterMs?: number };
      const retry: Record<string, string> =
        data.retryAfterMs !== undefined ? { "Retry-After": String(Math.ceil(data.retryAfterMs / 1000)) } : {};
      return json(data.code === "TOO_MANY_VISITORS" ? 429 : 400, data, retry);
    }
    throw error;
  }
});
