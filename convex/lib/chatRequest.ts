/**
 * `POST /chat-stream` requests: reading the body within its limit, the bearer token and the
 * stream ID, and the JSON refusals. No database: the checks that need one are `chat:begin`.
 */
import { type ErrorCode, HTTP_ERRORS } from "./errors";
import { isTokenShaped } from "./access";
import { MAX_BODY_BYTES } from "./limits";

const JSON_HEADERS = { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" };
/** Stream IDs are the component's document IDs; anything longer is not one. */
const STREAM_ID_MAX_CHARS = 128;

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
  const declared = Number(request.headers.get("Content-Length"));
  if (Number.isFinite(declared) && declared > limit) return { tooLarge: declared };
  if (!request.body) return "";
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
  return new TextDecoder().decode(bytes);
}

/** `{"streamId": "..."}` -> the ID, or null for anything else. */
export function parseStreamId(body: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return null;
  const streamId = (parsed as Record<string, unknown>).streamId;
  if (typeof streamId !== "string" || streamId.length === 0 || streamId.length > STREAM_ID_MAX_CHARS) return null;
  return streamId;
}

/** The token of `Authorization: Bearer <token>`, when it is token-shaped. */
export function bearerToken(authorization: string | null): string | null {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
  return isTokenShaped(token) ? token : null;
}

/** A well-formed request's token and stream ID, or the refusal to send back. */
export async function parseChatRequest(
  request: Request,
): Promise<{ token: string; streamId: string } | { refusal: Response }> {
  const body = await readBodyCapped(request, MAX_BODY_BYTES);
  if (typeof body !== "string") {
    return { refusal: jsonError(413, "PAYLOAD_TOO_LARGE", HTTP_ERRORS.bodyTooLarge(body.tooLarge, MAX_BODY_BYTES)) };
  }
  const token = bearerToken(request.headers.get("Authorization"));
  if (token === null) return { refusal: jsonError(401, "UNAUTHORIZED", HTTP_ERRORS.noBearer) };
  const streamId = parseStreamId(body);
  if (streamId === null) return { refusal: jsonError(400, "BAD_REQUEST", HTTP_ERRORS.badBody) };
  return { token, streamId };
}
