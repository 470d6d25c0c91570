/**
 * Access control as plain functions (called at the top of every public function).
 *
 * Tokens are 256-bit random base64url strings; only their SHA-256 is stored. A request is one of:
 * - visitor: the token that created the thread, or the host's signed-in user who created it;
 * - observer: a read-only token minted by `threads:share` and not revoked;
 * - operator: a live operator session token (from `operator:signIn`), or an identity the host
 *   marked `operator` (its `authorize` hook; by default a JWT with `role: "operator"` or `roles`
 *   containing "operator", convex/client.ts). The operator secret itself is
 *   accepted only by `operator:signIn`, so no read answers differently for it or a near miss.
 * Anything else is UNAUTHORIZED, with the same message whether or not the thread exists.
 *
 * A component never sees `ctx.auth`: the identity comes in as the `identity` argument, which
 * only the host app's wrapper functions set (clients cannot call a component's functions).
 */
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { unauthorized } from "./errors";
import { liveSession } from "./operatorSessions";
import { operatorName } from "./text";
import type { Access, Identity } from "./validators";

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

/** SHA-256 of a token, base64url: what the tables store and index. */
export async function hashToken(token: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token))));
}

/** Constant-time comparison of two hashes (fixed length, so timing reveals neither content nor length). */
export function hashesEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function hasOperatorRole(identity: Identity | null): boolean {
  return identity?.operator === true;
}

/** What a public function receives about its caller: a token, and the host's identity. */
export type Credentials = { token?: string; identity?: Identity };

/**
 * Who is calling, worked out once per request: the identity is fetched once and the token hashed
 * at most once, and that one hash serves the operator-session, visitor and observer lookups.
 */
export type Caller = {
  identity: Identity | null;
  /** The token's hash when it is token-shaped (visitor, observer and operator-session tokens), else null. */
  tokenHash: string | null;
};

export async function caller(credentials: Credentials): Promise<Caller> {
  const { token } = credentials;
  const hash = isTokenShaped(token) ? await hashToken(token) : null;
  return { identity: credentials.identity ?? null, tokenHash: hash };
}

/** Whether the caller holds a live operator session (one index read). */
async function hasOperatorSession(ctx: ReadCtx, who: Caller): Promise<boolean> {
  return who.tokenHash !== null && (await liveSession(ctx, who.tokenHash)) !== null;
}

/** Throws UNAUTHORIZED unless the caller is an operator. */
export async function authorizeOperator(ctx: ReadCtx, credentials: Credentials): Promise<void> {
  const who = await caller(credentials);
  if (!hasOperatorRole(who.identity) && !(await hasOperatorSession(ctx, who))) throw unauthorized();
}

/**
 * The operator calling, or UNAUTHORIZED: a live session (its ID and the name typed at sign-in), or
 * an identity with the operator role (named `name` when given, else its user ID). `key` tells
 * one operator from another across sessions and identities.
 */
export async function authorizeOperatorAs(
  ctx: ReadCtx,
  credentials: Credentials,
  name?: string,
): Promise<{ key: string; name: string; sessionId: Id<"operatorSessions"> | null }> {
  const who = await caller(credentials);
  if (hasOperatorRole(who.identity)) {
    const userId = who.identity!.userId;
    return { key: `user:${userId}`, name: operatorName(name ?? userId), sessionId: null };
  }
  const session = who.tokenHash === null ? null : await liveSession(ctx, who.tokenHash);
  if (!session) throw unauthorized();
  return { key: `session:${session._id}`, name: session.name, sessionId: session._id };
}

/** Observer tokens expire after 30 days unless shared with another `expiresInMs`. */
export const SHARE_DEFAULT_MS = 30 * 24 * 60 * 60 * 1000;
export function shareExpiry(share: Doc<"observerTokens">): number {
  return share.expiresAt ?? share.createdAt + SHARE_DEFAULT_MS;
}

/** How the caller may use this thread, or null. Operator wins over visitor over observer. */
async function threadAccess(ctx: ReadCtx, thread: Doc<"threads">, who: Caller): Promise<Access | null> {
  if (hasOperatorRole(who.identity)) return "operator";
  // The owner's token is checked before the session lookup, which every messages:live and
  // streams:tail run would otherwise pay: no live session's hash is a thread's visitorHash
  // (threads:create takes only minted visitor tokens; a session token is minted apart, and
  // becomes a visitor token, through a send, only once it is no longer a live session).
  if (who.tokenHash !== null && thread.visitorHash === who.tokenHash) return "visitor";
  if (await hasOperatorSession(ctx, who)) return "operator";
  if (who.identity && thread.userId !== undefined && thread.userId === who.identity.userId) {
    return "visitor";
  }
  if (who.tokenHash === null) return null;
  const observer = await ctx.db
    .query("observerTokens")
    .withIndex("by_tokenHash", (q) => q.eq("tokenHash", who.tokenHash!))
    .unique();
  if (
    observer &&
    observer.threadId === thread._id &&
    observer.revokedAt === null &&
    Date.now() < shareExpiry(observer)
  ) {
    return "observer";
  }
  return null;
}

/**
 * What each kind of access may do:
 * - read: visitor, observer, operator;
 * - share: visitor, operator (mint and revoke observer tokens);
 * - write: visitor only (send, stop, remove). Operators read, and write into a chat only
 *   through the handoff (`handoff`: take over, reply, hand back).
 */
export type Need = "read" | "share" | "write" | "handoff";

const ALLOWED: Record<Need, readonly Access[]> = {
  read: ["visitor", "observer", "operator"],
  share: ["visitor", "operator"],
  write: ["visitor"],
  // Take over, reply as a person, hand back (`handoff.ts`): operators only.
  handoff: ["operator"],
};

/**
 * Loads a thread by a client-supplied ID string and checks access. A malformed ID, an unknown
 * thread and a wrong token all throw the same UNAUTHORIZED.
 */
export async function authorizeThread(
  ctx: ReadCtx,
  threadId: string,
  credentials: Credentials,
  need: Need,
): Promise<{ thread: Doc<"threads">; access: Access; caller: Caller }> {
  return await authorizeThreadAs(ctx, threadId, await caller(credentials), need);
}

/** As authorizeThread, for a caller already worked out (the HTTP action hashes the token itself). */
export async function authorizeThreadAs(
  ctx: ReadCtx,
  threadId: string,
  who: Caller,
  need: Need,
): Promise<{ thread: Doc<"threads">; access: Access; caller: Caller }> {
  const id = ctx.db.normalizeId("threads", threadId);
  const thread = id ? await ctx.db.get("threads", id) : null;
  if (!thread) throw unauthorized();
  const access = await threadAccess(ctx, thread, who);
  if (!access || !ALLOWED[need].includes(access)) throw unauthorized();
  return { thread, access, caller: who };
}

/** As authorizeThread, starting from an assistant message's stream ID. */
export async function authorizeStream(
  ctx: ReadCtx,
  streamId: string,
  credentials: Credentials,
  need: Need,
): Promise<{ thread: Doc<"threads">; message: Doc<"messages">; access: Access }> {
  const message = await messageByStream(ctx, streamId);
  if (!message) throw unauthorized();
  const { thread, access } = await authorizeThread(ctx, message.threadId, credentials, need);
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
export function visitorKey(who: Caller): string | null {
  if (who.identity) return `user:${who.identity.userId}`;
  if (who.tokenHash !== null) return `token:${who.tokenHash}`;
  return null;
}
