/**
 * `POST /chat-stream` requests: reading the body within its limit, the bearer token and the
 * stream ID, and the JSON refusals. No database: the checks that need one are `chat:begin`.
 */
import { type ErrorCode, HTTP_ERRORS } from "./errors";
import { isTokenShaped } from "./access";
import { MAX_BODY_BYTES } from "./limits";
import { POW_PAYLOAD_MAX_CHARS } from "./chatProtocol";
import { ConvexError } from "convex/values";
import type { VisitorClaim } from "./validators";
import { checkVisitorClaim, VISITOR_MAX_BYTES } from "./visitorIdentity";

const JSON_HEADERS = { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" };
/** A prompt character takes at most 6 bytes in JSON (`\u0000`; UTF-8 needs at most 3 per UTF-16 unit). */
const PROMPT_BYTES_PER_CHAR = 6;

export function jsonResponse(status: number, body: object, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

/** The `Retry-After` header (whole seconds, at least 1) for a refusal that says to wait `ms`. */
export function retryAfter(ms: number): Record<string, string> {
  return { "Retry-After": String(Math.max(1, Math.ceil(ms / 1000))) };
}

export function jsonError(status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}) {
  return jsonResponse(status, { code, message }, headers);
}

/**
 * The body as text, or `{ tooLarge }` once it exceeds `limit` bytes (with its declared size, if
 * any; an undeclared body is read no further than the limit).
 */
export async function readBodyCapped(request: Request, limit: number): Promise<string | { tooLarge: number | null }> {
  const bytes = await readBytesCapped(request, limit);
  return bytes instanceof Uint8Array ? new TextDecoder().decode(bytes) : bytes;
}

/** As `readBodyCapped`, the bytes. */
export async function readBytesCapped(
  request: Request,
  limit: number,
): Promise<Uint8Array<ArrayBuffer> | { tooLarge: number | null }> {
  const declared = Number(request.headers.get("Content-Length"));
  if (Number.isFinite(declared) && declared > limit) return { tooLarge: declared };
  if (!request.body) return new Uint8Array(0);
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
  return bytes;
}

/**
 * What a `POST /chat-stream` asks for:
 * - `drive`: stream a reply that `messages:send` / `messages:retry` already stored,
 *   `{"streamId"}` with the visitor token as `Authorization: Bearer` (or `"token"` in the body);
 * - `start`: the one-request path the widget takes, `{"prompt"}` or `{"retry": messageId}`, with
 *   `"threadId"` (absent: a new thread), `"token"` (absent: a new visitor, minted by this request)
 *   and, with Turnstile on, `"turnstileToken"`. Everything is in the body, so the browser sends it as
 *   a CORS-simple request (`text/plain`, no custom header): no preflight.
 */
export type ChatRequest =
  | { mode: "drive"; token: string; streamId: string }
  | {
      mode: "start";
      token: string | null;
      threadId?: string;
      request: { kind: "send"; prompt: string; attachments?: string[] } | { kind: "retry"; messageId: string };
      requestId?: string;
      turnstileToken?: unknown;
      /** A new visitor's solved challenge, as the page sent it (checked by `chat:start`). */
      pow?: string;
      /** Who the page says the visitor is, its shape and size checked (verified by `chat:start`). */
      visitor?: VisitorClaim;
    };

/** More attachment IDs than this in one body is not a request the widget makes (the limit itself is checked later). */
const ATTACHMENT_IDS_MAX = 32;

/** IDs (threads, messages, streams) are Convex document IDs; anything longer is not one. */
const ID_MAX_CHARS = 128;

function optionalId(value: unknown): string | undefined | null {
  if (value === undefined) return undefined;
  return typeof value === "string" && value.length > 0 && value.length <= ID_MAX_CHARS ? value : null;
}

/** The body's fields as a `ChatRequest`, or null when it is not one (then BAD_REQUEST). */
export function parseChatBody(body: string, authorization: string | null): ChatRequest | { refusal: Response } | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return null;
  const fields = parsed as Record<string, unknown>;
  const bodyToken = fields.token;
  if (bodyToken !== undefined && !isTokenShaped(bodyToken as string)) {
    return { refusal: jsonError(401, "UNAUTHORIZED", HTTP_ERRORS.unknownToken) };
  }
  const token = (bodyToken as string | undefined) ?? bearerToken(authorization);
  if (fields.streamId !== undefined) {
    const streamId = optionalId(fields.streamId);
    if (!streamId) return null;
    if (token === null) return { refusal: jsonError(401, "UNAUTHORIZED", HTTP_ERRORS.noBearer) };
    return { mode: "drive", token, streamId };
  }
  const threadId = optionalId(fields.threadId);
  const requestId = optionalId(fields.requestId);
  if (threadId === null || requestId === null) return null;
  let request: Extract<ChatRequest, { mode: "start" }>["request"];
  if (typeof fields.prompt === "string" && fields.retry === undefined) {
    // Upload IDs from `POST /chat-upload`; how many may go is `chat:start`'s check (TOO_MANY_FILES).
    const attachments = fields.attachments;
    if (attachments !== undefined) {
      const ids = Array.isArray(attachments) ? attachments.map(optionalId) : null;
      if (!ids || ids.length > ATTACHMENT_IDS_MAX || ids.some((id) => !id)) return null;
      request = { kind: "send", prompt: fields.prompt, attachments: ids as string[] };
    } else request = { kind: "send", prompt: fields.prompt };
  } else if (fields.prompt === undefined && threadId !== undefined) {
    const messageId = optionalId(fields.retry);
    if (!messageId) return null;
    request = { kind: "retry", messageId };
  } else {
    return null;
  }
  let visitor: VisitorClaim | undefined;
  try {
    visitor = fields.visitor === undefined ? undefined : checkVisitorClaim(fields.visitor);
  } catch (error) {
    if (!(error instanceof ConvexError)) throw error;
    // BAD_REQUEST naming the field and its limit, before any mutation runs.
    return { refusal: jsonResponse(400, error.data as object) };
  }
  return {
    mode: "start",
    token,
    ...(threadId !== undefined ? { threadId } : {}),
    request,
    ...(requestId !== undefined ? { requestId } : {}),
    ...(fields.turnstileToken !== undefined ? { turnstileToken: fields.turnstileToken } : {}),
    ...(typeof fields.pow === "string" && fields.pow.length <= POW_PAYLOAD_MAX_CHARS ? { pow: fields.pow } : {}),
    ...(visitor !== undefined ? { visitor } : {}),
  };
}

/** The token of `Authorization: Bearer <token>`, when it is token-shaped. */
export function bearerToken(authorization: string | null): string | null {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
  return isTokenShaped(token) ? token : null;
}

/**
 * A well-formed request, or the refusal to send back. The body may be as large as the longest
 * prompt allowed, escaped (`maxPromptChars`), and the largest visitor claim, beside 4 KB of the rest.
 */
export async function parseChatRequest(
  request: Request,
  maxPromptChars: number,
): Promise<ChatRequest | { refusal: Response }> {
  // A visitor claim at its own limit fits beside everything else a request may carry.
  const limit = MAX_BODY_BYTES + VISITOR_MAX_BYTES + PROMPT_BYTES_PER_CHAR * maxPromptChars;
  const body = await readBodyCapped(request, limit);
  if (typeof body !== "string") {
    return { refusal: jsonError(413, "PAYLOAD_TOO_LARGE", HTTP_ERRORS.bodyTooLarge(body.tooLarge, limit)) };
  }
  const parsed = parseChatBody(body, request.headers.get("Authorization"));
  return parsed ?? { refusal: jsonError(400, "BAD_REQUEST", HTTP_ERRORS.badBody) };
}
