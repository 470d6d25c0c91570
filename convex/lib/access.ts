/**
 * Access control as plain functions (called at the top of every public function).
 *
 * Tokens are 256-bit random base64url strings; only their SHA-256 is stored. A request is one of:
 * - visitor: the token that created the thread, or the Convex identity that created it;
 * - observer: a read-only token minted by `threads:share` and not revoked;
 * - operator: `OPERATOR_SECRET` (compared in constant time), or an identity whose JWT has
 *   `role: "operator"` or `roles` containing "operator".
 * Anything else is UNAUTHORIZED, with the same message whether or not the thread exists.
 */
import type { UserIdentity } from "convex/server";
import type { Doc } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { unauthorized } from "./errors";
import type { Access } from "./validators";

type ReadCtx = QueryCtx | MutationCtx;

const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{22,256}$/;

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A new secret token: 256 random bits, base64url (43 characters). */
export function newToken(): string {
  const bytes = new Uint8Array(TOKEN_BYTES);
  crypto.getRandomValues(bytes);
  return base64url(bytes);
}

/** Tokens we mint are 43 characters; anything not token-shaped is rejected before hashing. */
export function isTokenShaped(token: string | undefined | null): token is string {
  return typeof token === "string" && TOKEN_PATTERN.test(token);
}

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** SHA-256 of a token, base64url: what the tables store and index. */
export async function hashToken(token: string): Promise<string> {
  return base64url(await digest(token));
}

/** Constant-time comparison: compares fixed-length digests, so timing reveals neither content nor length. */
export async function secretsEqual(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([digest(a), digest(b)]);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

export function hasOperatorRole(identity: UserIdentity | null): boolean {
  if (!identity) return false;
  const claims = identity as unknown as Record<string, unknown>;
  if (claims.role === "operator") return true;
  const roles = claims.roles;
  return Array.isArray(roles) && roles.includes("operator");
}

/** True for `OPERATOR_SECRET` (when set) or an identity with the operator role. */
export async function isOperator(ctx: ReadCtx, token: string | undefined): Promise<boolean> {
  const secret = process.env.OPERATOR_SECRET;
  if (secret && typeof token === "string" && token.length > 0 && (await secretsEqual(token, secret))) {
    return true;
  }
  return hasOperatorRole(await ctx.auth.getUserIdentity());
}

/** Throws UNAUTHORIZED unless the caller is an operator. */
export async function authorizeOperator(ctx: ReadCtx, token: string | undefined): Promise<void> {
  if (!(await isOperator(ctx, token))) throw unauthorized();
}

/** How the caller may use this thread, or null. Operator wins over visitor over observer. */
export async function threadAccess(
  ctx: ReadCtx,
  thread: Doc<"threads">,
  token: string | undefined,
): Promise<Access | null> {
  if (await isOperator(ctx, token)) return "operator";
  const identity = await ctx.auth.getUserIdentity();
  if (identity && thread.userId !== undefined && thread.userId === identity.tokenIdentifier) {
    return "visitor";
  }
  if (!isTokenShaped(token)) return null;
  const tokenHash = await hashToken(token);
  if (thread.visitorHash !== undefined && thread.visitorHash === tokenHash) return "visitor";
  const observer = await ctx.db
    .query("observerTokens")
    .withIndex("by_tokenHash", (q) => q.eq("tokenHash", tokenHash))
    .unique();
  if (observer && observer.threadId === thread._id && observer.revokedAt === null) return "observer";
  return null;
}

/**
 * What each kind of access may do:
 * - read: visitor, observer, operator;
 * - share: visitor, operator (mint and revoke observer tokens);
 * - write: visitor only (send, stop, remove). Operators read; they do not write into chats.
 */
export type Need = "read" | "share" | "write";

const ALLOWED: Record<Need, readonly Access[]> = {
  read: ["visitor", "observer", "operator"],
  share: ["visitor", "operator"],
  write: ["visitor"],
};

/**
 * Loads a thread by a client-supplied ID string and checks access. A malformed ID, an unknown
 * thread and a wrong token all throw the same UNAUTHORIZED.
 */
export async function authorizeThread(
  ctx: ReadCtx,
  threadId: string,
  token: string | undefined,
  need: Need,
): Promise<{ thread: Doc<"threads">; access: Access }> {
  const id = ctx.db.normalizeId("threads", threadId);
  const thread = id ? await ctx.db.get(id) : null;
  if (!thread) throw unauthorized();
  const access = await threadAccess(ctx, thread, token);
  if (!access || !ALLOWED[need].includes(access)) throw unauthorized();
  return { thread, access };
}

/** As authorizeThread, starting from an assistant message's stream ID. */
export async function authorizeStream(
  ctx: ReadCtx,
  streamId: string,
  token: string | undefined,
  need: Need,
): Promise<{ thread: Doc<"threads">; message: Doc<"messages">; access: Access }> {
  const message = await messageByStream(ctx, streamId);
  if (!message) throw unauthorized();
  const { thread, access } = await authorizeThread(ctx, message.threadId, token, need);
  return { thread, message, access };
}

export async function messageByStream(ctx: ReadCtx, streamId: string): Promise<Doc<"messages"> | null> {
  if (typeof streamId !== "string" || streamId.length === 0 || streamId.length > 128) return null;
  return await ctx.db
    .query("messages")
    .withIndex("by_streamId", (q) => q.eq("streamId", streamId))
    .unique();
}

/** The key a visitor's rate limits and ownership hang on: identity first, else token hash. */
export async function visitorKey(ctx: ReadCtx, token: string | undefined): Promise<string | null> {
  const identity = await ctx.auth.getUserIdentity();
  if (identity) return `user:${identity.tokenIdentifier}`;
  if (isTokenShaped(token)) return `token:${await hashToken(token)}`;
  return null;
}

