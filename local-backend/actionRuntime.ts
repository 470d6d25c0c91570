// How long an action's JavaScript may keep doing things, as the Convex isolate decides it
// (get-convex/convex-backend crates/isolate/src/environment/action/mod.rs):
// - an HTTP action runs until its response body has ended (or it never streamed one and
//   returned); then the isolate is dropped and its running tasks are shut down
//   (`ActionEnvironment::drop` -> `running_tasks.shutdown()`), so work still pending -
//   a `ctx.runMutation` after `writer.close()`/`abort()`, a timer, a fetch - never happens;
// - a plain action ends when its handler's promise settles, with the same effect on work it
//   left running;
// - either is stopped after the action time limit (knobs.rs V8_ACTION_USER_TIMEOUT, 30
//   minutes) with "Function execution timed out (maximum duration: ...)" (termination.rs).
//
// Node cannot stop a function's JavaScript, so once an execution has ended every effect it
// could still have is cut off: ctx.runQuery/runMutation/runAction, the scheduler and
// storage never settle (the code after them never runs, as on a deployment), timers are
// cleared and fetches aborted. A warning names the function, since this is almost always a
// bug that a deployment would hide (the work silently never happens).
import { clearTimeout, setImmediate, setTimeout } from "node:timers";

/** knobs.rs V8_ACTION_USER_TIMEOUT_SECS default (limits.mdx: Convex runtime actions, 30 minutes). */
export const DEFAULT_ACTION_TIMEOUT_MS = 30 * 60_000;

/** termination.rs: `Function execution timed out (maximum duration: {Duration:?})`. */
export function timeoutMessage(ms: number): string {
  return `Function execution timed out (maximum duration: ${ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`})`;
}

/** One run of an action or HTTP action: ends once, then cuts off what it left running. */
export class ActionExecution {
  /** Why it ended, once it has. */
  endReason: string | null = null;
  readonly ended: Promise<string>;
  private resolveEnded!: (reason: string) => void;
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private fetches = new Set<AbortController>();
  private warned = false;

  constructor() {
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  /**
   * Ends this execution after `ms` with the deployment's timeout message. Returns a promise
   * that rejects with that error then (and never settles otherwise), to race the handler with.
   */
  limitTime(ms: number): Promise<never> {
    const timer = setTimeout(() => this.end(timeoutMessage(ms)), ms);
    timer.unref();
    return this.ended.then((reason) => {
      clearTimeout(timer);
      if (reason === timeoutMessage(ms)) throw new Error(reason);
      return new Promise<never>(() => {});
    });
  }

  end(reason: string) {
    if (this.endReason !== null) return;
    this.endReason = reason;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const f of this.fetches) f.abort(new Error(`the action ended (${reason})`));
    this.fetches.clear();
    this.resolveEnded(reason);
  }

  /** `fn` unless the execution has ended; then a promise that never settles, and one warning. */
  private gate<A extends unknown[], R>(what: string, fn: (...a: A) => Promise<R>): (...a: A) => Promise<R> {
    return async (...args: A) => {
      // One event-loop turn first: the site server sees a body that was just closed or
      // aborted (and ends this execution) in microtasks, so a call made right after
      // `await writer.close()` is judged as the deployment judges it - too late.
      await new Promise((resolve) => setImmediate(resolve));
      if (this.endReason === null) return fn(...args);
      if (!this.warned) {
        this.warned = true;
        console.warn(
          `${what} called after ${this.endReason}: a deployment has stopped this function by then, so it does not run ` +
            `(nor does any code awaiting it). Do this work before the response body ends.`,
        );
      }
      return new Promise<R>(() => {});
    };
  }

  /** The ctx the handler gets: every call that has an effect goes through the gate. */
  wrapContext<C extends Record<string, any>>(ctx: C): C {
    const bindAll = (obj: Record<string, any> | undefined, prefix: string) => {
      if (!obj) return obj;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(obj)) {
        const v = obj[key];
        out[key] = typeof v === "function" ? this.gate(`${prefix}.${key}`, v.bind(obj)) : v;
      }
      return out;
    };
    return {
      ...ctx,
      runQuery: this.gate("ctx.runQuery", ctx.runQuery),
      runMutation: this.gate("ctx.runMutation", ctx.runMutation),
      runAction: this.gate("ctx.runAction", ctx.runAction),
      scheduler: bindAll(ctx.scheduler, "ctx.scheduler"),
      storage: bindAll(ctx.storage, "ctx.storage"),
    };
  }

  /**
   * Per-call timers and fetch that this execution can cut off. Call inside convex-test's
   * per-handler globals scope (an action's handler), where assigning a global is per call.
   */
  applyGlobals() {
    const g = globalThis as unknown as Record<string, any>;
    const baseSetTimeout = g.setTimeout as typeof setTimeout;
    const baseSetInterval = g.setInterval as typeof setInterval;
    const baseFetch = g.fetch as typeof fetch;
    g.setTimeout = ((cb: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      if (this.endReason !== null) return baseSetTimeout(() => {}, 0);
      const handle = baseSetTimeout(() => {
        this.timers.delete(handle);
        if (this.endReason === null) cb(...args);
      }, ms);
      this.timers.add(handle);
      return handle;
    }) as typeof setTimeout;
    g.setInterval = ((cb: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      const handle = baseSetInterval(cb, ms, ...args);
      if (this.endReason !== null) clearInterval(handle);
      else this.timers.add(handle);
      return handle;
    }) as typeof setInterval;
    g.fetch = this.gate("fetch", (input: RequestInfo | URL, init?: RequestInit) => {
      const abort = new AbortController();
      this.fetches.add(abort);
      const signal = init?.signal ? AbortSignal.any([abort.signal, init.signal]) : abort.signal;
      return baseFetch(input, { ...init, signal }).finally(() => this.fetches.delete(abort));
    });
  }
}
