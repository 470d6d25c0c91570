/**
 * Bounded model cost: an output cap on every model request, and daily token budgets (the
 * deployment's, and each visitor's) that hold however many replies run at once.
 *
 * - MAX_OUTPUT_TOKENS (2,048): the most one reply may generate.
 * - DAILY_TOKEN_BUDGET (500,000): model tokens (input + output) the deployment spends per UTC day.
 * - VISITOR_DAILY_TOKENS (50,000): the same per visitor (identity, else token).
 * - NEW_VISITOR_BUDGET_PERCENT (50): visitors not yet established may start replies only while the
 *   deployment's day is below this share of its budget; the rest is kept for established ones.
 *
 * A reply's worst case is reserved when it is sent: its input (history, prompt and system prompt,
 * counted as one token per character, more than a tokenizer spends on ordinary text) plus
 * MAX_OUTPUT_TOKENS. A send is admitted only while what is spent plus what is reserved is below
 * the budget, so however many replies run at once, the day's spend passes the budget by at most
 * the one reply admitted last. When a reply ends, what it cost (the provider's count, else an
 * estimate from its input and the text it generated) is charged and its reservation returned; a
 * reply that never started costs nothing. Every ending is charged: one whose driver was lost, or
 * that was stopped past the grace, pays for the text it persisted.
 *
 * TOKEN_USAGE_SHARDS (1): the deployment's day is kept on this many rows, each with its share of
 * the budget. A send reads and writes one row picked at random (the next ones only while that is
 * full), so sends conflict on a deployment only when they pick the same row. The price is the
 * bound: each row passes its share by at most one reply's worst case, so the day's spend passes
 * the budget by at most TOKEN_USAGE_SHARDS replies' worst cases (one with the default).
 *
 * No hot document on the reply's path: the deployment-wide rows are read and written by sends
 * (admission needs the exact total of a row: spent + reserved), but a reply's end does not touch them. Its
 * charge and its reservation's return go together into their own scheduled mutation
 * (`usage:settle`), which the deployment runs exactly once; so a charge that fails cannot fail the
 * reply. For a deployment shard, settling only inserts a `usageCharges` row, which the next send
 * that reads the shard folds into it: a settle never reads what a send or another settle writes.
 * Until its charge is folded, a reply's reservation (its worst case) is still held: admission errs
 * on the safe side.
 */
import { internal } from "../_generated/api";
import type { Doc } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { budgetExhausted } from "./errors";
import { visitorByHash } from "./visitors";

const DAY_MS = 24 * 60 * 60 * 1000;
/** The `tokenUsage` key of the deployment-wide row (with TOKEN_USAGE_SHARDS > 1, of its first shard). */
export const DEPLOYMENT_KEY = "deployment";
/** The most rows TOKEN_USAGE_SHARDS may spread the deployment's day over. */
export const MAX_USAGE_SHARDS = 64;

/** TOKEN_USAGE_SHARDS (default 1, at most `MAX_USAGE_SHARDS`), read per call. */
export function usageShards(): number {
  return Math.min(MAX_USAGE_SHARDS, envInt("TOKEN_USAGE_SHARDS", 1));
}

/** The `tokenUsage` key of the deployment's shard `i` (shard 0 keeps the one row's key). */
export function shardKey(i: number): string {
  return i === 0 ? DEPLOYMENT_KEY : `${DEPLOYMENT_KEY}:${i}`;
}
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

/** A reply's input counts as this many tokens per character when its worst case is reserved. */
export const RESERVED_TOKENS_PER_CHAR = 1;

/** What a send reserves: its input at one token a character, plus the output cap. */
export function worstCaseTokens(inputChars: number): number {
  return Math.ceil(inputChars * RESERVED_TOKENS_PER_CHAR) + getBudgets().maxOutputTokens;
}

function newVisitorPercent(): number {
  const raw = process.env.NEW_VISITOR_BUDGET_PERCENT?.trim();
  const n = Number(raw);
  return raw && Number.isFinite(n) && n >= 0 && n <= 100 ? n : 50;
}

/** Spent plus reserved: what a row has committed today. */
function committed(row: Doc<"tokenUsage"> | null): number {
  return row ? row.tokens + (row.reserved ?? 0) : 0;
}

/**
 * A reply's reservation, kept on its message until the reply ends: the day and tokens reserved,
 * and the characters its model request carries (to charge a reply that ends without a count).
 */
export type Reservation = { day: string; tokens: number; inputChars?: number; shard?: number };

/**
 * Reserves `tokens` (a reply's worst case) on one of today's deployment rows and the visitor's,
 * or throws BUDGET_EXHAUSTED when every deployment row's commitments have reached its share of
 * the budget (for a visitor not yet established: its share of that) or this visitor's have
 * reached theirs. Reads 1 deployment row, up to TOKEN_USAGE_SHARDS once rows fill up.
 */
export async function reserveBudget(
  ctx: MutationCtx,
  visitorKey: string,
  established: boolean,
  tokens: number,
): Promise<Reservation> {
  const budgets = getBudgets();
  const now = Date.now();
  const { day, resetsAt } = utcDay(now);
  const retryAfterMs = resetsAt - now;
  const deploymentLimit = established ? budgets.daily : Math.floor((budgets.daily * newVisitorPercent()) / 100);
  const shards = usageShards();
  const first = Math.floor(Math.random() * shards);
  let shard = -1;
  let deployment: Doc<"tokenUsage"> | null = null;
  for (let i = 0; i < shards && shard < 0; i++) {
    const s = (first + i) % shards;
    deployment = await foldCharges(ctx, day, shardKey(s), await usageRow(ctx, day, shardKey(s)));
    if (committed(deployment) < deploymentLimit / shards) shard = s;
  }
  if (shard < 0) throw budgetExhausted("deployment", budgets.daily, resetsAt, retryAfterMs);
  const visitor = await usageRow(ctx, day, visitorKey);
  if (committed(visitor) >= budgets.visitorDaily) {
    throw budgetExhausted("visitor", budgets.visitorDaily, resetsAt, retryAfterMs);
  }
  await adjust(ctx, day, shardKey(shard), deployment, 0, tokens);
  await adjust(ctx, day, visitorKey, visitor, 0, tokens);
  return shard === 0 ? { day, tokens } : { day, tokens, shard };
}

/** Charges a send folds into a shard's row at most: its work stays bounded; the rest wait for the next. */
export const FOLD_CHARGES_MAX = 32;

/**
 * Folds the shard row's pending charges (`usageCharges`, oldest first, at most FOLD_CHARGES_MAX)
 * into it and returns the row as it now stands. Charges only return reservations and add what was
 * spent in their place, so one still waiting makes admission stricter, never looser.
 */
async function foldCharges(
  ctx: MutationCtx,
  day: string,
  key: string,
  row: Doc<"tokenUsage"> | null,
): Promise<Doc<"tokenUsage"> | null> {
  const charges = await ctx.db
    .query("usageCharges")
    .withIndex("by_day_key", (q) => q.eq("day", day).eq("key", key))
    .take(FOLD_CHARGES_MAX);
  if (charges.length === 0) return row;
  const spent = charges.reduce((n, c) => n + c.tokens, 0);
  const reserved = charges.reduce((n, c) => n + c.reserved, 0);
  for (const charge of charges) await ctx.db.delete("usageCharges", charge._id);
  await adjust(ctx, day, key, row, spent, reserved);
  return await usageRow(ctx, day, key);
}

/** A deployment usage shard's key ("deployment", "deployment:3"), not a visitor's. */
function isShardKey(key: string): boolean {
  return key === DEPLOYMENT_KEY || key.startsWith(`${DEPLOYMENT_KEY}:`);
}

async function adjust(
  ctx: MutationCtx,
  day: string,
  key: string,
  row: Doc<"tokenUsage"> | null,
  spent: number,
  reserved: number,
): Promise<void> {
  if (row) {
    await ctx.db.patch("tokenUsage", row._id, {
      tokens: row.tokens + spent,
      reserved: Math.max(0, (row.reserved ?? 0) + reserved),
    });
  } else {
    await ctx.db.insert("tokenUsage", { day, key, tokens: spent, reserved: Math.max(0, reserved) });
  }
}

/**
 * A reply has ended (or is being deleted): its reservation is cleared from the message now (once
 * per message), and returning it and charging `spent` tokens to today's deployment and visitor
 * rows are scheduled as one `usage:settle`. 1 write, 1 function scheduled; no usage row touched.
 */
export async function settleReply(ctx: MutationCtx, message: Doc<"messages">, spent: number): Promise<void> {
  const reservation = message.reservation;
  if (reservation) await ctx.db.patch("messages", message._id, { reservation: undefined });
  if (!reservation && spent <= 0) return;
  await ctx.scheduler.runAfter(0, internal.usage.settle, {
    keys: [shardKey(reservation?.shard ?? 0), ...(message.usageKey !== undefined ? [message.usageKey] : [])],
    ...(reservation ? { reserved: { day: reservation.day, tokens: reservation.tokens } } : {}),
    spent: Math.max(0, spent),
    day: utcDay(Date.now()).day,
  });
}

/**
 * `usage:settle`'s work: returns `reserved` and charges `spent` on `day`, for each key.
 * Worst case: 2 reads and 2 writes per key.
 */
export async function applySettlement(
  ctx: MutationCtx,
  keys: string[],
  reserved: { day: string; tokens: number } | undefined,
  spent: number,
  day: string,
): Promise<void> {
  for (const key of keys) {
    if (isShardKey(key)) {
      // Inserted, not written into the shard's row: settling never conflicts with a send or
      // another settle on the same shard. The next send that reads the shard folds it in.
      const sameDay = reserved?.day === day;
      if (reserved) {
        await ctx.db.insert("usageCharges", {
          day: reserved.day,
          key,
          tokens: sameDay ? spent : 0,
          reserved: -reserved.tokens,
        });
      }
      if (spent > 0 && !sameDay) await ctx.db.insert("usageCharges", { day, key, tokens: spent, reserved: 0 });
      continue;
    }
    if (reserved) await adjust(ctx, reserved.day, key, await usageRow(ctx, reserved.day, key), 0, -reserved.tokens);
    if (spent > 0) await adjust(ctx, day, key, await usageRow(ctx, day, key), spent, 0);
  }
}

/**
 * What a reply that ends without its driver's count costs (its driver was lost, it was stopped
 * past the grace, its thread was deleted while it ran): nothing if it never started, else an
 * estimate from its input and the `outputChars` it generated (persisted). A reservation from
 * before the input was kept costs its whole worst case.
 */
export function unreportedCost(message: Doc<"messages">, outputChars: number): number {
  const reservation = message.reservation;
  if (message.status !== "streaming" || !reservation) return 0;
  if (reservation.inputChars === undefined) return reservation.tokens;
  return estimateTokens(reservation.inputChars, outputChars);
}

/** A fast reader: about 250 words a minute. */
const READ_CHARS_PER_SECOND = 20;

/** How long after a finished reply its visitor counts as established: time to have read it (10 s to 1 min). */
export function readingMs(chars: number): number {
  return Math.min(60_000, Math.max(10_000, Math.ceil(chars / READ_CHARS_PER_SECOND) * 1000));
}

/**
 * A reply the visitor with this token hash drove ended `done` with `chars` of text: they become
 * established once a person could have read it (`readingMs`), and their sends then draw on the
 * shares kept for established visitors. A stopped, failed or empty reply establishes no one.
 */
export async function establishAfterReading(
  ctx: MutationCtx,
  driverHash: string | undefined,
  chars: number,
): Promise<void> {
  if (driverHash === undefined || chars === 0) return;
  const visitor = await visitorByHash(ctx, driverHash);
  if (visitor && !visitor.established && visitor.establishedAt === undefined) {
    await ctx.db.patch("visitors", visitor._id, { establishedAt: Date.now() + readingMs(chars) });
  }
}

/** Charges not yet folded that the console's figure adds (more wait only while nobody sends). */
const PENDING_CHARGES_SHOWN = 256;

/** Today's deployment-wide use against the budget (the operator console shows it). */
export async function todaysUsage(
  ctx: QueryCtx,
): Promise<{ day: string; tokens: number; budget: number; resetsAt: number }> {
  const { day, resetsAt } = utcDay(Date.now());
  // Every shard's row, also of shards beyond a TOKEN_USAGE_SHARDS lowered today ("deployment:1"…).
  const rows = await ctx.db
    .query("tokenUsage")
    .withIndex("by_day_key", (q) => q.eq("day", day).gte("key", DEPLOYMENT_KEY).lt("key", `${DEPLOYMENT_KEY};`))
    .take(MAX_USAGE_SHARDS + 1);
  // And what finished replies spent that no send has folded into its shard yet.
  const pending = await ctx.db
    .query("usageCharges")
    .withIndex("by_day_key", (q) => q.eq("day", day).gte("key", DEPLOYMENT_KEY).lt("key", `${DEPLOYMENT_KEY};`))
    .take(PENDING_CHARGES_SHOWN);
  const tokens = rows.reduce((n, r) => n + r.tokens, 0) + pending.reduce((n, c) => n + c.tokens, 0);
  return { day, tokens, budget: getBudgets().daily, resetsAt };
}
