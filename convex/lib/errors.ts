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
  "BUDGET_EXHAUSTED",
  "TOO_MANY_VISITORS",
  "HUMAN_CHECK_FAILED",
  "ORIGIN_NOT_ALLOWED",
  "OPERATOR_NOT_CONFIGURED",
  "HELD_BY_OPERATOR",
  "FILE_TOO_LARGE",
  "FILE_TYPE_NOT_ALLOWED",
  "TOO_MANY_FILES",
  "QUEUE_FULL",
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
  return appError(
    "PROMPT_TOO_LONG",
    `prompt is ${formatCount(length)} characters; the limit is ${formatCount(limit)}`,
    {
      length,
      limit,
    },
  );
}

export function replyStillRunning(): ConvexError<ErrorData> {
  return appError("REPLY_IN_PROGRESS", "the previous reply is still being written; wait for it or stop it");
}

/** The visitor already has REPLIES_IN_FLIGHT_PER_VISITOR replies being written, in any of its chats. */
export function tooManyRepliesInFlight(limit: number): ConvexError<ErrorData> {
  return appError(
    "REPLY_IN_PROGRESS",
    `${formatCount(limit)} of your replies are still being written; wait for one to finish or stop it`,
    { limit },
  );
}

/** `chat:queue` with neither a prompt nor a retry of a thread's reply, or with both; or a token and a ticket. */
export function queueBodyInvalid(): ConvexError<ErrorData> {
  return appError(
    "BAD_REQUEST",
    "send either a prompt, or a retry with its threadId; with a token, or (a new visitor's prompt, no threadId) a ticket",
  );
}

/** `chat:queue` with a ticket this deployment did not sign, or one past its 10 minutes. */
export function queueTicketInvalid(): ConvexError<ErrorData> {
  return appError("UNAUTHORIZED", "The queue ticket is not valid or has expired; open the chat again and resend.");
}

/** `messages:retry` names a message that is not the thread's last reply. */
export function notLastReply(): ConvexError<ErrorData> {
  return appError("BAD_REQUEST", "messageId is not this thread's last reply; only the last reply can be retried");
}

/** `messages:retry` once the prompt has REPLIES_PER_PROMPT_MAX replies. */
export function tooManyReplies(limit: number): ConvexError<ErrorData> {
  return appError("BAD_REQUEST", `this prompt has ${formatCount(limit)} replies; the limit is ${formatCount(limit)}`, {
    limit,
  });
}

/** `feedback:rate` over FEEDBACK_PER_MINUTE. */
export function feedbackRateLimited(retryAfterMs: number): ConvexError<ErrorData> {
  const wait = Math.max(0, Math.ceil(retryAfterMs));
  return appError("RATE_LIMITED", `Too many ratings; try again in ${formatWait(wait)}.`, { retryAfterMs: wait });
}

/** A rating's comment over FEEDBACK_COMMENT_MAX_CHARS. */
export function commentTooLong(length: number, limit: number): ConvexError<ErrorData> {
  return appError("BAD_REQUEST", `comment is ${formatCount(length)} characters; the limit is ${formatCount(limit)}`, {
    length,
    limit,
  });
}

/** `feedback:rate` names a message that is not a finished reply of the thread. */
export function notRateable(): ConvexError<ErrorData> {
  return appError(
    "BAD_REQUEST",
    "messageId is not a finished reply in this thread; only a finished reply can be rated",
  );
}

export function tooManyThreads(count: number, limit: number): ConvexError<ErrorData> {
  return appError(
    "TOO_MANY_THREADS",
    `this visitor has ${formatCount(count)} chats; the limit is ${formatCount(limit)}`,
    {
      limit,
    },
  );
}

/** `threads:share` over RATE_LIMIT_SHARES_PER_MINUTE. */
export function sharesRateLimited(retryAfterMs: number): ConvexError<ErrorData> {
  const wait = Math.max(0, Math.ceil(retryAfterMs));
  return appError("RATE_LIMITED", `Too many shares; try again in ${formatWait(wait)}.`, { retryAfterMs: wait });
}

export function shareExpiryOutOfRange(expiresInMs: number, limit: number): ConvexError<ErrorData> {
  return appError(
    "BAD_REQUEST",
    `expiresInMs is ${expiresInMs}; it must be a whole number from 1,000 (a second) to ${formatCount(limit)} (a year)`,
    { limit },
  );
}

/** "in 5 hours", "in 12 minutes": when a daily budget comes back. */
function inHowLong(ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  if (minutes < 120) return `in ${minutes} minute${minutes === 1 ? "" : "s"}`;
  return `in ${Math.floor(minutes / 60)} hours`;
}

/** Today's model-token budget is spent, the deployment's or this visitor's; it resets at 00:00 UTC. */
export function budgetExhausted(
  scope: "deployment" | "visitor",
  limit: number,
  resetsAt: number,
  retryAfterMs: number,
): ConvexError<ErrorData> {
  const when = `sending works again at 00:00 UTC (${inHowLong(retryAfterMs)})`;
  const message =
    scope === "deployment"
      ? `This chat has used today's model budget of ${formatCount(limit)} tokens; ${when}.`
      : `You have used your model budget for today (${formatCount(limit)} tokens); ${when}.`;
  return appError("BUDGET_EXHAUSTED", message, { scope, limit, resetsAt, retryAfterMs });
}

/** `chat:queue` while MAX_QUEUED_REPLIES replies already wait for the deployment. */
export function queueFull(limit: number): ConvexError<ErrorData> {
  return appError(
    "QUEUE_FULL",
    `${formatCount(limit)} replies are already waiting for this busy deployment (MAX_QUEUED_REPLIES); try again in a minute.`,
    { limit },
  );
}

/** Visitor minting over RATE_LIMIT_NEW_VISITORS_PER_MINUTE. */
export function tooManyVisitors(retryAfterMs: number): ConvexError<ErrorData> {
  const wait = Math.max(0, Math.ceil(retryAfterMs));
  return appError("TOO_MANY_VISITORS", `Too many new visitors right now; try again in ${formatWait(wait)}.`, {
    retryAfterMs: wait,
  });
}

/** Turnstile is on: a visitor token without the check (`missing`), or a check siteverify refused. */
export function humanCheckFailed(reason: "missing" | "refused"): ConvexError<ErrorData> {
  return appError(
    "HUMAN_CHECK_FAILED",
    reason === "missing"
      ? "Please complete the human check, then send again."
      : "The human check did not pass; please try it again.",
  );
}

/** OPERATOR_SECRET unset or shorter than `limit` characters (its length only: never the secret). */
export function operatorNotConfigured(length: number, limit: number): ConvexError<ErrorData> {
  const message =
    length === 0
      ? `Operator sign-in is off: OPERATOR_SECRET is not set on this deployment; set one of at least ${limit} characters.`
      : `Operator sign-in is off: OPERATOR_SECRET is ${formatCount(length)} characters; the minimum is ${limit}. Set a longer one.`;
  return appError("OPERATOR_NOT_CONFIGURED", message, { length, limit });
}

/** The refusals `operator:signIn` returns (not throws, so the failure it counts is committed). */
export const SIGN_IN_ERRORS = {
  wrongSecret: "That operator secret was not accepted.",
  rateLimited: (retryAfterMs: number) => `Too many failed sign-ins; try again in ${formatWait(retryAfterMs)}.`,
} as const;

/** The `{ code, message }` bodies of the HTTP actions' refusals (`POST /chat-stream`, `POST /visitors`). */
export const HTTP_ERRORS = {
  bodyTooLarge: (declared: number | null, limit: number) =>
    declared === null
      ? `request body is over ${formatCount(limit)} bytes; the limit is ${formatCount(limit)}`
      : `request body is ${formatCount(declared)} bytes; the limit is ${formatCount(limit)}`,
  noBearer: "send the visitor token as `Authorization: Bearer <token>`",
  badBody: 'the body must be JSON like {"prompt": "...", "threadId": "...", "token": "..."} or {"streamId": "..."}',
  unknownToken: "this visitor token is not known to this deployment",
  noSuchStream: "no stream with that ID belongs to this visitor",
  rateLimited: (retryAfterMs: number) => `Too many requests; try again in ${formatWait(retryAfterMs)}.`,
  originNotAllowed: (origin: string) =>
    `requests from ${origin.slice(0, 200)} are not allowed; add the page's origin to ALLOWED_ORIGINS on the deployment`,
  badVisitorBody: 'the body must be JSON like {"turnstileToken": "..."}',
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

/**
 * A number argument that is not what the function takes: NaN, ±Infinity, negative, a fraction
 * where a count is meant, or out of range. Names the argument and what it must be.
 */
export function badNumber(name: string, value: number, expected: string): ConvexError<ErrorData> {
  return appError("BAD_REQUEST", `${name} is ${String(value)}; it must be ${expected}`, { argument: name });
}

/**
 * Another operator holds the thread (`handoff:takeOver`, `reply`, `handBack` without `force`;
 * `messages:retry` while any operator holds it). Names who, so the console can say it.
 */
export function heldByOperator(name: string): ConvexError<ErrorData> {
  return appError("HELD_BY_OPERATOR", `${name} is answering this chat; take it over with force to answer instead`, {
    heldBy: name,
  });
}

/** `operator:searchThreads` text longer than SEARCH_MAX_CHARS. */
export function searchTooLong(length: number, limit: number): ConvexError<ErrorData> {
  return appError(
    "BAD_REQUEST",
    `The search is ${formatCount(length)} characters; the limit is ${formatCount(limit)}`,
    {
      limit,
    },
  );
}
