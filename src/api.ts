// Typed references to the Convex functions the widget calls, by name, mirroring the contract in
// docs/architecture.md. The widget never imports the app's convex/ folder, so a page can embed
// it against any deployment of that app.
import { makeFunctionReference, type PaginationOptions, type PaginationResult } from "convex/server";

export type MessageStatus = "pending" | "streaming" | "done" | "error" | "timeout" | "stopped";

/** Statuses after which a message never changes again. */
export const FINAL_STATUSES: ReadonlySet<MessageStatus> = new Set(["done", "error", "timeout", "stopped"]);

export const isActive = (status: MessageStatus): boolean => status === "pending" || status === "streaming";

export type ThreadView = {
  _id: string;
  title: string;
  status: "idle" | "streaming" | "error";
  createdAt: number;
  updatedAt: number;
  lastMessageAt: number;
  model: string;
  origin: string | null;
  access: "visitor" | "observer" | "operator";
};

export type MessageView = {
  _id: string;
  role: "user" | "assistant";
  status: MessageStatus;
  text: string;
  streamId: string | null;
  error: string | null;
  model: string | null;
  createdAt: number;
  updatedAt: number;
};

export type StreamSlice = {
  status: MessageStatus;
  start: number;
  text: string;
  cursor: number;
  more: boolean;
};

export type ChatConfig = { model: string; demo: boolean; maxPromptChars: number };

export type OperatorSignInResult =
  | { ok: true; sessionToken: string; expiresAt: number; name: string }
  | { ok: false; code: "UNAUTHORIZED" | "RATE_LIMITED"; message: string; retryAfterMs?: number };

export type TokenUsage = { day: string; tokens: number; budget: number; resetsAt: number };

export type SendResult = { userMessageId: string; assistantMessageId: string; streamId: string };

export const api = {
  threads: {
    create: makeFunctionReference<"mutation", { token?: string; origin?: string }, { threadId: string; token: string }>(
      "threads:create",
    ),
    share: makeFunctionReference<"mutation", { threadId: string; token?: string }, { observerToken: string }>(
      "threads:share",
    ),
  },
  messages: {
    list: makeFunctionReference<"query", { threadId: string; token?: string }, MessageView[]>("messages:list"),
    send: makeFunctionReference<"mutation", { threadId: string; token?: string; prompt: string }, SendResult>(
      "messages:send",
    ),
    stop: makeFunctionReference<"mutation", { threadId: string; token?: string }, null>("messages:stop"),
  },
  streams: {
    read: makeFunctionReference<"query", { streamId: string; token?: string; cursor: number }, StreamSlice>(
      "streams:read",
    ),
  },
  config: {
    get: makeFunctionReference<"query", Record<string, never>, ChatConfig>("config:get"),
  },
  operator: {
    signIn: makeFunctionReference<"mutation", { secret: string; name: string }, OperatorSignInResult>("operator:signIn"),
    signOut: makeFunctionReference<"mutation", { token: string }, null>("operator:signOut"),
    usage: makeFunctionReference<"query", { token?: string }, TokenUsage>("operator:usage"),
    listThreads: makeFunctionReference<
      "query",
      { token?: string; paginationOpts: PaginationOptions },
      PaginationResult<ThreadView>
    >("operator:listThreads"),
  },
} as const;

/** Stable error codes from the contract, plus the widget's own for transport failures. */
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
  | "NETWORK"
  | "UNKNOWN";

export type ChatErrorInfo = { code: ErrorCode | string; message: string; retryAfterMs?: number };

/**
 * Reads `{ code, message }` out of whatever a call threw: a `ConvexError` carries it in
 * `data`; anything else becomes UNKNOWN/NETWORK with a sentence a person can read.
 */
export function toErrorInfo(err: unknown, fallback: string): ChatErrorInfo {
  const data = (err as { data?: unknown } | null)?.data;
  if (data && typeof data === "object" && typeof (data as { code?: unknown }).code === "string") {
    const d = data as { code: string; message?: unknown; retryAfterMs?: unknown };
    return {
      code: d.code,
      message: typeof d.message === "string" ? d.message : fallback,
      ...(typeof d.retryAfterMs === "number" ? { retryAfterMs: d.retryAfterMs } : {}),
    };
  }
  if (err instanceof TypeError) return { code: "NETWORK", message: fallback };
  return { code: "UNKNOWN", message: fallback };
}
