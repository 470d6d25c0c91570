/**
 * Operator sessions instead of a shared secret in the page. `OPERATOR_SECRET` is accepted only
 * by `operator:signIn`, which returns a session token (256 random bits, stored as its SHA-256)
 * that expires after OPERATOR_SESSION_HOURS (12) and is revoked by sign-out. Every other
 * operator read takes the session token.
 */
import { internal } from "../_generated/api";
import { scheduleExpiry } from "./expiry";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { operatorNotConfigured, SIGN_IN_ERRORS } from "./errors";
import { operatorSignInFailure } from "./limits";
import { hashesEqual, hashToken, newToken } from "./access";
import { operatorName } from "./text";

/** A secret anyone could guess in a day of tries is no secret: at least 32 characters. */
export const OPERATOR_SECRET_MIN_CHARS = 32;
const HOUR_MS = 60 * 60 * 1000;

function sessionMs(): number {
  const hours = Number(process.env.OPERATOR_SESSION_HOURS);
  return (Number.isFinite(hours) && hours > 0 ? hours : 12) * HOUR_MS;
}

/**
 * The configured secret, or throws OPERATOR_NOT_CONFIGURED naming its length and the minimum (and
 * logs it, so the deployment's logs say why sign-in is off). The secret itself is never logged.
 */
export function configuredSecret(): string {
  const secret = process.env.OPERATOR_SECRET ?? "";
  if (secret.length >= OPERATOR_SECRET_MIN_CHARS) return secret;
  const error = operatorNotConfigured(secret.length, OPERATOR_SECRET_MIN_CHARS);
  console.error(error.data.message);
  throw error;
}

/** Whether `attempt` is the secret, in time independent of where they differ (both are hashed first). */
export async function isOperatorSecret(secret: string, attempt: string): Promise<boolean> {
  return hashesEqual(await hashToken(attempt), await hashToken(secret));
}

/** A new session for `name`; returns the token (the only copy) and when it expires. */
export async function startSession(
  ctx: MutationCtx,
  rawName: string,
): Promise<{ sessionToken: string; expiresAt: number; name: string }> {
  const sessionToken = newToken();
  const name = operatorName(rawName);
  const now = Date.now();
  const expiresAt = now + sessionMs();
  const sessionId = await ctx.db.insert("operatorSessions", {
    tokenHash: await hashToken(sessionToken),
    name,
    createdAt: now,
    expiresAt,
    revokedAt: null,
  });
  // Subscriptions holding the token re-run when this revokes it (queries cannot see time pass).
  await scheduleExpiry(expiresAt, (at) => ctx.scheduler.runAt(at, internal.cleanup.expireSession, { sessionId }));
  return { sessionToken, expiresAt, name };
}

/** The live session with this token hash, or null (unknown, expired or revoked). */
export async function liveSession(ctx: QueryCtx | MutationCtx, tokenHash: string) {
  const session = await ctx.db
    .query("operatorSessions")
    .withIndex("by_tokenHash", (q) => q.eq("tokenHash", tokenHash))
    .unique();
  if (!session || session.revokedAt !== null || session.expiresAt <= Date.now()) return null;
  return session;
}

/**
 * One sign-in: the right secret always gets a session, whatever came before it. A wrong one is
 * counted (per client address when known, and deployment-wide), and once either count is over
 * its rate the refusal says RATE_LIMITED with the wait instead of UNAUTHORIZED.
 */
export async function signInAttempt(ctx: MutationCtx, attempt: string, name: string, clientKey: string | null) {
  const secret = configuredSecret();
  if (await isOperatorSecret(secret, attempt)) return { ok: true as const, ...(await startSession(ctx, name)) };
  const wait = await operatorSignInFailure(ctx, clientKey);
  if (wait !== null) {
    return {
      ok: false as const,
      code: "RATE_LIMITED" as const,
      message: SIGN_IN_ERRORS.rateLimited(wait),
      retryAfterMs: Math.ceil(wait),
    };
  }
  return { ok: false as const, code: "UNAUTHORIZED" as const, message: SIGN_IN_ERRORS.wrongSecret };
}
