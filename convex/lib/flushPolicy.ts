/**
 * When to persist streamed text. Pure: no Convex, no timers; the clock is injected.
 *
 * The component writes only when a chunk contains `.`, `!` or `?`, so a code block reaches
 * observers only at the end. This policy writes at the last natural boundary (`chunkBy`), writes
 * whatever is pending once it has waited `maxDelayMs`, and never writes more often than
 * `maxWritesPerSec` (boundaries that arrive faster are coalesced into the next write). Text is
 * never held longer than `maxDelayMs` by the rate bound: a write takes along any leftover that
 * would otherwise go stale before the next write is allowed.
 *
 * Invariant (property-tested): the concatenation of everything `push`/`poll` return, followed by
 * `finish()`, equals the concatenation of everything pushed, in order, and no write but `finish()`
 * ends on the first half of a surrogate pair, however the chunks split the text.
 */

type ChunkBy = "sentence" | "word" | "paragraph" | number;

export type FlushOptions = {
  /** Where a write may end: after a sentence (default), a word, a paragraph, or every N UTF-8 bytes. */
  chunkBy: ChunkBy;
  /** Pending text older than this is written even without a boundary. */
  maxDelayMs: number;
  /** Upper bound on writes per second per stream (from the environment: at least 1); 0 means unbounded. */
  maxWritesPerSec: number;
};

const MIN_WRITES_PER_SEC = 1;

export const DEFAULT_FLUSH_OPTIONS: FlushOptions = {
  chunkBy: "sentence",
  maxDelayMs: 250,
  maxWritesPerSec: 4,
};

/**
 * STREAM_CHUNK_BY (sentence | word | paragraph | a byte count), STREAM_FLUSH_MS,
 * STREAM_MAX_WRITES_PER_SEC. Unreadable values fall back to the defaults; a write rate below 1
 * is refused: unbounded writes make a reply's deltas (and the reads that follow them) unbounded.
 */
export function flushOptionsFromEnv(env: Record<string, string | undefined>): FlushOptions {
  const opts = { ...DEFAULT_FLUSH_OPTIONS };
  const chunkBy = env.STREAM_CHUNK_BY?.trim().toLowerCase();
  if (chunkBy === "sentence" || chunkBy === "word" || chunkBy === "paragraph") {
    opts.chunkBy = chunkBy;
  } else if (chunkBy && /^\d+$/.test(chunkBy) && Number(chunkBy) > 0) {
    opts.chunkBy = Number(chunkBy);
  }
  const delay = Number(env.STREAM_FLUSH_MS);
  if (env.STREAM_FLUSH_MS && Number.isFinite(delay) && delay >= 0) opts.maxDelayMs = delay;
  const rate = Number(env.STREAM_MAX_WRITES_PER_SEC);
  if (env.STREAM_MAX_WRITES_PER_SEC && Number.isFinite(rate) && rate >= 0) {
    if (rate < MIN_WRITES_PER_SEC) {
      throw new Error(
        `STREAM_MAX_WRITES_PER_SEC is ${env.STREAM_MAX_WRITES_PER_SEC}; it must be at least ${MIN_WRITES_PER_SEC} ` +
          `(writes per second per reply; the default is ${DEFAULT_FLUSH_OPTIONS.maxWritesPerSec}). Set it with npx convex env set.`,
      );
    }
    opts.maxWritesPerSec = rate;
  }
  return opts;
}

const SENTENCE_END = new Set([".", "!", "?", "…"]);
const CJK_SENTENCE_END = new Set(["。", "！", "？"]);
const encoder = new TextEncoder();

function isSpace(ch: string | undefined): boolean {
  return ch !== undefined && /\s/.test(ch);
}

/** Length of the longest prefix of `text` that ends on a boundary (0 when there is none). */
export function lastBoundary(text: string, chunkBy: ChunkBy): number {
  if (typeof chunkBy === "number") {
    return encoder.encode(text).length >= chunkBy ? text.length : 0;
  }
  if (chunkBy === "paragraph") {
    const i = text.lastIndexOf("\n\n");
    return i < 0 ? 0 : i + 2;
  }
  for (let i = text.length - 1; i >= 0; i--) {
    const ch = text[i];
    if (chunkBy === "word") {
      if (isSpace(ch)) return i + 1;
      continue;
    }
    // sentence: a line break, CJK sentence punctuation, or `.!?…` followed by whitespace.
    if (ch === "\n" || CJK_SENTENCE_END.has(ch)) return i + 1;
    if (isSpace(ch) && i > 0 && SENTENCE_END.has(text[i - 1])) return i + 1;
  }
  return 0;
}

/**
 * Never end a write on the first half of a surrogate pair, whatever the cut. At the end of the
 * pending text too: a model chunk may end in half an emoji, and its second half arrives with the
 * next chunk; written alone, the half is refused by the store and the reply's text is lost.
 */
function safeCut(text: string, cut: number): number {
  if (cut > 0 && cut <= text.length) {
    const code = text.charCodeAt(cut - 1);
    if (code >= 0xd800 && code <= 0xdbff) return cut - 1;
  }
  return cut;
}

export class FlushPolicy {
  private pending = "";
  /** When each piece of `pending` arrived: `end` is its end offset in `pending`. */
  private arrivals: { end: number; at: number }[] = [];
  private lastWriteAt = Number.NEGATIVE_INFINITY;
  private readonly minIntervalMs: number;

  constructor(
    readonly options: FlushOptions = DEFAULT_FLUSH_OPTIONS,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.minIntervalMs = options.maxWritesPerSec > 0 ? 1000 / options.maxWritesPerSec : 0;
  }

  /** Arrival time of the oldest text still pending. */
  private get pendingSince(): number {
    return this.arrivals[0]?.at ?? this.now();
  }

  /** Adds streamed text; returns text to persist now, or null. */
  push(text: string): string | null {
    if (text.length === 0) return null;
    this.pending += text;
    this.arrivals.push({ end: this.pending.length, at: this.now() });
    return this.poll();
  }

  /** Call at `nextDeadline()` (or any time): returns text to persist now, or null. */
  poll(): string | null {
    if (this.pending.length === 0) return null;
    const t = this.now();
    if (t < this.lastWriteAt + this.minIntervalMs) return null;
    const overdue = t - this.pendingSince >= this.options.maxDelayMs;
    let cut = overdue ? this.pending.length : lastBoundary(this.pending, this.options.chunkBy);
    if (cut <= 0) return null;
    // Text left behind a boundary must not wait past `maxDelayMs` because the rate bound
    // forbids the next write until later: then it goes now, with the rest.
    const leftoverSince = this.arrivals.find((a) => a.end > cut)?.at;
    if (leftoverSince !== undefined && t + this.minIntervalMs - leftoverSince > this.options.maxDelayMs)
      cut = this.pending.length;
    cut = safeCut(this.pending, cut);
    if (cut <= 0) return null;
    const out = this.pending.slice(0, cut);
    this.pending = this.pending.slice(cut);
    this.arrivals = this.arrivals.filter((a) => a.end > cut).map((a) => ({ end: a.end - cut, at: a.at }));
    this.lastWriteAt = t;
    return out;
  }

  /** When `poll()` may next return text (ms on the injected clock), or null if nothing is pending. */
  nextDeadline(): number | null {
    // Only half a character pending: nothing can be written until its other half arrives.
    if (safeCut(this.pending, this.pending.length) === 0) return null;
    const allowed = this.lastWriteAt + this.minIntervalMs;
    const hasBoundary = lastBoundary(this.pending, this.options.chunkBy) > 0;
    return hasBoundary ? allowed : Math.max(allowed, this.pendingSince + this.options.maxDelayMs);
  }

  /** Everything still pending (the final write). */
  finish(): string {
    const out = this.pending;
    this.pending = "";
    this.arrivals = [];
    return out;
  }

  get pendingText(): string {
    return this.pending;
  }
}
