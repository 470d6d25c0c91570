import { MINUTE, RateLimiter } from "@convex-dev/rate-limiter";
import { components } from "../_generated/api";
import type { MutationCtx } from "../_generated/server";

/**
 * Limits, read from the deployment's environment on every call (so `npx convex env set` applies
 * without a redeploy). Each has a stable error code; see "Limits and error codes" in README.md.
 */

/** POST /chat-stream body limit; not configurable (the body is `{"streamId": "..."}`). */
export const MAX_BODY_BYTES = 4096;
/** Deltas per `streams:read` page. */
export const STREAM_PAGE_SIZE = 16;
/** `threads:listMine` page size: default and maximum. */
export const LIST_DEFAULT = 20;
export const LIST_MAX = 100;
/** A `messages:list` page: at most this many messages... */
export const MESSAGES_PAGE_MAX = 50;
/** ...and it stops once their text passes this many characters (always at least one message). */
export const MESSAGES_PAGE_CHARS = 128 * 1024;
/** `messages:live` returns at most this many (newest) messages after its anchor. */
export const MESSAGES_LIVE_MAX = 50;
/** Title of a thread before its first prompt. */
export const NEW_THREAD_TITLE = "New chat";
/** Text lengths (titles, origins) live with the code that clips them at code-point boundaries. */
export { ORIGIN_MAX_CHARS, TITLE_MAX_CHARS } from "./text";

/** An integer setting: `fallback` when unset, not a number or below `min`. */
export function envInt(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  return Number.isFinite(n) && n >= min ? Math.floor(n) : fallback;
}

export type Limits = {
  /** MAX_PROMPT_CHARS (8000): PROMPT_TOO_LONG above it. */
  maxPromptChars: number;
  /** RATE_LIMIT_MESSAGES_PER_MINUTE (10): messages:send per visitor (token or identity). */
  messagesPerMinute: number;
  /** RATE_LIMIT_GLOBAL_PER_MINUTE (600): messages:send across the deployment. */
  globalMessagesPerMinute: number;
  /**
   * RATE_LIMIT_NEW_VISITOR_SENDS_PER_MINUTE (half the global rate): the share of the global
   * rate that visitors who never had a reply may use, so the rest stays for established ones.
   */
  newVisitorMessagesPerMinute: number;
  /** RATE_LIMIT_NEW_VISITORS_PER_MINUTE (60): visitor tokens minted across the deployment. */
  newVisitorsPerMinute: number;
  /** NEW_VISITORS_PER_ADDRESS_PER_MINUTE (3): visitor tokens minted per client address. */
  newVisitorsPerAddressPerMinute: number;
  /** RATE_LIMIT_ADDRESS_MESSAGES_PER_MINUTE (30): sends per client address, whatever the token. */
  addressMessagesPerMinute: number;
  /** REPLIES_IN_FLIGHT_PER_VISITOR (2): unfinished replies per visitor, across all threads. */
  repliesInFlight: number;
  /** RATE_LIMIT_SHARES_PER_MINUTE (10): observer tokens minted per caller. */
  sharesPerMinute: number;
  /** RATE_LIMIT_STREAM_REQUESTS_PER_MINUTE (30): POST /chat-stream per visitor token. */
  streamRequestsPerMinute: number;
  /** MAX_THREADS_PER_VISITOR (50): TOO_MANY_THREADS above it. */
  threadsPerVisitor: number;
  /** HISTORY_CHARS (24000): earlier turns sent to the model, newest kept first. */
  historyChars: number;
};

export function getLimits(): Limits {
  const globalMessagesPerMinute = envInt("RATE_LIMIT_GLOBAL_PER_MINUTE", 600);
  return {
    maxPromptChars: envInt("MAX_PROMPT_CHARS", 8000),
    messagesPerMinute: envInt("RATE_LIMIT_MESSAGES_PER_MINUTE", 10),
    globalMessagesPerMinute,
    newVisitorMessagesPerMinute: Math.min(
      globalMessagesPerMinute,
      envInt("RATE_LIMIT_NEW_VISITOR_SENDS_PER_MINUTE", Math.max(1, Math.floor(globalMessagesPerMinute / 2))),
    ),
    newVisitorsPerMinute: envInt("RATE_LIMIT_NEW_VISITORS_PER_MINUTE", 60),
    newVisitorsPerAddressPerMinute: envInt("NEW_VISITORS_PER_ADDRESS_PER_MINUTE", 3),
    addressMessagesPerMinute: envInt("RATE_LIMIT_ADDRESS_MESSAGES_PER_MINUTE", 30),
    repliesInFlight: envInt("REPLIES_IN_FLIGHT_PER_VISITOR", 2),
    sharesPerMinute: envInt("RATE_LIMIT_SHARES_PER_MINUTE", 10),
    streamRequestsPerMinute: envInt("RATE_LIMIT_STREAM_REQUESTS_PER_MINUTE", 30),
    threadsPerVisitor: envInt("MAX_THREADS_PER_VISITOR", 50),
    historyChars: envInt("HISTORY_CHARS", 24000, 0),
  };
}

const rateLimiter = new RateLimiter(components.rateLimiter);

function perMinute(rate: number, shards = 1) {
  return { kind: "token bucket" as const, rate, period: MINUTE, capacity: rate, shards };
}

/**
 * Shards for the deployment-wide bucket, which every send writes: one document would make
 * concurrent sends conflict and fail with a generic error instead of RATE_LIMITED. As the
 * rate-limiter's README advises: about one shard per 2 sends a second at the full rate, keeping
 * at least 10 tokens in each (600 a minute -> 5 shards of 120). A sharded bucket never lets more
 * than the rate through, but may refuse a send while another shard still has room.
 */
export function globalShards(ratePerMinute: number): number {
  return Math.max(1, Math.min(Math.floor(ratePerMinute / 10), Math.ceil(ratePerMinute / 60 / 2)));
}

/**
 * Consumes one message from the visitor's bucket and one from the global bucket; a visitor who
 * never had a reply also draws on the new visitors' share of the global rate, so a flood of new
 * visitors can take at most that share and established visitors keep the rest. The share's
 * bucket is written by every new visitor's send, so it is sharded like the global one.
 * Returns the wait in ms when a bucket is empty. Callers throw on a wait, which rolls back
 * every consumption with the rest of the mutation.
 */
export async function consumeMessageBudget(
  ctx: MutationCtx,
  visitorKey: string,
  established: boolean,
  clientKey: string | null = null,
): Promise<number | null> {
  const limits = getLimits();
  const mine = await rateLimiter.limit(ctx, "sendMessage", {
    key: visitorKey,
    config: perMinute(limits.messagesPerMinute),
  });
  if (!mine.ok) return mine.retryAfter;
  // However many tokens one address holds, its sends share one bucket (sends over HTTP only:
  // a mutation never sees the address).
  if (clientKey !== null) {
    const address = await rateLimiter.limit(ctx, "sendMessageByAddress", {
      key: clientKey,
      config: perMinute(limits.addressMessagesPerMinute),
    });
    if (!address.ok) return address.retryAfter;
  }
  if (!established) {
    const newcomers = await rateLimiter.limit(ctx, "sendMessageNewVisitors", {
      config: perMinute(limits.newVisitorMessagesPerMinute, globalShards(limits.newVisitorMessagesPerMinute)),
    });
    if (!newcomers.ok) return newcomers.retryAfter;
  }
  const all = await rateLimiter.limit(ctx, "sendMessageGlobal", {
    config: perMinute(limits.globalMessagesPerMinute, globalShards(limits.globalMessagesPerMinute)),
  });
  if (!all.ok) return all.retryAfter;
  return null;
}

/**
 * One visitor token minted: from this client address's bucket when the address is known, and the
 * deployment-wide one. The wait in ms when over either rate.
 */
export async function consumeNewVisitor(ctx: MutationCtx, clientKey: string | null): Promise<number | null> {
  const limits = getLimits();
  if (clientKey !== null) {
    const mine = await rateLimiter.limit(ctx, "newVisitorByAddress", {
      key: clientKey,
      config: perMinute(limits.newVisitorsPerAddressPerMinute),
    });
    if (!mine.ok) return mine.retryAfter;
  }
  const status = await rateLimiter.limit(ctx, "newVisitor", { config: perMinute(limits.newVisitorsPerMinute) });
  return status.ok ? null : status.retryAfter;
}

/** One observer token minted by this caller; the wait in ms when over the rate. */
export async function consumeShare(ctx: MutationCtx, key: string): Promise<number | null> {
  const status = await rateLimiter.limit(ctx, "share", { key, config: perMinute(getLimits().sharesPerMinute) });
  return status.ok ? null : status.retryAfter;
}

/**
 * One failed operator sign-in: counted per client address (OPERATOR_FAILURES_PER_ADDRESS_PER_MINUTE,
 * 5) when the address is known, and deployment-wide (RATE_LIMIT_OPERATOR_FAILURES_PER_MINUTE, 10).
 * The wait in ms once either is over its rate. Only wrong secrets are counted or refused.
 */
export async function operatorSignInFailure(ctx: MutationCtx, clientKey: string | null): Promise<number | null> {
  if (clientKey !== null) {
    const mine = await rateLimiter.limit(ctx, "operatorSignInFailureByAddress", {
      key: clientKey,
      config: perMinute(envInt("OPERATOR_FAILURES_PER_ADDRESS_PER_MINUTE", 5)),
    });
    if (!mine.ok) return mine.retryAfter;
  }
  const all = await rateLimiter.limit(ctx, "operatorSignInFailure", {
    config: perMinute(envInt("RATE_LIMIT_OPERATOR_FAILURES_PER_MINUTE", 10)),
  });
  return all.ok ? null : all.retryAfter;
}

/** Ratings (`feedback:rate`) per visitor a minute: enough to change one's mind, not to flood. */
export const FEEDBACK_PER_MINUTE = 20;
/** A rating's comment is at most this many characters. */
export const FEEDBACK_COMMENT_MAX_CHARS = 500;

/** One rating by this visitor; the wait in ms when over FEEDBACK_PER_MINUTE. */
export async function consumeFeedback(ctx: MutationCtx, visitorKey: string): Promise<number | null> {
  const status = await rateLimiter.limit(ctx, "feedback", { key: visitorKey, config: perMinute(FEEDBACK_PER_MINUTE) });
  return status.ok ? null : status.retryAfter;
}

/** One POST /chat-stream from this visitor token; the wait in ms when over budget. */
export async function consumeStreamRequest(ctx: MutationCtx, tokenHash: string): Promise<number | null> {
  const status = await rateLimiter.limit(ctx, "streamRequest", {
    key: tokenHash,
    config: perMinute(getLimits().streamRequestsPerMinute),
  });
  return status.ok ? null : status.retryAfter;
}

/** A visitor's `handoff:requestHuman` calls that write, per minute (a request writes once until taken). */
export const HUMAN_REQUESTS_PER_MINUTE = 5;
/** An operator's `handoff:reply` messages per minute: a person types slower; a leaked session cannot flood. */
export const OPERATOR_REPLIES_PER_MINUTE = 60;

/** One handoff write (`requestHuman` by a visitor key, `reply` by an operator key); the wait in ms when over its rate. */
export async function consumeHandoff(
  ctx: MutationCtx,
  kind: "requestHuman" | "operatorReply",
  key: string,
): Promise<number | null> {
  const rate = kind === "requestHuman" ? HUMAN_REQUESTS_PER_MINUTE : OPERATOR_REPLIES_PER_MINUTE;
  const status = await rateLimiter.limit(ctx, kind, { key, config: perMinute(rate) });
  return status.ok ? null : status.retryAfter;
}
