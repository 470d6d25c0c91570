/**
 * Bounded model cost: an output cap on every model request, and daily token budgets counted from
 * the provider's reported usage (the deployment's, and each visitor's).
 *
 * - MAX_OUTPUT_TOKENS (2,048): the most one reply may generate. A reply is the unit an attacker
 *   buys with one send, so this bounds what any single request costs.
 * - DAILY_TOKEN_BUDGET (500,000): model tokens (input + output) the deployment spends per UTC day.
 * - VISITOR_DAILY_TOKENS (50,000): the same per visitor (identity, else token).
 *
 * Budgets are checked at `messages:send` and charged when the reply ends, so replies already
 * running when a budget runs out finish: the overshoot is at most the replies in flight, each
 * bounded by MAX_OUTPUT_TOKENS plus its history (HISTORY_CHARS).
 */
import type { Doc } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { budgetExhausted } from "./errors";
import { visitorByHash } from "./visitors";

const DAY_MS = 24 * 60 * 60 * 1000;
/** The `tokenUsage` key of the deployment-wide row. */
export const DEPLOYMENT_KEY = "deployment";
/** Without a usage report (a reply stopped mid-way, a provider that sends none): ~4 characters a token. */
const CHARS_PER_TOKEN = 4;

function envInt(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  return Number.isFinite(n) && n >= min ? Math.floor(n) : fallback;
}

export type Budgets = { maxOutputTokens: number; daily: number; visitorDaily: number };

export function getBudgets(): Budgets {
  return {
    maxOutputTokens: envInt("MAX_OUTPUT_TOKENS", 2048),
    daily: envInt("DAILY_TOKEN_BUDGET", 500_000),
    visitorDaily: envInt("VISITOR_DAILY_TOKENS", 50_000),
  };
}

/** The UTC day `now` falls in ("2026-11-30") and when the next one starts. */
export function utcDay(now: number): { day: string; resetsAt: number } {
  const start = Math.floor(now / DAY_MS) * DAY_MS;
  return { day: new Date(start).toISOString().slice(0, 10), resetsAt: start + DAY_MS };
}

/** Tokens a reply cost when the provider reported none: its input and output characters, / 4. */
export function estimateTokens(inputChars: number, outputChars: number): number {
  return Math.ceil((inputChars + outputChars) / CHARS_PER_TOKEN);
}

async function usageRow(ctx: QueryCtx | MutationCtx, day: string, key: string): Promise<Doc<"tokenUsage"> | null> {
  return await ctx.db
    .query("tokenUsage")
    .withIndex("by_day_key", (q) => q.eq("day", day).eq("key", key))
    .unique();
}

/** Throws BUDGET_EXHAUSTED when the deployment or this visitor has spent today's budget. */
export async function assertBudget(ctx: MutationCtx, visitorKey: string): Promise<void> {
  const budgets = getBudgets();
  const now = Date.now();
  const { day, resetsAt } = utcDay(now);
  const retryAfterMs = resetsAt - now;
  const deployment = await usageRow(ctx, day, DEPLOYMENT_KEY);
  if (deployment && deployment.tokens >= budgets.daily) {
    throw budgetExhausted("deployment", budgets.daily, resetsAt, retryAfterMs);
  }
  const visitor = await usageRow(ctx, day, visitorKey);
  if (visitor && visitor.tokens >= budgets.visitorDaily) {
    throw budgetExhausted("visitor", budgets.visitorDaily, resetsAt, retryAfterMs);
  }
}

async function addUsage(ctx: MutationCtx, day: string, key: string, tokens: number): Promise<void> {
  const row = await usageRow(ctx, day, key);
  if (row) await ctx.db.patch("tokenUsage", row._id, { tokens: row.tokens + tokens });
  else await ctx.db.insert("tokenUsage", { day, key, tokens });
}

/**
 * Charges a finished reply's tokens to today's deployment and visitor rows, and marks the
 * visitor who drove it as established (their sends then draw on the reserved share).
 */
export async function chargeReply(ctx: MutationCtx, message: Doc<"messages">, tokens: number): Promise<void> {
  if (tokens > 0) {
    const { day } = utcDay(Date.now());
    await addUsage(ctx, day, DEPLOYMENT_KEY, tokens);
    if (message.usageKey !== undefined) await addUsage(ctx, day, message.usageKey, tokens);
  }
  if (message.driverHash !== undefined) {
    const visitor = await visitorByHash(ctx, message.driverHash);
    if (visitor && !visitor.established) await ctx.db.patch("visitors", visitor._id, { established: true });
  }
}

/** Today's deployment-wide use against the budget (the operator console shows it). */
export async function todaysUsage(
  ctx: QueryCtx,
): Promise<{ day: string; tokens: number; budget: number; resetsAt: number }> {
  const { day, resetsAt } = utcDay(Date.now());
  const row = await usageRow(ctx, day, DEPLOYMENT_KEY);
  return { day, tokens: row?.tokens ?? 0, budget: getBudgets().daily, resetsAt };
}
