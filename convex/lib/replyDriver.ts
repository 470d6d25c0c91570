/**
 * Drives one reply: sends each piece of the model's text to the response body at once and
 * persists it through the flush policy. No Convex and no timers of its own: persistence, the
 * response body and the clock are injected, so it is unit-tested without HTTP
 * (test/backend/replyDriver.test.ts); `convex/chat.ts` wires it to the internal mutations.
 *
 * - Flushes run one at a time, in order, so deltas get consecutive seqs; what comes due while one
 *   is in flight goes with the next, so a slow (busy) deployment gets fewer, bigger flushes.
 * - One timer: the policy's next deadline, or the heartbeat when nothing is pending, so a stop
 *   requested while the model is silent is seen within `stopPollMs`, and the reply's lease is
 *   renewed while the driver lives (a dead driver's reply ends when the lease lapses).
 * - A client that disconnects does not stop generation: persistence goes on to the end, and
 *   observers see it all. A stop request (or a refused flush) aborts the model.
 * - The final write is retried; if the driver fails anyway, the reply is ended as `error`.
 * - The reply's model tokens go to `finish` (charged to the daily budgets): the provider's
 *   reported usage, else an estimate from the characters in and out (a stopped reply gets no
 *   report, and it still cost what it generated).
 * - Nothing that must happen comes after the body ends: on a deployment the isolate stops when
 *   the response body ends and cancels the work still pending, so every path persists the
 *   reply's end first and then closes or aborts the body.
 */
import { isTurnedAwayForLoad } from "./chatProtocol";
import { estimateTokens } from "./budget";
import { REPLY_ERRORS } from "./errors";
import type { FlushPolicy } from "./flushPolicy";
import { wellFormed } from "./text";

export type ReplyEnd = {
  text: string;
  status: "done" | "stopped" | "error";
  error: string | null;
  /** Model tokens (input + output) the reply cost: provider-reported, else estimated. */
  tokens: number;
};

/** The reply's persistence: the internal mutations `chat:flush`, `chat:heartbeat`, `chat:finish`. */
export interface ReplyStore {
  /** Appends `text`; `stop: true` when the reply should end now. */
  flush(text: string): Promise<{ stop: boolean }>;
  /** Between flushes: renews the reply's lease; `true` if it was stopped (or deleted) meanwhile. */
  heartbeat(): Promise<boolean>;
  /** Persists the tail and the final status. */
  finish(end: ReplyEnd): Promise<void>;
}

/** The HTTP response body. */
export interface ReplyBody {
  write(text: string): Promise<void>;
  close(): Promise<void>;
  abort(reason: string): Promise<void>;
}

export type TimerHandle = unknown;
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export type ReplyDriverOptions = {
  store: ReplyStore;
  body: ReplyBody;
  /** Built on the same clock. */
  policy: FlushPolicy;
  clock?: Clock;
  /** Without a persistence round trip for this long, send a heartbeat (renews the lease, reads stop). */
  stopPollMs?: number;
  /** The final write is tried this many times (a lost finish leaves the reply `streaming`). */
  finishAttempts?: number;
  /** A sentence a person can read for a model failure (never the provider's raw message). */
  describeModelError: (error: unknown) => string;
  /** Characters sent to the model (history and system prompt), for the usage estimate. */
  inputChars?: number;
};

/**
 * The model's text deltas; it should end early (without throwing) when `signal` aborts, and call
 * `reportUsage` with the reply's total tokens when the provider reports them.
 */
export type ModelStream = (signal: AbortSignal, reportUsage: (totalTokens: number) => void) => AsyncIterable<string>;

export class ReplyDriver {
  private readonly store: ReplyStore;
  private readonly body: ReplyBody;
  private readonly policy: FlushPolicy;
  private readonly clock: Clock;
  private readonly stopPollMs: number;
  private readonly finishAttempts: number;
  private readonly describeModelError: (error: unknown) => string;
  private readonly inputChars: number;

  private readonly model = new AbortController();
  private clientOpen = true;
  /** The first half of a surrogate pair that ended the last delta, held until its second half. */
  private heldHalf = "";
  private stopRequested = false;
  private saveFailed = false;
  /** When the last persistence round trip (flush or stop poll) ended. */
  private lastRoundTripAt: number;
  private persisting: Promise<void> = Promise.resolve();
  /** Text due for a flush, waiting for the one in flight (`flushing`) to end. */
  private unsaved = "";
  private flushing = false;
  /** Ends the rest between two flushes early (the model ended: the rest goes now). */
  private endRest = () => {};
  private timer: TimerHandle | undefined;
  /** When `timer` is due (clock ms). */
  private timerAt = Number.POSITIVE_INFINITY;
  private generating = true;
  private outputChars = 0;
  private reportedTokens: number | null = null;

  constructor(options: ReplyDriverOptions) {
    this.store = options.store;
    this.body = options.body;
    this.policy = options.policy;
    this.clock = options.clock ?? systemClock;
    this.stopPollMs = options.stopPollMs ?? 1000;
    this.finishAttempts = options.finishAttempts ?? 3;
    this.describeModelError = options.describeModelError;
    this.inputChars = options.inputChars ?? 0;
    this.lastRoundTripAt = this.clock.now();
  }

  /** Runs the reply to its end. Never throws: a failure ends the reply as `error`. */
  async run(stream: ModelStream): Promise<void> {
    try {
      await this.drive(stream);
    } catch (error) {
      console.error("chat-stream driver failed", error instanceof Error ? error.message : String(error));
      // Don't leave the reply `streaming` until its lease lapses: end it (text so far kept). First:
      // on a deployment, work still pending when the body ends is cancelled.
      await this.store
        .finish({ text: "", status: "error", error: REPLY_ERRORS.failed, tokens: this.tokensUsed() })
        .catch(() => {});
      await this.body.abort(REPLY_ERRORS.failed).catch(() => {});
    }
  }

  private async drive(stream: ModelStream): Promise<void> {
    let end: Omit<ReplyEnd, "text" | "tokens"> = { status: "done", error: null };
    this.arm();
    try {
      const reportUsage = (totalTokens: number) => (this.reportedTokens = totalTokens);
      for await (const delta of stream(this.model.signal, reportUsage)) {
        this.outputChars += delta.length;
        if (this.stopRequested) break;
        this.send(delta);
        const due = this.policy.push(delta);
        if (due !== null) this.persist(due);
        this.arm();
      }
      if (this.stopRequested) end = { status: "stopped", error: null };
    } catch (error) {
      if (this.stopRequested) end = { status: "stopped", error: null };
      else {
        // Which failure it was, for whoever reads the logs: the sentence saved says only what a person needs.
        console.error("chat-stream model failed:", errorKinds(error));
        end = { status: "error", error: this.describeModelError(error) };
      }
    }
    this.generating = false;
    this.endRest();
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    await this.persisting;
    if (this.saveFailed && end.status !== "error") end = { status: "error", error: REPLY_ERRORS.notSaved };
    // A model that ended on half a character (a broken stream): keep a U+FFFD, not a refused write.
    if (this.heldHalf) {
      this.heldHalf = "";
      this.send("\ufffd");
    }
    const tail = wellFormed(this.policy.finish());
    await this.finishWithRetries({ text: this.saveFailed ? "" : tail, ...end, tokens: this.tokensUsed() });
    try {
      if (end.status === "error") await this.body.abort(end.error ?? REPLY_ERRORS.failed);
      else await this.body.close();
    } catch {
      // The client is gone; nothing to tell it.
    }
  }

  private tokensUsed(): number {
    return this.reportedTokens ?? estimateTokens(this.inputChars, this.outputChars);
  }

  /**
   * To the client at once; a closed client only stops the copying, not the reply. A delta that
   * ends in half an emoji keeps that half for the next write: encoded alone, each half would
   * reach the page as U+FFFD.
   */
  private send(delta: string): void {
    let text = this.heldHalf + delta;
    this.heldHalf = "";
    const last = text.charCodeAt(text.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.heldHalf = text.slice(-1);
      text = text.slice(0, -1);
    }
    if (!this.clientOpen || text === "") return;
    this.body.write(text).catch(() => {
      this.clientOpen = false;
    });
  }

  private requestStop(): void {
    if (this.stopRequested) return;
    this.stopRequested = true;
    this.model.abort();
  }

  /**
   * One flush in flight at a time; text that comes due meanwhile waits and goes with the next. A
   * busy deployment answers flushes later, so a reply then writes less often, in bigger pieces,
   * instead of queuing a mutation for every piece the policy let out (bench row 10: at 100 replies
   * at once, queued flushes outlived their replies by a minute).
   */
  private persist(text: string): void {
    this.unsaved += text;
    if (this.flushing) return;
    this.flushing = true;
    this.persisting = this.persisting.then(async () => {
      // After a refused flush nothing more is saved: the stored reply stays a prefix of what the
      // model wrote (ended as not saved completely), never text with a hole in it.
      while (this.unsaved !== "" && !this.saveFailed) {
        const next = this.unsaved;
        this.unsaved = "";
        const sentAt = this.clock.now();
        try {
          if ((await this.flushWithRetries(next)).stop) this.requestStop();
        } catch (error) {
          this.saveFailed = true;
          this.requestStop();
          console.error("flush failed", error instanceof Error ? error.message : String(error));
        } finally {
          this.lastRoundTripAt = this.clock.now();
        }
        // A slow answer means a busy deployment: rest FLUSH_REST times as long before the next,
        // so a reply holds a mutation slot at most a quarter of the time then (until the model ends).
        const roundTrip = this.lastRoundTripAt - sentAt;
        const rest = roundTrip >= BUSY_ROUND_TRIP_MS ? Math.min(FLUSH_REST * roundTrip, MAX_FLUSH_REST_MS) : 0;
        if (this.generating && rest > 0)
          await new Promise<void>((resolve) => {
            const timer = this.clock.setTimeout(() => resolve(), rest);
            this.endRest = () => {
              this.clock.clearTimeout(timer);
              resolve();
            };
          });
        this.endRest = () => {};
      }
      this.flushing = false;
    });
  }

  /**
   * A flush the deployment turned away because all its mutation slots were busy never ran, so
   * sending it again cannot double its text: it is retried (0.5, 1, 2, 4 s apart) while the model
   * keeps streaming to the client. Any other failure, or a deployment still busy after that, ends
   * the reply as not saved completely.
   */
  private async flushWithRetries(text: string): Promise<{ stop: boolean }> {
    return await retryWhileBusy(() => this.store.flush(text), this.clock);
  }

  private pollStop(): void {
    this.lastRoundTripAt = this.clock.now();
    this.persisting = this.persisting.then(async () => {
      if (await this.store.heartbeat().catch(() => false)) this.requestStop();
    });
  }

  private arm(): void {
    if (!this.generating) return;
    // While flushes are under way no heartbeat is due (onTimer): look again in stopPollMs.
    const pollAt = (this.flushing ? this.clock.now() : this.lastRoundTripAt) + this.stopPollMs;
    const deadline = Math.min(this.policy.nextDeadline() ?? pollAt, pollAt);
    // A timer due no later is kept: firing early, it finds nothing due and arms again. Replacing
    // it on every token cost a timer per token (bench row 10: 5,000 tokens a second).
    if (this.timer !== undefined && this.timerAt <= deadline) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerAt = deadline;
    this.timer = this.clock.setTimeout(() => this.onTimer(), Math.max(0, deadline - this.clock.now()));
  }

  private onTimer(): void {
    this.timer = undefined;
    if (!this.generating) return;
    const due = this.policy.poll();
    if (due !== null) this.persist(due);
    // While flushes are under way (one in flight, or resting between two) they renew the lease and
    // read stop: a heartbeat would only wait behind them.
    else if (!this.flushing && this.clock.now() - this.lastRoundTripAt >= this.stopPollMs) this.pollStop();
    this.arm();
  }

  private async finishWithRetries(end: ReplyEnd): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.finish(end);
        return;
      } catch (error) {
        if (attempt >= this.finishAttempts) throw error;
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, 100 * attempt));
      }
    }
  }
}

/**
 * An error's kind down its causes, e.g. "AI_APICallError (HTTP 200) <- TypeError <- BodyTimeoutError
 * (UND_ERR_BODY_TIMEOUT)" (a provider's response body broke off: which side, which timer): names,
 * codes, types and statuses only, never a message (a provider's may echo a key), and only those
 * shaped like identifiers.
 */
export function errorKinds(error: unknown): string {
  const identifier = (x: unknown) => (typeof x === "string" && /^[\w$.-]{1,60}$/.test(x) ? x : null);
  const kinds: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const o = e as { name?: unknown; code?: unknown; type?: unknown; statusCode?: unknown; cause?: unknown };
    const details = [
      identifier(typeof o.code === "number" ? String(o.code) : o.code),
      // A provider's in-stream error event is a plain object: its type says which ("overloaded_error").
      identifier(o.type),
      typeof o.statusCode === "number" ? `HTTP ${o.statusCode}` : null,
    ].filter((d) => d !== null);
    const name = (typeof e === "object" && identifier(o.name)) || (e instanceof Error ? "Error" : typeof e);
    kinds.push(details.length > 0 ? `${name} (${details.join(", ")})` : name);
    e = typeof e === "object" ? o.cause : undefined;
  }
  return kinds.join(" <- ");
}

/** A flush answers in tens of milliseconds; one this slow means a busy deployment... */
const BUSY_ROUND_TRIP_MS = 100;
/** ...and then, wait this many times its round trip before the next (see `persist`)... */
const FLUSH_REST = 3;
/** ...but no longer than this: each flush renews the reply's lease (30 s). */
const MAX_FLUSH_REST_MS = 5_000;

/** Tries of one call (a flush) while the deployment is at its concurrency limit. */
const BUSY_ATTEMPTS = 5;

/**
 * `call`, sent again (0.5, 1, 2, 4 s apart) while the deployment turns it away for load: such a
 * call never ran, so sending it again cannot do it twice. Other failures are thrown at once.
 */
export async function retryWhileBusy<T>(call: () => Promise<T>, clock: Clock = systemClock): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= BUSY_ATTEMPTS || !isTurnedAwayForLoad(error)) throw error;
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 250 * 2 ** attempt));
    }
  }
}
