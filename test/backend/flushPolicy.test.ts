import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  DEFAULT_FLUSH_OPTIONS,
  FlushPolicy,
  flushOptionsFromEnv,
  lastBoundary,
  type FlushOptions,
} from "../../convex/lib/flushPolicy";

function clock(start = 1000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("boundaries", () => {
  test("sentence: after .!? followed by whitespace, after a line break, after CJK punctuation", () => {
    expect(lastBoundary("Hello. World", "sentence")).toBe(7);
    expect(lastBoundary("v1.5 is out", "sentence")).toBe(0);
    expect(lastBoundary("function add(a, b) {\n  return", "sentence")).toBe(21);
    expect(lastBoundary("你好。世界", "sentence")).toBe(3);
    expect(lastBoundary("Done!", "sentence")).toBe(0);
  });
  test("word: after the last whitespace", () => {
    expect(lastBoundary("one two thr", "word")).toBe(8);
    expect(lastBoundary("one", "word")).toBe(0);
  });
  test("paragraph: after the last blank line", () => {
    expect(lastBoundary("a\nb\n\nc", "paragraph")).toBe(5);
    expect(lastBoundary("a\nb", "paragraph")).toBe(0);
  });
  test("a byte count: everything once that many UTF-8 bytes are pending", () => {
    expect(lastBoundary("abc", 4)).toBe(0);
    expect(lastBoundary("abcd", 4)).toBe(4);
    expect(lastBoundary("éé", 4)).toBe(2);
  });
});

describe("options from the environment", () => {
  test("defaults are sentence, 250 ms, 4 writes per second", () => {
    expect(flushOptionsFromEnv({})).toEqual({ chunkBy: "sentence", maxDelayMs: 250, maxWritesPerSec: 4 });
  });
  test("STREAM_CHUNK_BY, STREAM_FLUSH_MS and STREAM_MAX_WRITES_PER_SEC override them", () => {
    expect(
      flushOptionsFromEnv({ STREAM_CHUNK_BY: "word", STREAM_FLUSH_MS: "100", STREAM_MAX_WRITES_PER_SEC: "10" }),
    ).toEqual({
      chunkBy: "word",
      maxDelayMs: 100,
      maxWritesPerSec: 10,
    });
    expect(flushOptionsFromEnv({ STREAM_CHUNK_BY: "512" }).chunkBy).toBe(512);
  });
  test("a write rate below 1 is refused with a message naming the variable and the minimum", () => {
    expect(() => flushOptionsFromEnv({ STREAM_MAX_WRITES_PER_SEC: "0" })).toThrow(
      /^STREAM_MAX_WRITES_PER_SEC is 0; it must be at least 1 /,
    );
    expect(() => flushOptionsFromEnv({ STREAM_MAX_WRITES_PER_SEC: "0.5" })).toThrow(/at least 1/);
    expect(flushOptionsFromEnv({ STREAM_MAX_WRITES_PER_SEC: "1" }).maxWritesPerSec).toBe(1);
  });
  test("invalid values fall back to the defaults", () => {
    expect(
      flushOptionsFromEnv({ STREAM_CHUNK_BY: "banana", STREAM_FLUSH_MS: "-1", STREAM_MAX_WRITES_PER_SEC: "x" }),
    ).toEqual(DEFAULT_FLUSH_OPTIONS);
  });
});

describe("FlushPolicy", () => {
  test("writes a finished sentence at once and keeps the unfinished rest pending", () => {
    const c = clock();
    const p = new FlushPolicy(DEFAULT_FLUSH_OPTIONS, c.now);
    expect(p.push("Hello")).toBeNull();
    expect(p.push(" world. How")).toBe("Hello world. ");
    expect(p.pendingText).toBe("How");
  });

  test("writes a code block without punctuation after the maximum delay", () => {
    const c = clock();
    const p = new FlushPolicy(DEFAULT_FLUSH_OPTIONS, c.now);
    expect(p.push("```ts")).toBeNull();
    expect(p.nextDeadline()).toBe(1250);
    c.advance(249);
    expect(p.poll()).toBeNull();
    c.advance(1);
    expect(p.poll()).toBe("```ts");
  });

  test("coalesces boundaries that arrive faster than the write rate", () => {
    const c = clock();
    const p = new FlushPolicy(DEFAULT_FLUSH_OPTIONS, c.now);
    expect(p.push("One. ")).toBe("One. ");
    c.advance(50);
    expect(p.push("Two. ")).toBeNull();
    c.advance(50);
    expect(p.push("Three. ")).toBeNull();
    expect(p.nextDeadline()).toBe(1250);
    c.advance(150);
    expect(p.poll()).toBe("Two. Three. ");
  });

  test("finish returns whatever is pending, once", () => {
    const p = new FlushPolicy(DEFAULT_FLUSH_OPTIONS, clock().now);
    p.push("tail");
    expect(p.finish()).toBe("tail");
    expect(p.finish()).toBe("");
    expect(p.nextDeadline()).toBeNull();
  });

  test("never splits a surrogate pair", () => {
    const c = clock();
    const p = new FlushPolicy({ chunkBy: 1, maxDelayMs: 0, maxWritesPerSec: 0 }, c.now);
    const out = p.push("a😀");
    expect(out).toBe("a😀");
  });

  test("a chunk ending in half an emoji, then a pause past the delay, holds the half until its pair arrives", () => {
    const c = clock();
    const p = new FlushPolicy(DEFAULT_FLUSH_OPTIONS, c.now);
    expect(p.push("Look \ud83d")).toBeNull();
    c.advance(300);
    expect(p.poll()).toBe("Look ");
    // Only the half is left: no deadline, so a driver does not spin on it.
    expect(p.nextDeadline()).toBeNull();
    c.advance(300);
    expect(p.poll()).toBeNull();
    // The half has waited past the delay, so it goes at once with its pair.
    expect(p.push("\ude00 here")).toBe("😀 here");
  });
});

/* ------------------------------------------------------------- property tests */

const arbOptions: fc.Arbitrary<FlushOptions> = fc.record({
  chunkBy: fc.oneof(
    fc.constantFrom<"sentence" | "word" | "paragraph">("sentence", "word", "paragraph"),
    fc.integer({ min: 1, max: 64 }),
  ),
  maxDelayMs: fc.integer({ min: 0, max: 500 }),
  maxWritesPerSec: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 20 })),
});

// Text with plenty of boundaries of every kind, and astral characters.
const arbText = fc
  .array(fc.constantFrom("a", "b", " ", ".", "!", "?", "\n", "\n\n", "😀", "é", "`", "|", "。"), { maxLength: 300 })
  .map((parts) => parts.join(""));

/** Splits text at random points (never inside a surrogate pair, as JS model SDKs never do). */
function chunked(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))]
    .filter((i) => !(i > 0 && i < text.length && text.charCodeAt(i - 1) >= 0xd800 && text.charCodeAt(i - 1) <= 0xdbff))
    .sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(text.slice(prev, p));
    prev = p;
  }
  out.push(text.slice(prev));
  return out;
}

describe("FlushPolicy properties", () => {
  test("persisted text equals streamed text, in order, for any chunking, timing and options", () => {
    fc.assert(
      fc.property(
        arbOptions,
        arbText,
        fc.array(fc.nat(), { maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 60 }),
        (opts, text, cuts, gaps) => {
          const c = clock(0);
          const p = new FlushPolicy(opts, c.now);
          const writes: { at: number; text: string }[] = [];
          const chunks = chunked(text, cuts);
          chunks.forEach((chunk, i) => {
            c.advance(gaps[i] ?? 7);
            const polled = p.poll();
            if (polled !== null) writes.push({ at: c.now(), text: polled });
            const pushed = p.push(chunk);
            if (pushed !== null) writes.push({ at: c.now(), text: pushed });
          });
          const persisted = writes.map((w) => w.text).join("") + p.finish();
          expect(persisted).toBe(text);
          // No empty writes, and no lone surrogates at write edges.
          for (const w of writes) {
            expect(w.text.length).toBeGreaterThan(0);
            expect(/[\ud800-\udbff]$/.test(w.text)).toBe(false);
          }
          // Never more often than maxWritesPerSec.
          if (opts.maxWritesPerSec > 0) {
            for (let i = 1; i < writes.length; i++) {
              expect(writes[i].at - writes[i - 1].at).toBeGreaterThanOrEqual(1000 / opts.maxWritesPerSec - 1e-9);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  test("chunks split anywhere, even inside a surrogate pair, lose no text and write no half character", () => {
    fc.assert(
      fc.property(
        arbOptions,
        arbText,
        fc.array(fc.nat(), { maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 60 }),
        (opts, text, cuts, gaps) => {
          const c = clock(0);
          const p = new FlushPolicy(opts, c.now);
          const points = [...new Set(cuts.map((x) => x % (text.length + 1)))].sort((a, b) => a - b);
          const chunks = [0, ...points].map((from, i) => text.slice(from, [...points, text.length][i]));
          const writes: string[] = [];
          chunks.forEach((chunk, i) => {
            c.advance(gaps[i] ?? 7);
            const polled = p.poll();
            if (polled !== null) writes.push(polled);
            const pushed = p.push(chunk);
            if (pushed !== null) writes.push(pushed);
          });
          expect(writes.join("") + p.finish()).toBe(text);
          for (const w of writes) {
            expect(w.length).toBeGreaterThan(0);
            expect(/^[\udc00-\udfff]|[\ud800-\udbff]$/.test(w), JSON.stringify(w)).toBe(false);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  test("polling at nextDeadline writes pending text within the maximum delay (or the next allowed write)", () => {
    fc.assert(
      fc.property(arbOptions, arbText, fc.array(fc.nat(), { maxLength: 40 }), (opts, text, cuts) => {
        const c = clock(0);
        const p = new FlushPolicy(opts, c.now);
        const minInterval = opts.maxWritesPerSec > 0 ? 1000 / opts.maxWritesPerSec : 0;
        let lastWrite = Number.NEGATIVE_INFINITY;
        let persisted = "";
        for (const chunk of chunked(text, cuts)) {
          const out = p.push(chunk);
          if (out !== null) {
            persisted += out;
            lastWrite = c.now();
          }
          // A driver polls at each deadline; nothing should wait past max(delay, rate) after it arrived.
          const arrived = c.now();
          for (let guard = 0; guard < 5 && p.pendingText.length > 0; guard++) {
            const deadline = p.nextDeadline()!;
            if (
              deadline > arrived + Math.max(opts.maxDelayMs, minInterval) + 1e-9 &&
              deadline > lastWrite + minInterval + 1e-9
            ) {
              throw new Error(`deadline ${deadline} too late (arrived ${arrived})`);
            }
            c.advance(Math.max(0, deadline - c.now()));
            const polled = p.poll();
            if (polled !== null) {
              persisted += polled;
              lastWrite = c.now();
              break;
            }
          }
          c.advance(1);
        }
        expect(persisted + p.finish()).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
  test("no text waits longer than the maximum delay (or the write interval), even behind a boundary write", () => {
    fc.assert(
      fc.property(
        arbOptions,
        arbText,
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 150 }), { maxLength: 40 }),
        (opts, text, cuts, gaps) => {
          const c = clock(0);
          const p = new FlushPolicy(opts, c.now);
          const minInterval = opts.maxWritesPerSec > 0 ? 1000 / opts.maxWritesPerSec : 0;
          const bound = Math.max(opts.maxDelayMs, minInterval) + 1e-6;
          const arrivedAt: number[] = []; // per character
          let written = 0;
          const record = (out: string | null) => {
            if (out === null) return;
            for (let i = written; i < written + out.length; i++) {
              if (c.now() - arrivedAt[i] > bound)
                throw new Error(`character ${i} waited ${c.now() - arrivedAt[i]} ms (bound ${bound})`);
            }
            written += out.length;
          };
          // A driver: between chunks it sleeps until the policy's next deadline, as chat.ts does.
          chunked(text, cuts).forEach((chunk, i) => {
            const nextArrival = c.now() + (gaps[i] ?? 30);
            for (
              let deadline = p.nextDeadline();
              deadline !== null && deadline <= nextArrival;
              deadline = p.nextDeadline()
            ) {
              c.advance(Math.max(0, deadline - c.now()));
              const out = p.poll();
              if (out === null) break;
              record(out);
            }
            c.advance(nextArrival - c.now());
            for (let k = 0; k < chunk.length; k++) arrivedAt.push(c.now());
            record(p.push(chunk));
          });
          // The model is done but the reply is not finished yet: the driver keeps polling.
          for (let guard = 0; guard < 100 && p.pendingText.length > 0; guard++) {
            c.advance(Math.max(0, p.nextDeadline()! - c.now()));
            record(p.poll());
          }
          expect(written).toBe(text.length);
        },
      ),
      { numRuns: 500 },
    );
  });
});
