/**
 * Every sentence the server shows a person, and the stable codes they come with: errors a
 * person can act on are `ConvexError({ code, message, ...details })` (or, over HTTP, JSON
 * `{ code, message }`); a reply that ends badly keeps one of `REPLY_ERRORS` in its `error`.
 *
 * `ERROR_CODES` is the one list of codes: the widget derives its type from it (`src/api.ts`,
 * type-only) and a test compares it with the README's "Limits and error codes" table.
 */
import { ConvexError } from "convex/values";

export const ERROR_CODES = [
  "UNAUTHORIZED",
  "NOT_FOUND",
  "EMPTY_PROMPT",
  "PROMPT_TOO_LONG",
  "REPLY_IN_PROGRESS",
  "RATE_LIMITED",
  "TOO_MANY_THREADS",
  "BAD_REQUEST",
  "PAYLOAD_TOO_LARGE",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

type ErrorData = { code: ErrorCode; message: string; [detail: string]: string | number };

export function appError(
  code: ErrorCode,
  message: string,
  details: Record<string, string | number> = {},
): ConvexError<ErrorData> {
  return new ConvexError<ErrorData>({ code, message, ...details });
}

/** 9214 -> "9,214", without relying on Intl being present in every runtime. */
export function formatCount(n: number): string {
  return Math.trunc(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** "3 seconds", "1 minute": the wait named in RATE_LIMITED messages. */
export function formatWait(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

/** The same answer for "no such thread", "not yours", "malformed ID" and "no token". */
export function unauthorized(): ConvexError<ErrorData> {
  return appError("UNAUTHORIZED", "You do not have access to this chat.");
}

export function rateLimited(retryAfterMs: number): ConvexError<ErrorData> {
  const wait = Math.max(0, Math.ceil(retryAfterMs));
  return appError("RATE_LIMITED", `Too many messages; try again in ${formatWait(wait)}.`, {
    retryAfterMs: wait,
  });
}

export function emptyPrompt(): ConvexError<ErrorData> {
  return appError("EMPTY_PROMPT", "prompt is empty; write a message first");
}

export function promptTooLong(length: number, limit: number): ConvexError<ErrorData> {
  return appError("PROMPT_TOO_LONG", `prompt is ${formatCount(length)} characters; the limit is ${formatCount(limit)}`, {
    length,
    limit,
  });
}

export function replyStillRunning(): ConvexError<ErrorData> {
  return appError("REPLY_IN_PROGRESS", "the previous reply is still being written; wait for it or stop it");
}

/** `messages:retry` names a message that is not the thread's last reply. */
export function notLastReply(): ConvexError<ErrorData> {
  return appError("BAD_REQUEST", "messageId is not this thread's last reply; only the last reply can be retried");
}

/** `messages:retry` on a reply that did not fail. */
export function notRetryable(status: string): ConvexError<ErrorData> {
  return appError("BAD_REQUEST", `the last reply is ${status}; only a failed, timed-out or stopped reply can be retried`);
}

export function tooManyThreads(count: number, limit: number): ConvexError<ErrorData> {
  return appError("TOO_MANY_THREADS", `this visitor has ${formatCount(count)} chats; the limit is ${formatCount(limit)}`, {
    limit,
  });
}

/** The `{ code, message }` bodies of `POST /chat-stream`'s refusals. */
export const HTTP_ERRORS = {
  bodyTooLarge: (declared: number | null, limit: number) =>
    declared === null
      ? `request body is over ${formatCount(limit)} bytes; the limit is ${formatCount(limit)}`
      : `request body is ${formatCount(declared)} bytes; the limit is ${formatCount(limit)}`,
  noBearer: "send the visitor token as `Authorization: Bearer <token>`",
  badBody: 'the body must be JSON like {"streamId": "..."}',
  unknownToken: "this visitor token is not known to this deployment",
  noSuchStream: "no stream with that ID belongs to this visitor",
  rateLimited: (retryAfterMs: number) => `Too many requests; try again in ${formatWait(retryAfterMs)}.`,
} as const;

/** What a reply that did not end well keeps in its `error` (model failures: `describeModelError`). */
export const REPLY_ERRORS = {
  /** The driver failed outside the model (a bug, or the deployment refused a write). */
  failed: "The reply could not be completed.",
  /** A flush was refused: the text shown may be longer than the text kept. */
  notSaved: "The reply could not be saved completely.",
  /** The component's cleanup cron expired the stream (20 minutes after it was created). */
  timedOut:
    "The reply timed out: nothing drove it to the end (the page that started it may have closed before it began).",
  /** The driver stopped renewing the reply's lease (deployment restart, time or memory limit). */
  driverLost: "The reply stopped before it finished: the connection that was writing it was lost.",
  /** The stream was ended (deleted) under the driver. */
  endedUnexpectedly: "The reply ended unexpectedly before it finished.",
} as const;
