// Crons and scheduled functions.
//
// - Scheduled functions (ctx.scheduler.runAfter/runAt): convex-test already arms a timer
//   per job that fires at its time. What it cannot do is survive a restart: jobs restored
//   from disk have no timer. `resumeScheduledFunctions` arms them, running them the way
//   convex-test does (pending -> inProgress -> success/failed in `_scheduled_functions`).
// - Crons: convex-test never runs them. We read each `crons.ts` default export (app and
//   every component, e.g. the streaming component's "cleanup expired streams"), compute
//   next run times, and call the function through the engine when due. The last/next run
//   of each cron is saved with the data.
// - Time: everything here reads Date.now() inside the backend's scope, so a test can move
//   the backend's clock forward (`advanceTime`) and the real cron definitions run as they
//   would that much later, including Date.now() inside the functions.
// - Concurrency: a restored job waits for a scheduled-job slot before it starts, and a cron for
//   one of the crons' own pool (concurrency.ts), as convex-test's timers do (engine.ts).
import { clearTimeout, setTimeout } from "node:timers";
import type { Value } from "convex/values";
import type { CronSpec, Engine } from "./engine.js";
import { requestStorage } from "./runtime.js";

const MAX_TIMER_MS = 10_000;

export interface SchedulerState {
  crons: Record<string, { nextRun: number; lastRun: number | null }>;
}

export class Scheduler {
  private timer: NodeJS.Timeout | null = null;
  private jobTimers = new Set<NodeJS.Timeout>();
  private state: SchedulerState = { crons: {} };
  private running = new Set<string>();
  private stopped = false;
  /** Resolved when the in-flight cron runs finish (tests wait on it). */
  private inFlight = new Set<Promise<void>>();

  constructor(
    private engine: Engine,
    private log: (level: "log" | "error", line: string) => void,
    private onStateChange: () => void,
  ) {}

  private now(): number {
    return this.engine.inScope(() => Date.now());
  }

  static key(c: CronSpec) {
    return `${c.componentPath}|${c.name}`;
  }

  /** Restore saved cron state (if any) and start the loop. */
  start(saved: unknown) {
    const prior = (saved as SchedulerState | undefined)?.crons ?? {};
    const now = this.now();
    for (const cron of this.engine.crons) {
      const key = Scheduler.key(cron);
      const p = prior[key];
      // A cron due while the backend was down runs once right away, like a missed run.
      this.state.crons[key] = p ? { ...p } : { nextRun: nextRunAfter(cron.schedule, now), lastRun: null };
    }
    this.resumeScheduledFunctions();
    this.arm();
  }

  getState(): SchedulerState {
    return this.state;
  }

  /** Start the crons that are due now (after the clock moved); `idle()` waits for them. */
  poke() {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.tick();
  }

  async stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const t of this.jobTimers) clearTimeout(t);
    this.jobTimers.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  /** Wait for cron runs in progress (used by tests after advancing time). */
  async idle() {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private arm() {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    const next = Math.min(...Object.values(this.state.crons).map((c) => c.nextRun), Infinity);
    const wait = next === Infinity ? MAX_TIMER_MS : Math.max(0, Math.min(MAX_TIMER_MS, next - this.now()));
    this.timer = setTimeout(() => this.tick(), wait);
    this.timer.unref?.();
  }

  private tick() {
    this.timer = null;
    if (this.stopped) return;
    const now = this.now();
    for (const cron of this.engine.crons) {
      const key = Scheduler.key(cron);
      const s = this.state.crons[key];
      if (!s || s.nextRun > now) continue;
      s.lastRun = now;
      s.nextRun = nextRunAfter(cron.schedule, now);
      this.onStateChange();
      // Like Convex, a cron whose previous run is still going skips this run.
      if (this.running.has(key)) continue;
      this.running.add(key);
      const p = this.runCron(cron).finally(() => {
        this.running.delete(key);
        this.inFlight.delete(p);
      });
      this.inFlight.add(p);
    }
    this.arm();
  }

  private async runCron(cron: CronSpec) {
    const label = `${cron.componentPath ? cron.componentPath + "/" : ""}${cron.udfPath}`;
    const release = await this.slot("cronJob");
    try {
      await this.engine.inScope(() =>
        requestStorage.run({ logLines: [] }, () =>
          this.engine.t.fun({ componentPath: cron.componentPath, udfPath: cron.udfPath }, cron.args),
        ),
      );
    } catch (e) {
      this.log("error", `cron "${cron.name}" (${label}) failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      release();
    }
  }

  /** One of the deployment's slots for a job (none without concurrency limits: engine unit tests). */
  private slot(kind: "scheduledJob" | "cronJob"): Promise<() => void> {
    return this.engine.scope.concurrency?.acquire(kind) ?? Promise.resolve(() => {});
  }

  /** Arm timers for `_scheduled_functions` restored from disk (convex-test armed none). */
  private resumeScheduledFunctions() {
    for (const [componentPath] of this.engine.dbs) {
      for (const job of this.engine.documents(componentPath, "_scheduled_functions")) {
        const state = job.state as { kind: string };
        const id = job._id as string;
        if (state.kind === "inProgress") {
          // It was running when the backend stopped; like an action interrupted by a
          // restart, it is not retried.
          void this.patchJob(componentPath, id, { state: { kind: "failed" }, completedTime: this.now() });
        } else if (state.kind === "pending") {
          const wait = Math.max(0, (job.scheduledTime as number) - this.now());
          const t = setTimeout(() => {
            this.jobTimers.delete(t);
            const p = this.runJob(componentPath, id).finally(() => this.inFlight.delete(p));
            this.inFlight.add(p);
          }, wait);
          this.jobTimers.add(t);
        }
      }
    }
  }

  private patchJob(componentPath: string, id: string, value: Record<string, unknown>) {
    const db = this.engine.dbs.get(componentPath)!;
    return this.engine.inScope(() =>
      this.engine.t.runInComponent(componentPath, async () => {
        if (db.get("_scheduled_functions", id)) db.patch("_scheduled_functions", id, value);
      }),
    );
  }

  private async runJob(componentPath: string, id: string) {
    const release = await this.slot("scheduledJob");
    try {
      await this.runJobHoldingSlot(componentPath, id);
    } finally {
      release();
    }
  }

  private async runJobHoldingSlot(componentPath: string, id: string) {
    if (this.stopped) return;
    const db = this.engine.dbs.get(componentPath)!;
    const job = await this.engine.inScope(() =>
      this.engine.t.runInComponent(componentPath, async () => {
        const doc = db.get("_scheduled_functions", id);
        if (!doc || (doc.state as { kind: string }).kind !== "pending") return null;
        db.patch("_scheduled_functions", id, { state: { kind: "inProgress" } });
        return doc;
      }),
    );
    if (!job) return;
    let kind = "success";
    try {
      await this.engine.inScope(() =>
        requestStorage.run({ logLines: [] }, () =>
          this.engine.t.fun(
            { componentPath, udfPath: job.name as string },
            (job.args as Value[])[0] as Record<string, Value>,
          ),
        ),
      );
    } catch (e) {
      kind = "failed";
      this.log(
        "error",
        `scheduled function ${job.name as string} failed: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    await this.patchJob(componentPath, id, { state: { kind }, completedTime: this.now() });
  }
}

// ---- schedules ----

const DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

/** The first run time strictly after `now` (for interval crons: `now` + interval). */
export function nextRunAfter(schedule: CronSpec["schedule"], now: number): number {
  const s = schedule as Record<string, unknown>;
  switch (schedule.type) {
    case "interval": {
      const ms =
        ((s.seconds as number) ?? 0) * 1000 +
        ((s.minutes as number) ?? 0) * 60_000 +
        ((s.hours as number) ?? 0) * 3_600_000;
      return now + Math.max(ms, 1000);
    }
    case "hourly":
      return nextCron(`${(s.minuteUTC as number) ?? 0} * * * *`, now);
    case "daily":
      return nextCron(`${(s.minuteUTC as number) ?? 0} ${s.hourUTC as number} * * *`, now);
    case "weekly": {
      const dow = typeof s.dayOfWeek === "string" ? DAYS.indexOf(s.dayOfWeek) : (s.dayOfWeek as number);
      return nextCron(`${(s.minuteUTC as number) ?? 0} ${s.hourUTC as number} * * ${dow}`, now);
    }
    case "monthly":
      return nextCron(`${(s.minuteUTC as number) ?? 0} ${s.hourUTC as number} ${s.day as number} * *`, now);
    case "cron":
      return nextCron(s.cron as string, now);
    default:
      return now + 60_000;
  }
}

function parseField(field: string, min: number, max: number): Set<number> {
  const out = new Set<number>();
  for (const part of field.split(",")) {
    const [range, stepText] = part.split("/");
    const step = stepText ? Number(stepText) : 1;
    let lo = min;
    let hi = max;
    if (range !== "*") {
      const [a, b] = range.split("-");
      lo = Number(a);
      hi = b !== undefined ? Number(b) : stepText ? max : lo;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** Next UTC minute after `now` matching a 5-field cron expression (6 fields: seconds ignored). */
export function nextCron(expr: string, now: number): number {
  let fields = expr.trim().split(/\s+/);
  if (fields.length === 6) fields = fields.slice(1);
  const [mi, h, dom, mon, dow] = fields;
  const minutes = parseField(mi, 0, 59);
  const hours = parseField(h, 0, 23);
  const doms = parseField(dom, 1, 31);
  const months = parseField(mon, 1, 12);
  const dows = new Set([...parseField(dow, 0, 7)].map((d) => d % 7));
  const d = new Date(Math.floor(now / 60_000) * 60_000 + 60_000);
  for (let i = 0; i < 366 * 24 * 60; i++) {
    const domOk = dom === "*" || doms.has(d.getUTCDate());
    const dowOk = dow === "*" || dows.has(d.getUTCDay());
    const dayOk = dom !== "*" && dow !== "*" ? domOk || dowOk : domOk && dowOk;
    if (months.has(d.getUTCMonth() + 1) && dayOk && hours.has(d.getUTCHours()) && minutes.has(d.getUTCMinutes())) {
      return d.getTime();
    }
    d.setTime(d.getTime() + 60_000);
  }
  return now + 365 * 24 * 3_600_000;
}
