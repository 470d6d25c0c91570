/**
 * The HTTP contract of `POST /chat-stream`, defined once: the action (`convex/http.ts`), the
 * widget (`src/`), the benchmark and the tests import it. No runtime dependencies, so the widget's
 * bundle takes only these few names.
 *
 * The widget sends the prompt in the body and the visitor token with it, never in a header, and
 * the body as `text/plain`: a CORS-simple request, which a browser sends without a preflight.
 * Nothing is ambient (no cookies), so a foreign page gains nothing it did not already hold.
 */
import type { ChatReplyHeader, HeldReplyHeader, VisitorClaim } from "./validators";

export type { ChatReplyHeader, HeldReplyHeader, VisitorClaim };
/** What a send's answer says: the reply it started, or (202) that an operator holds the thread. */
export type ReplyIds = ChatReplyHeader | HeldReplyHeader;

export const CHAT_STREAM_PATH = "/chat-stream";

/**
 * `POST` a file as the body (its type as `Content-Type`, its name URI-encoded in `X-File-Name`),
 * the visitor token as `Authorization: Bearer`: answers `UploadResult` JSON, or `{ code, message }`
 * (413 FILE_TOO_LARGE, 415 FILE_TYPE_NOT_ALLOWED, 401, 429).
 */
export const CHAT_UPLOAD_PATH = "/chat-upload";
export const FILE_NAME_HEADER = "X-File-Name";

/**
 * The response header that carries `ChatReplyHeader` as JSON (exposed to cross-origin pages), on
 * a 200 (the body is the reply's text) and on a 205 (a resent request: follow the reply); on a 202
 * it carries `HeldReplyHeader`: an operator holds the thread, the prompt is stored, no reply starts.
 */
export const CHAT_REPLY_HEADER = "X-Chat-Reply";

/** The body of a `POST /chat-stream`, as JSON. */
export type ChatStreamBody =
  /**
   * Send a prompt: to `threadId`, or a new thread; as `token`, or a new visitor (minted now).
   * `requestId` (the page's own, ≤ 128 characters): sent again with the same ID to a thread, the
   * request finds the prompt it stored and answers 205 with its ids instead of storing it twice.
   * A new visitor brings `pow`, a solved challenge from `GET /chat-stream` (`PowChallenge`, JSON
   * `{ challenge, solution }`), or with Turnstile on, `turnstileToken`. `attachments`: upload IDs
   * from `POST /chat-upload` (`CHAT_UPLOAD_PATH`) sent with the prompt. `visitor`: who the page
   * says the visitor is (`{id, name?, email?, signature?, ...}`, docs/visitor-identity.md), kept
   * on the thread; a bad one is refused (400 BAD_REQUEST naming the field and its limit).
   */
  | {
      prompt: string;
      attachments?: string[];
      visitor?: VisitorClaim;
      threadId?: string;
      token?: string;
      requestId?: string;
      turnstileToken?: string;
      pow?: string;
    }
  /**
   * Generate the last reply `retry` (a message ID) of `threadId` again: one that failed or was
   * stopped, or a finished one (regenerate). The old reply stays for operators (`supersededBy`).
   */
  | { retry: string; threadId: string; token: string }
  /** Drive a reply `messages:send` or `messages:retry` stored (the two-step path). */
  | { streamId: string; token?: string };

/**
 * `GET /chat-stream` answers 200 with `{ pow: PowChallenge }` when proof of work is on (else 204).
 * ALTCHA's v2 challenge: find the `counter` (from 0 up) whose PBKDF2 (`algorithm`, `cost`
 * iterations, `keyLength` bytes) of the bytes of `nonce` followed by the counter as 4 big-endian
 * bytes, salted with the bytes of `salt` (both hex), starts with the bytes of `keyPrefix` (hex).
 */
export type PowChallenge = {
  parameters: {
    algorithm: string;
    nonce: string;
    salt: string;
    cost: number;
    keyLength: number;
    keyPrefix: string;
    expiresAt?: number;
  };
  signature?: string;
};
/** `pow` is at most this long (a challenge and its solution take about 400 characters). */
export const POW_PAYLOAD_MAX_CHARS = 2048;
/** What `pow` carries, as JSON. */
export type PowPayload = { challenge: PowChallenge; solution: { counter: number; derivedKey: string } };

/** The `X-Chat-Reply` header's value, or null when it is missing or not one. */
export function parseReplyHeader(value: string | null): ReplyIds | null {
  if (value === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return null;
  }
  const r = parsed as Partial<Record<keyof ChatReplyHeader | "heldBy", unknown>> | null;
  const isId = (x: unknown) => typeof x === "string" && x.length > 0;
  // A held answer (202) names the operator instead of a reply.
  if (!r || !isId(r.threadId) || !(typeof r.heldBy === "string" || (isId(r.assistantMessageId) && isId(r.streamId))))
    return null;
  if (r.userMessageId !== undefined && !isId(r.userMessageId)) return null;
  if (r.token !== undefined && !isId(r.token)) return null;
  return r as ChatReplyHeader;
}

/**
 * A deployment's refusal of a function call at its concurrency limit ("Too many concurrent
 * requests. Your backend is limited to 16 concurrent mutations..."): the call never ran, so it can
 * be sent again. Its words appear anywhere in the message (a client prefixes the request's ID).
 */
export function isTurnedAwayForLoad(error: unknown): boolean {
  return error instanceof Error && error.message.includes("Too many concurrent requests");
}
