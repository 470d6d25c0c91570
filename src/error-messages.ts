// What a visitor reads when something fails: a sentence from `strings` chosen by the error's
// code, never the server's own message (that one names limits and settings for developers and
// goes to the console and the `ai-chat-error` event). Codes this version does not know get the
// generic sentence, so a backend that adds codes never shows a visitor developer wording.
import type { ChatErrorInfo, ErrorCode } from "./api.js";
import type { ChatStrings } from "./strings.js";

type StringKey = keyof ChatStrings;

const MESSAGE_BY_CODE: Partial<Record<ErrorCode, StringKey>> = {
  NETWORK: "networkError",
  OFFLINE: "offlineSend",
  PROMPT_TOO_LONG: "promptTooLong",
  PAYLOAD_TOO_LARGE: "promptTooLong",
  REPLY_IN_PROGRESS: "waitForReply",
  TOO_MANY_THREADS: "tooManyConversations",
  UNAUTHORIZED: "unavailable",
  NOT_FOUND: "unavailable",
  REPLY_FAILED: "replyError",
  REPLY_TIMEOUT: "timeoutError",
  HUMAN_CHECK_FAILED: "humanCheckFailed",
  TOO_MANY_VISITORS: "tooManyVisitors",
  // Every slot and the queue are taken: "Many people are starting a chat right now…" says it plainly.
  QUEUE_FULL: "tooManyVisitors",
  BUDGET_EXHAUSTED: "budgetExhausted",
};

/** Failures where sending the same text again may work (a Retry button makes sense). */
const RETRYABLE = new Set<ErrorCode>(["NETWORK", "UNKNOWN", "NOT_CONFIGURED"]);

/** The visitor-facing sentence for `info`. */
export function visitorMessage(info: Pick<ChatErrorInfo, "code">, strings: ChatStrings): string {
  const key = MESSAGE_BY_CODE[info.code];
  return key ? strings[key] : strings.genericError;
}

/** Whether a failed send of `code` is worth retrying with the same text. */
export function canResend(code: ErrorCode): boolean {
  return RETRYABLE.has(code) || /^HTTP_5\d\d$/.test(code);
}

/** Details for developers, on the console (never in the DOM). */
export function logFailure(info: ChatErrorInfo): void {
  console.warn(`[ai-chat-stream] ${info.code}: ${info.message}`);
}
