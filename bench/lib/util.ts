// Small helpers shared by the measurement modules: percentiles, formatting, waiting.
import { readFileSync } from "node:fs";

/** One line of the table (and of results.json). `met` is null when the row has no target. */
export type Row = {
  section: string;
  measurement: string;
  ours: string;
  baseline: string;
  ratio: string;
  target: string;
  met: boolean | null;
  /** Raw figures behind the row, for results.json. */
  data?: Record<string, unknown>;
};

export type Section = { rows: Row[]; notes: string[]; data?: Record<string, unknown> };

export type BenchOptions = {
  quick: boolean;
  replies: number;
  observers: number;
  /** Row 10: the backend on the bench's own thread (as before it had one of its own), for comparison. */
  sameThread: boolean;
  /** Row 10: its runs' HTTP-action limits (default 64, then 8); `--http-actions 8` runs the queued case alone. */
  httpActions?: readonly number[];
  log: (line: string) => void;
};

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export const median = (values: number[]) => percentile(values, 50);
export const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

export function ms(n: number, digits = 1): string {
  return Number.isFinite(n) ? `${n.toFixed(digits)} ms` : "n/a";
}

export function kb(bytes: number, digits = 1): string {
  return `${(bytes / 1024).toFixed(digits)} KB`;
}

export function bytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(2)} MB`;
  if (n >= 10 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${n} B`;
}

export function int(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a";
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns true; throws with `what` after `timeoutMs`. */
export async function waitUntil(check: () => boolean, timeoutMs: number, what: string, stepMs = 10): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

/**
 * CPU seconds (user + system) this thread has used: /proc/thread-self/stat, so a worker thread
 * reads its own and the main thread its own (process.cpuUsage() is the whole process's, the
 * engine's GC helper threads included). NaN where /proc is not there.
 */
export function threadCpuSeconds(): number {
  try {
    const stat = readFileSync("/proc/thread-self/stat", "utf8");
    // The fields after the command name (which may contain spaces): utime and stime are 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SEC;
  } catch {
    return NaN;
  }
}
/** USER_HZ, 100 on Linux (`getconf CLK_TCK`). */
const CLOCK_TICKS_PER_SEC = 100;

/** CPU seconds of the whole process (every thread). */
export function processCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
