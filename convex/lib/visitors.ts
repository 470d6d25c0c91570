/**
 * Visitor tokens are minted by the server only, at a bounded rate, optionally behind a Cloudflare
 * Turnstile check:
 * - `threads:create` without a token mints one (unless Turnstile is on); with a token, only one
 *   this deployment issued is accepted, so a client cannot choose its own.
 * - RATE_LIMIT_NEW_VISITORS_PER_MINUTE (60) bounds minting deployment-wide: rotating tokens no
 *   longer escapes the per-visitor limits faster than that.
 * - TURNSTILE_SECRET_KEY set: tokens are minted only by `POST /visitors` with a Turnstile token
 *   the deployment verified with siteverify (TURNSTILE_VERIFY_URL overrides the endpoint for tests).
 */
import type { Doc } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { hashToken, newToken, type Caller } from "./access";
import { jsonError, readBodyCapped } from "./chatRequest";
import { HTTP_ERRORS, tooManyVisitors } from "./errors";
import { consumeNewVisitor } from "./limits";

const SITEVERIFY_URL = "https://challenges.cloudflare.com/turnstile/v0/siteverify";
/** Turnstile response tokens are at most 2,048 characters. */
const TURNSTILE_TOKEN_MAX = 2048;
/** `{"turnstileToken": "..."}` with room to spare. */
const VISITOR_BODY_MAX_BYTES = 4096;

export function turnstileSecret(): string | null {
  return process.env.TURNSTILE_SECRET_KEY?.trim() || null;
}

/**
 * A new visitor token, its hash recorded as issued; TOO_MANY_VISITORS over the minting rate (per
 * client address when known, and deployment-wide).
 */
export async function mintVisitor(ctx: MutationCtx, clientKey: string | null): Promise<string> {
  const wait = await consumeNewVisitor(ctx, clientKey);
  if (wait !== null) throw tooManyVisitors(wait);
  const token = newToken();
  await ctx.db.insert("visitors", { tokenHash: await hashToken(token), threadCount: 0 });
  return token;
}

/** The issued visitor token with this hash, or null. */
export async function visitorByHash(ctx: QueryCtx | MutationCtx, tokenHash: string): Promise<Doc<"visitors"> | null> {
  return await ctx.db
    .query("visitors")
    .withIndex("by_tokenHash", (q) => q.eq("tokenHash", tokenHash))
    .unique();
}

/**
 * Visitors who had a reply and took the time to read it (`readingMs` in `lib/budget.ts`), and
 * signed-in identities, draw on the shares kept for established visitors.
 * `visitor` is the caller's token's row (`visitorByHash`), or null.
 */
export function isEstablished(who: Caller, visitor: Doc<"visitors"> | null): boolean {
  if (who.identity !== null || visitor?.established === true) return true;
  return visitor?.establishedAt !== undefined && Date.now() >= visitor.establishedAt;
}

/** `POST /visitors`' body: the Turnstile token (anything, checked by siteverify), or the refusal to send back. */
export async function parseVisitorRequest(
  request: Request,
): Promise<{ turnstileToken: unknown; pow: unknown } | { refusal: Response }> {
  const body = await readBodyCapped(request, VISITOR_BODY_MAX_BYTES);
  if (typeof body !== "string") {
    return {
      refusal: jsonError(413, "PAYLOAD_TOO_LARGE", HTTP_ERRORS.bodyTooLarge(body.tooLarge, VISITOR_BODY_MAX_BYTES)),
    };
  }
  try {
    const parsed: unknown = JSON.parse(body || "{}");
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new TypeError("not an object");
    const fields = parsed as Record<string, unknown>;
    return { turnstileToken: fields.turnstileToken, pow: fields.pow };
  } catch {
    return { refusal: jsonError(400, "BAD_REQUEST", HTTP_ERRORS.badVisitorBody) };
  }
}

/** Asks Turnstile's siteverify whether `response` is a fresh, valid widget token (actions only: it fetches). */
export async function verifyTurnstile(secret: string, response: unknown, remoteIp: string | null): Promise<boolean> {
  if (typeof response !== "string" || response.length === 0 || response.length > TURNSTILE_TOKEN_MAX) return false;
  const form = new URLSearchParams({ secret, response });
  if (remoteIp) form.set("remoteip", remoteIp);
  try {
    const res = await fetch(process.env.TURNSTILE_VERIFY_URL?.trim() || SITEVERIFY_URL, { method: "POST", body: form });
    if (!res.ok) return false;
    const body = (await res.json()) as { success?: unknown };
    return body.success === true;
  } catch {
    return false;
  }
}
