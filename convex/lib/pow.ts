/**
 * Proof of work on minting, on by default: a new visitor's token costs the client real work, with
 * no third-party account (Turnstile, when configured, replaces it). ALTCHA's v2 format
 * (`altcha-lib`, checked against Cap's `@cap.js/server` in issue 20: Cap's server needs
 * `node:crypto` and `node:fs` and keeps its challenges in a store, altcha-lib verifies in the
 * Convex runtime with Web Crypto, 2.5 kB gzipped, and its challenges are stateless and signed).
 *
 * - `GET /chat-stream` (the widget's warm-up when its chat opens) hands out a challenge signed
 *   with the deployment's key, with no database write: the page solves it while the visitor types.
 * - The challenge: find the counter `n` (0 ≤ n < POW_MAX_NUMBER) whose PBKDF2-SHA-256 of
 *   (nonce ‖ n) with the salt over POW_COST iterations starts with the given key prefix. PBKDF2
 *   runs natively in browsers (Web Crypto) as on a script's server, so a visitor's page is not
 *   slower per try than an attacker's machine. Defaults: 1,000 iterations × 1,000 numbers: on
 *   average 0.5 M iterations (≈ 0.3 s on one core here), at most 1 M.
 * - `chat:start` (and `POST /visitors`) mint only with a solution to an unexpired challenge this
 *   deployment signed and not used before (`spentChallenges`): each solution mints one token.
 *
 * PROOF_OF_WORK=off turns it off; POW_SECRET (≥ 32 characters) sets the signing key, else one is
 * made on first use and kept in `serverKeys`.
 */
import { createChallenge, verifySolution, type Challenge, type Solution } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/web/pbkdf2";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { newToken } from "./access";
import { envInt } from "./limits";
import { POW_PAYLOAD_MAX_CHARS } from "./chatProtocol";

export const POW_ALGORITHM = "PBKDF2/SHA-256";
/** How long a challenge may be solved and used. */
export const POW_TTL_MS = 10 * 60 * 1000;
const KEY_NAME = "pow";
const SECRET_MIN_CHARS = 32;

export function powEnabled(): boolean {
  return (process.env.PROOF_OF_WORK?.trim().toLowerCase() ?? "") !== "off";
}

export function powSettings(): { cost: number; maxNumber: number } {
  return { cost: envInt("POW_COST", 1000), maxNumber: envInt("POW_MAX_NUMBER", 1000) };
}

function configuredSecret(): string | null {
  const secret = process.env.POW_SECRET?.trim() ?? "";
  return secret.length >= SECRET_MIN_CHARS ? secret : null;
}

/** The signing key: POW_SECRET, else the stored one (null before it is made). */
export async function readPowKey(ctx: QueryCtx | MutationCtx): Promise<string | null> {
  const configured = configuredSecret();
  if (configured !== null) return configured;
  const row = await ctx.db
    .query("serverKeys")
    .withIndex("by_name", (q) => q.eq("name", KEY_NAME))
    .unique();
  return row?.key ?? null;
}

/** The signing key, made (256 random bits) and stored on first use. */
export async function ensurePowKey(ctx: MutationCtx): Promise<string> {
  const existing = await readPowKey(ctx);
  if (existing !== null) return existing;
  const key = newToken();
  await ctx.db.insert("serverKeys", { name: KEY_NAME, key });
  return key;
}

/** A fresh challenge signed with `key` (no database: actions call it). */
export async function newChallenge(key: string, now = Date.now()): Promise<Challenge> {
  const { cost, maxNumber } = powSettings();
  const counter = new Uint32Array(1);
  crypto.getRandomValues(counter);
  return await createChallenge({
    algorithm: POW_ALGORITHM,
    cost,
    counter: counter[0] % maxNumber,
    deriveKey,
    hmacSignatureSecret: key,
    expiresAt: Math.floor((now + POW_TTL_MS) / 1000),
  });
}

/** `{ challenge, solution }` from the page's JSON, or null when it is not that shape. */
function parsePayload(payload: string): { challenge: Challenge; solution: Solution } | null {
  if (payload.length > POW_PAYLOAD_MAX_CHARS) return null;
  try {
    const parsed = JSON.parse(payload) as { challenge?: Challenge; solution?: Solution };
    const { challenge, solution } = parsed;
    const p = challenge?.parameters;
    if (!p || typeof challenge.signature !== "string" || p.algorithm !== POW_ALGORITHM) return null;
    if (!solution || !Number.isSafeInteger(solution.counter) || solution.counter < 0) return null;
    if (typeof solution.derivedKey !== "string") return null;
    return { challenge, solution };
  } catch {
    return null;
  }
}

/**
 * Whether `payload` solves an unexpired challenge this deployment signed, not used before; if so
 * it is recorded as used (in the caller's transaction: a refused mint rolls it back). Worst case:
 * one PBKDF2 of POW_COST iterations (≈ 1 ms), 4 documents read, 3 written.
 */
export async function spendProofOfWork(ctx: MutationCtx, payload: string | undefined): Promise<boolean> {
  if (payload === undefined) return false;
  const parsed = parsePayload(payload);
  const key = await readPowKey(ctx);
  if (parsed === null || key === null) return false;
  // Signed by us, so its cost and range are ours: no client can hand in an easier one.
  const result = await verifySolution({ ...parsed, deriveKey, hmacSignatureSecret: key });
  if (!result.verified) return false;
  return await spendOnce(
    ctx,
    parsed.challenge.signature!,
    (parsed.challenge.parameters.expiresAt ?? 0) * 1000 || Date.now() + POW_TTL_MS,
  );
}

/**
 * Records a signed, single-use grant (a proof-of-work challenge, a checked queue ticket) as used:
 * false if it was used before. Rows past their grant's expiry guard nothing: each use drops two,
 * so the table stays as small as a TTL's worth of mints. 3 documents read, 3 written.
 */
export async function spendOnce(ctx: MutationCtx, signature: string, expiresAt: number): Promise<boolean> {
  const spent = await ctx.db
    .query("spentChallenges")
    .withIndex("by_signature", (q) => q.eq("signature", signature))
    .unique();
  if (spent !== null) return false;
  await ctx.db.insert("spentChallenges", { signature, expiresAt });
  const stale = await ctx.db
    .query("spentChallenges")
    .withIndex("by_expiresAt", (q) => q.lt("expiresAt", Date.now()))
    .take(2);
  for (const row of stale) await ctx.db.delete("spentChallenges", row._id);
  return true;
}
