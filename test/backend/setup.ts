/// <reference types="vite/client" />
// Shared convex-test setup for the backend suite: our app plus both components, and helpers.
import { convexTest } from "convex-test";
import streamingTest from "@convex-dev/persistent-text-streaming/test";
import rateLimiterTest from "@convex-dev/rate-limiter/test";
import { ConvexError, type Value } from "convex/values";
import { solveChallenge } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/web/pbkdf2";
import { expect } from "vitest";
import { api, components, internal } from "../../convex/_generated/api";
import schema from "../../convex/schema";
import { startFakeSiteverify } from "../support/fake-providers";

export const modules = import.meta.glob("../../convex/**/*.*s");

export function setup() {
  const t = convexTest(schema, modules);
  streamingTest.register(t, "persistentTextStreaming");
  rateLimiterTest.register(t, "rateLimiter");
  return t;
}
/** A test accessor (the root, or one from `withIdentity`). */
export type T = Omit<ReturnType<typeof setup>, "registerComponent">;

/** Env vars a test sets, restored afterwards (`afterEach(restoreEnv)`). */
const saved = new Map<string, string | undefined>();
export function setEnv(vars: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(vars)) {
    if (!saved.has(k)) saved.set(k, process.env[k]);
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}
export function restoreEnv(): void {
  for (const [k, v] of saved) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  saved.clear();
}

/** Asserts that `promise` rejects with ConvexError data `{ code }` and returns the data. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<Record<string, Value>> {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(ConvexError);
  const data = (caught as ConvexError<Record<string, Value>>).data;
  expect(data.code).toBe(code);
  expect(typeof data.message).toBe("string");
  return data;
}

export const OPERATOR_SECRET = "operator-secret-for-tests-0123456789";

/** Signs in with OPERATOR_SECRET (sets it); returns the operator session token. */
export async function operatorSession(t: T, name = "Ops"): Promise<string> {
  setEnv({ OPERATOR_SECRET });
  const result = await t.mutation(api.operator.signIn, { secret: OPERATOR_SECRET, name });
  if (!result.ok) throw new Error(result.message);
  return result.sessionToken;
}

/**
 * A thread with a new visitor token. The token is minted as `POST /visitors` mints one after its
 * check (proof of work, on by default, is tested in abuse.test.ts; here it is taken as passed).
 */
export async function newThread(t: T, origin?: string) {
  const { token } = await t.mutation(internal.visitors.mint, { humanChecked: true });
  return await t.mutation(api.threads.create, origin === undefined ? { token } : { token, origin });
}

/** Sends a prompt to a thread the AI answers; returns the IDs of the prompt and its reply. */
export async function send(t: T, threadId: string, token: string, prompt = "Hello there") {
  return started(await t.mutation(api.messages.send, { threadId, token, prompt }));
}

/** A send's result when it started a reply (no operator held the thread), its IDs narrowed. */
export function started<S extends { assistantMessageId?: string; streamId?: string; heldBy?: string }>(sent: S) {
  const { assistantMessageId, streamId } = sent;
  if (assistantMessageId === undefined || streamId === undefined) throw new Error(`no reply: ${sent.heldBy} holds it`);
  return { ...sent, assistantMessageId, streamId };
}

/** Sends a prompt and drives its reply to the end, charged; returns the body text. */
export async function chat(t: T, threadId: string, token: string, prompt?: string) {
  const { streamId } = await send(t, threadId, token, prompt);
  const { text } = await readBody(await drive(t, token, { streamId }));
  await charged(t);
  return text;
}

/**
 * Waits for the charges replies' ends have scheduled (`usage:settle`, its own mutation a moment
 * after the end, `lib/budget.ts`). Real timers (or only `Date` faked).
 */
export async function charged(t: T): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  await t.finishInProgressScheduledFunctions();
}

/** A fresh backend with a thread and one prompt sent: what most tests start from. */
export async function newChat(prompt?: string) {
  const t = setup();
  const { threadId, token } = await newThread(t);
  return { t, threadId, token, ...(await send(t, threadId, token, prompt)) };
}

/** POSTs /chat-stream for a stream. */
export async function drive(t: T, token: string | null, body: unknown, headers: Record<string, string> = {}) {
  return await t.fetch("/chat-stream", {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      ...(token === null ? {} : { Authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** A response body read to its end: the chunks as they arrived, their text, and the error it ended with, if any. */
export async function readBody(res: Response): Promise<{ chunks: string[]; text: string; error: unknown }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const chunks: string[] = [];
  let error: unknown = null;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(decoder.decode(value, { stream: true }));
    }
  } catch (e) {
    error = e;
  }
  return { chunks, text: chunks.join(""), error };
}

/** The component's own view of a stream (what the stock `getStreamBody` returns). */
export async function componentBody(t: T, streamId: string) {
  return await t.query(components.persistentTextStreaming.lib.getStreamText, { streamId });
}

/**
 * A finished reply at rest: once its scheduled deletions have run, its component stream (with
 * its chunks) and its deltas are gone, and the message's text is its one copy.
 */
export async function expectAtRest(t: T, streamId: string): Promise<void> {
  const deltas = () =>
    t.run(async (ctx) =>
      ctx.db
        .query("deltas")
        .withIndex("by_stream_seq", (q) => q.eq("streamId", streamId))
        .take(1),
    );
  await waitFor(deltas, (rows) => rows.length === 0);
  await expect(componentBody(t, streamId)).rejects.toThrow(/Stream not found/);
}

/** Everything `streams:read` returns, page by page from cursor 0. */
export async function readAll(t: T, streamId: string, token: string) {
  let cursor = 0;
  let text = "";
  let pages = 0;
  for (;;) {
    const slice = await t.query(api.streams.read, { streamId, token, cursor });
    expect(slice.start).toBe(text.length);
    text += slice.text;
    cursor = slice.cursor;
    pages++;
    if (!slice.more) return { text, status: slice.status, pages, cursor };
  }
}

export async function waitFor<V>(fn: () => Promise<V>, pred: (v: V) => boolean, timeoutMs = 5000): Promise<V> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (pred(value)) return value;
    if (Date.now() > until) throw new Error(`timed out; last value ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A solved proof-of-work challenge from `GET /chat-stream`, as the widget sends it (`pow`). Tests
 * that are not about its cost make it cheap first (`cheapPow`).
 */
export async function solvedPow(t: T): Promise<string> {
  const res = await t.fetch("/chat-stream", { method: "GET" });
  const { pow: challenge } = (await res.json()) as { pow: Parameters<typeof solveChallenge>[0]["challenge"] };
  const solution = await solveChallenge({ challenge, deriveKey });
  if (!solution) throw new Error("no solution");
  return JSON.stringify({ challenge, solution: { counter: solution.counter, derivedKey: solution.derivedKey } });
}

/** Proof of work still on, at a cost a test pays in milliseconds (1 iteration × at most 4 numbers). */
export function cheapPow(): void {
  setEnv({ POW_COST: "1", POW_MAX_NUMBER: "4" });
}

type UsageRow = { day: string; key: string; tokens: number; reserved?: number };

/**
 * Every `tokenUsage` row as the next send would see it: a deployment shard's row with the charges
 * still waiting to be folded into it (`usageCharges`, convex/lib/budget.ts), a shard with only
 * charges as a row of its own. Read-only: nothing is folded in the database.
 */
export async function usageRows(t: T): Promise<UsageRow[]> {
  return await t.run(async (ctx) => {
    const rows: UsageRow[] = (await ctx.db.query("tokenUsage").collect()).map((r) => ({ ...r }));
    for (const charge of await ctx.db.query("usageCharges").collect()) {
      let row = rows.find((r) => r.day === charge.day && r.key === charge.key);
      if (!row) rows.push((row = { day: charge.day, key: charge.key, tokens: 0, reserved: 0 }));
      row.tokens += charge.tokens;
      row.reserved = Math.max(0, (row.reserved ?? 0) + charge.reserved);
    }
    return rows;
  });
}

/**
 * Turnstile on, against a fake siteverify on 127.0.0.1 that accepts only `valid`, once. Sets the
 * deployment's variables (restoreEnv unsets them); returns the tokens it was asked about and its close.
 */
export async function fakeSiteverify(valid: string): Promise<{ asked: string[]; close: () => Promise<void> }> {
  const siteverify = await startFakeSiteverify((token) => token === valid);
  setEnv({ TURNSTILE_SECRET_KEY: "ts-secret", TURNSTILE_VERIFY_URL: siteverify.url });
  return siteverify;
}
