/** Errors a person can act on: `ConvexError({ code, message, ...details })` with stable codes. */
import { ConvexError } from "convex/values";

export type ErrorCode =
  | "UNAUTHORIZED"
  | "NOT_FOUND"
  | "EMPTY_PROMPT"
  | "PROMPT_TOO_LONG"
  | "REPLY_IN_PROGRESS"
  | "RATE_LIMITED"
  | "TOO_MANY_THREADS"
  | "BAD_REQUEST"
  | "PAYLOAD_TOO_LARGE"
  | "BUDGET_EXHAUSTED"
  | "TOO_MANY_VISITORS"
  | "HUMAN_CHECK_FAILED"
  | "ORIGIN_NOT_ALLOWED"
  | "OPERATOR_NOT_CONFIGURED";

type ErrorData = { code: ErrorCode; message: string; [detail: string]: string | number };

export function appError(
  code: ErrorCode,
  message: string,
  details: Record<string, string | number> = {},
): ConvexError<ErrorData> {
  return new ConvexError<ErrorData>({ code, message, ...details });
}

/** The same answer for "no such thread", "not yours", "malformed ID" and "no token". */
export function unauthorized(): ConvexError<ErrorData> {
  return appError("UNAUTHORIZED", "You do not have access to this chat.");
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

export function rateLimited(retryAfterMs: number): ConvexError<ErrorData> {
  const wait = Math.max(0, Math.ceil(retryAfterMs));
  return appError("RATE_LIMITED", `Too many messages; try again in ${formatWait(wait)}.`, {
    retryAfterMs: wait,
  });
}
