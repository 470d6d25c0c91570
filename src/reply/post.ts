// The one request from Send to the model: `POST {site}/chat-stream` with the prompt (or the
// failed reply to generate again) in a CORS-simple body, text/plain with the token inside, so the
// browser sends it at once, with no preflight. It answers with the ids (and a new visitor's
// token) in the `X-Chat-Reply` header and the reply's text as the body (the contract:
// convex/lib/chatProtocol.ts).
//
// Sent again, within a bounded wait, when the deployment turns it away for load at once (429 or
// 503 without a code of ours: every slot busy; one it held waiting for a slot first goes to the
// queue instead, convex/chat.ts `queue`), and, to a thread that exists, when it never got an
// answer (a network error): it carries a request ID, so the deployment finds the prompt it may
// already have stored and answers 205 (follow the reply) instead of storing it twice.
import { isServerErrorCode, type ChatErrorInfo, type ErrorCode } from "../api.js";
import { markWarm } from "./warm.js";
import {
  CHAT_REPLY_HEADER,
  CHAT_STREAM_PATH,
  isTurnedAwayForLoad,
  parseReplyHeader,
  type ChatStreamBody,
  type ReplyIds,
} from "../../convex/lib/chatProtocol.js";

/** POSTs sent again (busy deployment, lost answer): at most this many attempts in all... */
export const POST_ATTEMPTS = 3;
/** ...waiting at most this long in all (a longer `Retry-After` is not waited for: the error shows). */
const POST_RETRY_BUDGET_MS = 10_000;
/**
 * A refusal for load that took this long already waited at the deployment for a slot (10 s there):
 * it is not sent again, the queue serves it sooner than two more such waits would.
 */
const HELD_FOR_SLOT_MS = 2_000;
/** Without `Retry-After`: 0.5 s, then 1 s, ... (plus up to 25% jitter, so refused pages spread out). */
const RETRY_BASE_MS = 500;

/** What a POST started: a reply this page drives (its body), or one another request drives (205). */
export type PostResult = { ids: ReplyIds; body: ReadableStream<Uint8Array> | null };

/** A refusal with the server's `{ code, message }`, in the shape `toErrorInfo` reads off a ConvexError. */
export class ChatRequestError extends Error {
  /** `busy`: the deployment refused it for load (every slot taken), not one of our refusals. */
  constructor(
    readonly data: ChatErrorInfo,
    readonly busy = false,
  ) {
    super(data.message);
  }
}

/** A fresh request ID: 128 random bits, hex. */
export function newRequestId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Sends `body` and resolves once the reply's answer has begun; rejects with a `ChatRequestError`
 * (a refusal), a `TypeError` (no answer), or an `AbortError`.
 */
export async function postChat(siteUrl: string, body: ChatStreamBody, signal: AbortSignal): Promise<PostResult> {
  const url = `${siteUrl.replace(/\/$/, "")}${CHAT_STREAM_PATH}`;
  // Only a request that names its thread and its ID can be sent again safely after no answer.
  const resendable = "requestId" in body && body.requestId !== undefined && "threadId" in body && !!body.threadId;
  let waited = 0;
  for (let attempt = 1; ; attempt++) {
    let res: Response | null = null;
    let failure: unknown = null;
    const sentAt = Date.now();
    try {
      res = await fetch(url, {
        method: "POST",
        // A string body goes as text/plain;charset=UTF-8: a CORS-simple request.
        body: JSON.stringify(body),
        signal,
        credentials: "omit",
      });
    } catch (err) {
      if (signal.aborted || !resendable) throw err;
      failure = err;
    }
    if (res) markWarm(siteUrl);
    // 200 (the reply's text), 205 (follow it), 202 (an operator holds the thread: no reply).
    if (res?.ok) {
      const ids = parseReplyHeader(res.headers.get(CHAT_REPLY_HEADER));
      if (!ids) throw new ChatRequestError((await readHttpError(res)).error);
      if (res.status !== 200 || !res.body) return { ids, body: null };
      return { ids, body: res.body };
    }
    const busy = res !== null && (res.status === 429 || res.status === 503);
    const info = res ? await readHttpError(res) : null;
    // A refusal of ours (RATE_LIMITED, BUDGET_EXHAUSTED, ...) is the visitor's to see at once.
    const retry = failure !== null || (busy && !info!.coded && Date.now() - sentAt < HELD_FOR_SLOT_MS);
    const wait = res ? retryDelayMs(res, attempt) : backoffMs(attempt);
    if (!retry || attempt >= POST_ATTEMPTS || waited + wait > POST_RETRY_BUDGET_MS) {
      if (failure !== null) throw failure;
      throw new ChatRequestError(info!.error, busy && !info!.coded);
    }
    waited += wait;
    await sleep(wait, signal);
    if (signal.aborted) throw new DOMException("The send was abandoned.", "AbortError");
  }
}

/**
 * A call over the socket (the queued send and its human check), sent again like the POST when the
 * deployment refused it for load: its own words, "Too many concurrent requests", on a call that
 * never ran, so sending it again stores nothing twice.
 */
export async function whileBusy<T>(call: () => Promise<T>, signal: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= POST_ATTEMPTS || signal.aborted || !isTurnedAwayForLoad(err)) throw err;
      await sleep(backoffMs(attempt), signal);
    }
  }
}

/** The server's `Retry-After` (seconds or an HTTP date), else exponential backoff with jitter. */
function retryDelayMs(res: Response, attempt: number): number {
  const header = res.headers.get("Retry-After");
  if (header !== null) {
    const seconds = Number(header);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(header);
    if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  }
  return backoffMs(attempt);
}

function backoffMs(attempt: number): number {
  return RETRY_BASE_MS * 2 ** (attempt - 1) * (1 + Math.random() / 4);
}

/** Resolves after `ms`, or at once when `signal` aborts (the send was abandoned). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/**
 * An HTTP refusal: its `{ code, message, retryAfterMs? }` body (`coded`: the code is one of the
 * server's), else `HTTP_<status>` (429: RATE_LIMITED), and `Retry-After`.
 */
export async function readHttpError(res: Response): Promise<{ error: ChatErrorInfo; coded: boolean }> {
  let code: ErrorCode = res.status === 429 ? "RATE_LIMITED" : `HTTP_${res.status}`;
  let message = `The server refused the request (${res.status}).`;
  let coded = false;
  let retryAfterMs: number | undefined;
  try {
    const body = (await res.json()) as { code?: unknown; message?: unknown; retryAfterMs?: unknown };
    if (isServerErrorCode(body.code)) {
      code = body.code;
      coded = true;
    }
    if (typeof body.message === "string") message = body.message;
    if (typeof body.retryAfterMs === "number" && body.retryAfterMs > 0) retryAfterMs = body.retryAfterMs;
  } catch {
    // Not JSON: keep the generic sentence.
  }
  const header = Number(res.headers.get("Retry-After"));
  if (retryAfterMs === undefined && Number.isFinite(header) && header > 0) retryAfterMs = header * 1000;
  return { error: { code, message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) }, coded };
}
