/**
 * Concurrency limits as a deployment enforces them, so a load test here meets the wall it would
 * meet there. Values: Convex's "Limits" page (npm-packages/docs/docs/production/state/limits.mdx,
 * "Concurrent Function Executions", the S16 class of the Free and Starter plans): 16 queries, 16
 * mutations, 64 Convex-runtime actions and HTTP actions (one pool). Behaviour: a function beyond
 * its limit waits for a slot, up to 5 s for a query or mutation and 10 s for an action or HTTP
 * action, then fails with the deployment's rate-limit error
 * (crates/application/src/application_function_runner/mod.rs `Limiter::acquire_permit_with_timeout`,
 * crates/common/src/knobs.rs `APPLICATION_FUNCTION_RUNNER_SEMAPHORE_TIMEOUT` and
 * `APPLICATION_FUNCTION_RUNNER_ACTION_SEMAPHORE_TIMEOUT`; `ErrorMetadata::rate_limited` is HTTP 429,
 * body `{"code": "TooManyConcurrentRequests", "message": ...}`).
 *
 * What holds a slot, as there: a client's query, mutation or action for as long as it runs; an
 * HTTP action until its response body has ended (a streamed reply holds one for its whole life);
 * an action's `ctx.runQuery`/`runMutation`/`runAction` for that call; a scheduled action (one a
 * mutation scheduled) for its run, waiting for a slot as long as it takes (a deployment's scheduler
 * runs due jobs as slots free up; it does not refuse them). Calls inside a query or
 * mutation (components) run in its transaction and take none. Here queries and mutations also
 * wait for convex-test's global lock: a slot is held from the request's arrival, waiting included.
 *
 * Scheduled jobs: a deployment runs at most 8 at once ("Scheduled jobs", S16 8;
 * crates/common/src/knobs.rs `SCHEDULED_JOB_EXECUTION_PARALLELISM`). Its executor
 * (crates/application/src/scheduled_jobs/mod.rs) starts a due job only while fewer run, the
 * others stay `pending` until one ends, nothing is refused; a scheduled action holds its job slot
 * for its whole run (`handle_action` awaits the action), and an action slot besides. Crons do not
 * share that pool: their executor (crates/application/src/cron_jobs/mod.rs) caps its own runs
 * with the same knob, so crons get a pool of the same size of their own.
 */

// Node's own timers and clock: inside a function convex-test and the runtimes replace the globals.
import { clearTimeout, setTimeout } from "node:timers";
import { performance } from "node:perf_hooks";

export type ConcurrencyKind = "query" | "mutation" | "action" | "httpAction" | "scheduledJob" | "cronJob";

export interface ConcurrencyLimits {
  /** Concurrent queries (S16: 16). `LOCAL_MAX_CONCURRENT_QUERIES`. */
  queries: number;
  /** Concurrent mutations (S16: 16). `LOCAL_MAX_CONCURRENT_MUTATIONS`. */
  mutations: number;
  /** Concurrent actions and HTTP actions together (S16: 64). `LOCAL_MAX_CONCURRENT_ACTIONS`. */
  actions: number;
  /**
   * Of those, HTTP actions (default: the whole pool, as on a deployment). Lower it to make a
   * busy deployment with few clients. `LOCAL_MAX_CONCURRENT_HTTP_ACTIONS`.
   */
  httpActions: number;
  /**
   * Scheduled functions running at once (S16: 8), and crons in a pool of their own of the same
   * size; a due job beyond it waits, still `pending`. `LOCAL_MAX_CONCURRENT_SCHEDULED_JOBS`.
   */
  scheduledJobs: number;
  /** How long a query or mutation waits for a slot (5 s). `LOCAL_CONCURRENCY_WAIT_MS`. */
  waitMs: number;
  /** How long an action or HTTP action waits for a slot (10 s). `LOCAL_ACTION_CONCURRENCY_WAIT_MS`. */
  actionWaitMs: number;
}

/** A deployment of the S16 class (Free and Starter plans). */
export const S16_LIMITS: ConcurrencyLimits = {
  queries: 16,
  mutations: 16,
  actions: 64,
  httpActions: 64,
  scheduledJobs: 8,
  waitMs: 5_000,
  actionWaitMs: 10_000,
};

const ENV_NAMES: Record<keyof ConcurrencyLimits, string> = {
  queries: "LOCAL_MAX_CONCURRENT_QUERIES",
  mutations: "LOCAL_MAX_CONCURRENT_MUTATIONS",
  actions: "LOCAL_MAX_CONCURRENT_ACTIONS",
  httpActions: "LOCAL_MAX_CONCURRENT_HTTP_ACTIONS",
  scheduledJobs: "LOCAL_MAX_CONCURRENT_SCHEDULED_JOBS",
  waitMs: "LOCAL_CONCURRENCY_WAIT_MS",
  actionWaitMs: "LOCAL_ACTION_CONCURRENCY_WAIT_MS",
};

/**
 * The limits: S16's, then the `LOCAL_MAX_CONCURRENT_*` variables of `env` (the shell's), then
 * `overrides`. A value that is not a whole number ≥ 1 (≥ 0 for the waits) fails the start.
 */
export function concurrencyLimits(
  env: Record<string, string | undefined>,
  overrides: Partial<ConcurrencyLimits> = {},
): ConcurrencyLimits {
  const limits = { ...S16_LIMITS };
  for (const key of Object.keys(ENV_NAMES) as (keyof ConcurrencyLimits)[]) {
    const raw = env[ENV_NAMES[key]];
    if (raw !== undefined && raw.trim() !== "") limits[key] = Number(raw);
    if (overrides[key] !== undefined) limits[key] = overrides[key];
    const min = key === "waitMs" || key === "actionWaitMs" ? 0 : 1;
    if (!Number.isInteger(limits[key]) || limits[key] < min) {
      throw new Error(`${ENV_NAMES[key]} must be a whole number ≥ ${min}, not ${JSON.stringify(raw ?? limits[key])}`);
    }
  }
  limits.httpActions = Math.min(limits.httpActions, limits.actions);
  return limits;
}

/** The deployment's refusal once a function waited its time for a slot. */
export class TooManyConcurrentRequests extends Error {
  readonly code = "TooManyConcurrentRequests";
  readonly status = 429;
  constructor(limit: number, kind: string) {
    // The deployment's wording: a limit at or below its basic 16 suggests upgrading.
    super(
      `Too many concurrent requests. Your backend is limited to ${limit} concurrent ${kind}s. ${
        limit > 16
          ? "If you need more resources, please contact support."
          : "To get more resources, upgrade to Convex Pro. If you are already on Convex Pro, please contact support."
      }`,
    );
  }
}

/** A counting semaphore whose waiters give up after a time, first come first served. */
class Slots {
  running = 0;
  private readonly waiters: Array<() => void> = [];
  constructor(readonly size: number) {}

  get queued(): number {
    return this.waiters.length;
  }

  /** Resolves true once a slot is held, false if none came within `waitMs` (Infinity: waits). */
  take(waitMs: number): Promise<boolean> {
    if (this.running < this.size) {
      this.running++;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const grant = () => {
        if (timer) clearTimeout(timer);
        this.running++;
        resolve(true);
      };
      const timer =
        waitMs === Infinity
          ? null
          : setTimeout(() => {
              const i = this.waiters.indexOf(grant);
              if (i >= 0) this.waiters.splice(i, 1);
              resolve(false);
            }, waitMs);
      timer?.unref?.();
      this.waiters.push(grant);
    });
  }

  give(): void {
    this.running--;
    this.waiters.shift()?.();
  }
}

export interface ConcurrencyStats {
  /** Per kind: running now, waiting now, the most running at once, refusals so far. */
  [kind: string]: { running: number; waiting: number; peak: number; refused: number };
}

export class Concurrency {
  private readonly slots: Record<ConcurrencyKind, Slots>;
  private readonly peaks = { query: 0, mutation: 0, action: 0, httpAction: 0, scheduledJob: 0, cronJob: 0 };
  private readonly refusals = { query: 0, mutation: 0, action: 0, httpAction: 0, scheduledJob: 0, cronJob: 0 };

  constructor(readonly limits: ConcurrencyLimits) {
    this.slots = {
      query: new Slots(limits.queries),
      mutation: new Slots(limits.mutations),
      action: new Slots(limits.actions),
      httpAction: new Slots(limits.httpActions),
      scheduledJob: new Slots(limits.scheduledJobs),
      cronJob: new Slots(limits.scheduledJobs),
    };
  }

  /**
   * Waits for a slot of `kind` (an HTTP action takes one of its own and one of the actions'
   * pool); returns its release (call once), or throws TooManyConcurrentRequests. A scheduled
   * job or cron waits as long as it takes, as a deployment's scheduler does.
   */
  async acquire(kind: ConcurrencyKind, waitMs?: number): Promise<() => void> {
    const isAction = kind === "action" || kind === "httpAction";
    const isJob = kind === "scheduledJob" || kind === "cronJob";
    waitMs ??= isJob ? Infinity : isAction ? this.limits.actionWaitMs : this.limits.waitMs;
    const deadline = performance.now() + waitMs;
    const taken: Slots[] = [];
    const release = () => {
      for (const s of taken.splice(0)) s.give();
    };
    // An HTTP action takes its own slot first, then one of the pool it shares with actions.
    const order: Array<keyof Concurrency["slots"]> = kind === "httpAction" ? ["httpAction", "action"] : [kind];
    for (const k of order) {
      const slots = this.slots[k];
      if (!(await slots.take(Math.max(0, deadline - performance.now())))) {
        release();
        this.refusals[kind]++;
        const limit = k === "httpAction" ? this.limits.httpActions : slots.size;
        throw new TooManyConcurrentRequests(limit, k === "httpAction" ? "http action" : k);
      }
      taken.push(slots);
      this.peaks[k] = Math.max(this.peaks[k], slots.running);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
    };
  }

  /** Runs `fn` holding a slot of `kind`. */
  async run<T>(kind: ConcurrencyKind, fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire(kind);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  stats(): ConcurrencyStats {
    const out: ConcurrencyStats = {};
    for (const k of Object.keys(this.slots) as Array<keyof Concurrency["slots"]>) {
      out[k] = {
        running: this.slots[k].running,
        waiting: this.slots[k].queued,
        peak: this.peaks[k],
        refused: this.refusals[k],
      };
    }
    return out;
  }
}
