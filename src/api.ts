// The contract with the Convex app, type-only: references to the functions the widget calls,
// typed from the app's generated API, and the view types from its validators
// (convex/lib/validators.ts) and error codes (convex/lib/errors.ts). No runtime code from convex/
// enters the widget's bundle, and a page can embed the widget against any deployment of that
// app. The function table is in docs/architecture.md.
import { anyApi } from "convex/server";
import type { api as generatedApi } from "../convex/_generated/api.js";
import type { ErrorCode as ServerErrorCode } from "../convex/lib/errors.js";
import type {
  ChatConfig,
  FinalStatus,
  HandoffState,
  MessageStatus,
  MessageView,
  SendResult,
  StreamDelta,
  SignInResult,
  StreamSlice,
  ThreadView,
  TokenUsage,
  VisitorClaim,
  VisitorInfo,
} from "../convex/lib/validators.js";

export type {
  ChatConfig,
  HandoffState,
  MessageStatus,
  MessageView,
  SendResult,
  SignInResult,
  StreamDelta,
  StreamSlice,
  ThreadView,
  TokenUsage,
  VisitorClaim,
  VisitorInfo,
};

/** Statuses after which a message never changes again (exactly the server's `FinalStatus`es). */
export const FINAL_STATUSES: ReadonlySet<MessageStatus> = new Set(
  Object.keys({ done: true, error: true, timeout: true, stopped: true } satisfies Record<FinalStatus, true>),
) as ReadonlySet<MessageStatus>;

/** `true` while a reply may still receive text (the server's `isUnfinished`). */
export const isActive = (status: MessageStatus): boolean => !FINAL_STATUSES.has(status);

/**
 * `messages:list` pages hold at most 50 messages and stop once their text passes 128 K
 * characters (convex/lib/limits.ts; a backend test checks the two agree). A page short of both
 * is the start of the thread.
 */
export const MESSAGES_PAGE_MAX = 50;
export const MESSAGES_PAGE_CHARS = 128 * 1024;
export const isFullPage = (page: readonly MessageView[]): boolean =>
  page.length >= MESSAGES_PAGE_MAX || page.reduce((n, m) => n + m.text.length, 0) >= MESSAGES_PAGE_CHARS;

/**
 * References to the app's public functions, typed from the component's `convex/_generated/api`:
 * the standalone app (`app/`) and every host app re-export them under the same module and function
 * names, with the same validators (less `identity`, which the host sets; a test in
 * test/backend compares them). A renamed function or argument, or a changed return type, is a type
 * error here. At run time `anyApi` derives each function's name from the property path it is
 * reached by (`api.threads.create`), so no name is written by hand and nothing of `app/` or
 * `convex/` is bundled.
 * @internal Left out of the published declarations, which would otherwise take in the whole app's.
 */
export const api = anyApi as unknown as Pick<
  typeof generatedApi,
  "threads" | "messages" | "streams" | "config" | "operator" | "chat" | "handoff" | "feedback"
>;

/**
 * Every `code` an `ai-chat-error` can carry: the server's codes, plus the widget's own for
 * failures that never reached the app (`NETWORK`), a send while the browser is offline
 * (`OFFLINE`), a reply that ended with `error` or `timeout` (`REPLY_FAILED`, `REPLY_TIMEOUT`), an
 * unexpected error (`UNKNOWN`), a missing `convex-url` (`NOT_CONFIGURED`), and an HTTP refusal
 * without a code of ours (`HTTP_<status>`).
 */
export type ErrorCode =
  | ServerErrorCode
  | "NETWORK"
  | "OFFLINE"
  | "REPLY_FAILED"
  | "REPLY_TIMEOUT"
  | "UNKNOWN"
  | "NOT_CONFIGURED"
  | `HTTP_${number}`;

/** The server's codes at run time; `satisfies` keeps it equal to the server's list. */
const SERVER_CODES = {
  UNAUTHORIZED: true,
  NOT_FOUND: true,
  EMPTY_PROMPT: true,
  PROMPT_TOO_LONG: true,
  REPLY_IN_PROGRESS: true,
  RATE_LIMITED: true,
  TOO_MANY_THREADS: true,
  BAD_REQUEST: true,
  PAYLOAD_TOO_LARGE: true,
  BUDGET_EXHAUSTED: true,
  TOO_MANY_VISITORS: true,
  HUMAN_CHECK_FAILED: true,
  ORIGIN_NOT_ALLOWED: true,
  OPERATOR_NOT_CONFIGURED: true,
  HELD_BY_OPERATOR: true,
  FILE_TOO_LARGE: true,
  FILE_TYPE_NOT_ALLOWED: true,
  TOO_MANY_FILES: true,
  QUEUE_FULL: true,
} satisfies Record<ServerErrorCode, true>;

/** Whether a code read off the wire is one of the server's. */
export function isServerErrorCode(code: unknown): code is ServerErrorCode {
  return typeof code === "string" && Object.hasOwn(SERVER_CODES, code);
}

export type ChatErrorInfo = { code: ErrorCode; message: string; retryAfterMs?: number };

/**
 * Reads `{ code, message }` out of whatever a call threw: a `ConvexError` carries it in
 * `data`; anything else becomes UNKNOWN/NETWORK with a sentence a person can read.
 */
export function toErrorInfo(err: unknown, fallback: string): ChatErrorInfo {
  const data = (err as { data?: unknown } | null)?.data;
  if (data && typeof data === "object" && isServerErrorCode((data as { code?: unknown }).code)) {
    const d = data as { code: ServerErrorCode; message?: unknown; retryAfterMs?: unknown };
    return {
      code: d.code,
      message: typeof d.message === "string" ? d.message : fallback,
      ...(typeof d.retryAfterMs === "number" ? { retryAfterMs: d.retryAfterMs } : {}),
    };
  }
  if (err instanceof TypeError) return { code: "NETWORK", message: fallback };
  return { code: "UNKNOWN", message: fallback };
}
