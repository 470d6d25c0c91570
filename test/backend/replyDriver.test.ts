// The reply driver without HTTP or Convex: a fake clock, a recording store and body, and a model
// the test feeds by hand.
import { describe, expect, test, vi } from "vitest";
import { REPLY_ERRORS } from "../../convex/lib/errors";
import { FlushPolicy } from "../../convex/lib/flushPolicy";
import { type Clock, errorKinds, type ReplyEnd, ReplyDriver, type ReplyStore } from "../../convex/lib/replyDriver";

/** Timers that fire only when the test advances time. */
class FakeClock implements Clock {
  private t = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();
  /** Timers set so far. */
  armed = 0;
  now = () => this.t;
  setTimeout = (callback: () => void, ms: number) => {
    this.armed++;
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + ms, callback });
    return id;
  };
  clearTimeout = (handle: unknown) => {
    this.timers.delete(handle as number);
  };
  /** Moves time forward by `ms`, firing due timers in order and letting promises settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const due = [...this.timers.entries()]
        .filter(([, timer]) => timer.at <= end)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = due[1].at;
      due[1].callback();
    }
    this.t = end;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

/** A model the test feeds: `say` a delta, `report` its usage, `end` the reply, or `fail` it. */
function handFedModel() {
  const queue: string[] = [];
  let reported: number | null = null;
  let ended = false;
  let failure: Error | null = null;
  let wake: () => void = () => {};
  let aborted = false;
  const poke = () => wake();
  return {
    say(text: string) {
      queue.push(text);
      poke();
    },
    /** The provider's usage report, sent when the stream ends (as the AI SDK's `finish` part). */
    report(totalTokens: number) {
      reported = totalTokens;
    },
    end() {
      ended = true;
      poke();
    },
    fail(error: Error) {
      failure = error;
      poke();
    },
    get aborted() {
      return aborted;
    },
    async *stream(signal: AbortSignal, reportUsage: (totalTokens: number) => void): AsyncGenerator<string> {
      signal.addEventListener("abort", () => {
        aborted = true;
        poke();
      });
      for (;;) {
        if (signal.aborted) return;
        const next = queue.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (failure) throw failure;
        if (ended) {
          if (reported !== null) reportUsage(reported);
          return;
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

type Options = {
  flush?: (text: string) => Promise<{ stop: boolean }>;
  heartbeat?: () => Promise<boolean>;
  finish?: (end: ReplyEnd) => Promise<void>;
  maxWritesPerSec?: number;
  /** How long (fake time) each flush takes to answer: a busy deployment. */
  flushTakesMs?: number;
  /** Characters sent to the model (default 0: estimates then count the reply's text only). */
  inputChars?: number;
};

/** A driver on a fake clock whose store and body append to one log, in the order things happen. */
function harness(options: Options = {}) {
  const clock = new FakeClock();
  const model = handFedModel();
  const log: string[] = [];
  const flushed: string[] = [];
  const finished: ReplyEnd[] = [];
  const store: ReplyStore = {
    flush: async (text) => {
      log.push(`flush ${JSON.stringify(text)} @${clock.now()}`);
      flushed.push(text);
      if (options.flushTakesMs)
        await new Promise((resolve) => clock.setTimeout(() => resolve(null), options.flushTakesMs!));
      return options.flush ? options.flush(text) : { stop: false };
    },
    heartbeat: async () => {
      log.push(`heartbeat @${clock.now()}`);
      return options.heartbeat ? options.heartbeat() : false;
    },
    finish: async (end) => {
      log.push(`finish ${end.status}`);
      if (options.finish) await options.finish(end);
      finished.push(end);
    },
  };
  const written: string[] = [];
  const driver = new ReplyDriver({
    store,
    body: {
      write: async (text) => {
        written.push(text);
      },
      close: async () => {
        log.push("body close");
      },
      abort: async (reason) => {
        log.push(`body abort: ${reason}`);
      },
    },
    policy: new FlushPolicy(
      { chunkBy: "sentence", maxDelayMs: 250, maxWritesPerSec: options.maxWritesPerSec ?? 4 },
      clock.now,
    ),
    clock,
    stopPollMs: 1000,
    describeModelError: (error) => `model failed: ${(error as Error).message}`,
    inputChars: options.inputChars,
  });
  const done = driver.run((signal, reportUsage) => model.stream(signal, reportUsage));
  return { clock, model, log, flushed, finished, written, done };
}

describe("flush timing", () => {
  test("each delta goes to the body at once; text is persisted at a sentence boundary, not per delta", async () => {
    const h = harness();
    h.model.say("Hello");
    h.model.say(" world. ");
    h.model.say("More");
    await h.clock.advance(0);
    expect(h.written).toEqual(["Hello", " world. ", "More"]);
    expect(h.flushed).toEqual(["Hello world. "]);
  });

  test("text without a boundary is persisted after 250 ms of waiting, by the timer", async () => {
    const h = harness();
    h.model.say("```ts\nconst a");
    await h.clock.advance(249);
    // "```ts\n" ends on a line break, so it may go at once; the rest waits.
    expect(h.flushed.join("")).toBe("```ts\n");
    await h.clock.advance(1);
    expect(h.flushed.join("")).toBe("```ts\nconst a");
    expect(h.log.at(-1)).toBe('flush "const a" @250');
  });

  test("boundaries arriving faster than the write rate are coalesced into the next write", async () => {
    const h = harness({ maxWritesPerSec: 4 });
    h.model.say("One. ");
    await h.clock.advance(10);
    h.model.say("Two. ");
    await h.clock.advance(10);
    h.model.say("Three. ");
    await h.clock.advance(10);
    expect(h.flushed).toEqual(["One. "]);
    await h.clock.advance(220);
    expect(h.flushed).toEqual(["One. ", "Two. Three. "]);
    expect(h.log.at(-1)).toBe('flush "Two. Three. " @250');
  });

  test("tokens every 20 ms: the timer is set per deadline, not replaced per token, and flushes come as before", async () => {
    const h = harness();
    for (let i = 0; i < 50; i++) {
      h.model.say(" word");
      await h.clock.advance(20);
    }
    // No boundary: each write goes once its first piece has waited 250 ms (the same log as when the
    // timer was replaced on every token).
    const thirteen = ` ${Array(13).fill("word").join(" ")}`;
    expect(h.log).toEqual([`flush "${thirteen}" @250`, `flush "${thirteen}" @510`, `flush "${thirteen}" @770`]);
    // 50 tokens: a timer per deadline (8 here), not one per token (54 before).
    expect(h.clock.armed).toBeLessThan(15);
  });

  test("no heartbeats pile up behind a slow flush and its rest: the flushes renew the lease", async () => {
    const h = harness({ flushTakesMs: 2000 });
    h.model.say("One. ");
    await h.clock.advance(6000);
    h.model.end();
    await h.clock.advance(1000);
    await h.done;
    expect(h.log).toEqual(['flush "One. " @0', "finish done", "body close"]);
  });

  test("while a flush is in flight (a busy deployment), what comes due waits and goes with the next one", async () => {
    const h = harness({ flushTakesMs: 1000 });
    for (const sentence of ["One. ", "Two. ", "Three. ", "Four. ", "Five. "]) {
      h.model.say(sentence);
      await h.clock.advance(300);
    }
    h.model.end();
    await h.clock.advance(6000);
    await h.done;
    // Not five flushes queued behind each other: one in flight, resting 3 s after its 1 s answer,
    // and the rest together once the model ended.
    expect(h.log).toEqual(['flush "One. " @0', 'flush "Two. Three. Four. Five. " @1500', "finish done", "body close"]);
    expect(h.flushed.join("") + h.finished[0].text).toBe(h.written.join(""));
  });
});

describe("half characters", () => {
  test("a delta ending in half an emoji, then a 300 ms pause: the body and the saved text keep the emoji whole", async () => {
    const h = harness();
    h.model.say("Look \ud83d");
    await h.clock.advance(300);
    h.model.say("\ude00 here");
    await h.clock.advance(300);
    h.model.end();
    await h.done;
    expect(h.written).toEqual(["Look ", "😀 here"]);
    expect(h.flushed.join("") + h.finished[0].text).toBe("Look 😀 here");
    expect(h.finished[0]).toMatchObject({ status: "done", error: null });
  });

  test("a model that ends on half a character ends done, with U+FFFD where the half was", async () => {
    const h = harness();
    h.model.say("Broken \ud83d");
    await h.clock.advance(300);
    h.model.end();
    await h.done;
    expect(h.written.join("")).toBe("Broken \ufffd");
    expect(h.flushed.join("") + h.finished[0].text).toBe("Broken \ufffd");
    expect(h.finished[0].status).toBe("done");
  });
});

describe("stop polling", () => {
  test("while the model is silent, the driver sends a heartbeat (lease, stop) once a second", async () => {
    const h = harness();
    await h.clock.advance(2500);
    expect(h.log).toEqual(["heartbeat @1000", "heartbeat @2000"]);
  });

  test("a stop seen by the heartbeat aborts the model and ends the reply as stopped, keeping the text", async () => {
    let stopped = false;
    const h = harness({ heartbeat: async () => stopped });
    h.model.say("Partial answer. ");
    await h.clock.advance(100);
    stopped = true;
    await h.clock.advance(1100);
    await h.done;
    expect(h.model.aborted).toBe(true);
    expect(h.finished).toEqual([{ text: "", status: "stopped", error: null, tokens: 4 }]);
    expect(h.flushed).toEqual(["Partial answer. "]);
  });

  test("a flush that answers stop ends the reply as stopped", async () => {
    const h = harness({ flush: async () => ({ stop: true }) });
    h.model.say("First. ");
    await h.clock.advance(0);
    h.model.say("never persisted");
    await h.clock.advance(0);
    await h.done;
    expect(h.finished).toEqual([{ text: "", status: "stopped", error: null, tokens: 2 }]);
  });
});

describe("persistence failures", () => {
  test("a flush turned away at the deployment's concurrency limit is sent again, and the reply ends done with all its text", async () => {
    let refusals = 2;
    const h = harness({
      flush: async () => {
        if (refusals-- > 0)
          throw new Error("Too many concurrent requests. Your backend is limited to 16 concurrent mutations.");
        return { stop: false };
      },
    });
    h.model.say("First. ");
    await h.clock.advance(0);
    await h.clock.advance(500);
    await h.clock.advance(1000);
    h.model.end();
    await h.clock.advance(0);
    await h.done;
    expect(h.model.aborted).toBe(false);
    expect(h.flushed).toEqual(["First. ", "First. ", "First. "]);
    expect(h.finished).toEqual([expect.objectContaining({ status: "done", error: null })]);
  });

  test("a refused flush aborts the model and ends the reply as error, saying it was not saved completely", async () => {
    const h = harness({
      flush: async () => {
        throw new Error("Too many bytes read in a single function execution");
      },
    });
    h.model.say("First. ");
    await h.clock.advance(0);
    await h.done;
    expect(h.model.aborted).toBe(true);
    expect(h.finished).toEqual([{ text: "", status: "error", error: REPLY_ERRORS.notSaved, tokens: 2 }]);
    expect(h.log.at(-1)).toBe(`body abort: ${REPLY_ERRORS.notSaved}`);
  });

  test("after a refused flush no later text is saved: the stored reply is a prefix, never text with a hole", async () => {
    const h = harness({
      flushTakesMs: 300,
      flush: async (text) => {
        if (text === "First. ") throw new Error("Too many bytes read in a single function execution");
        return { stop: false };
      },
    });
    h.model.say("First. ");
    await h.clock.advance(0);
    // While the first flush is in flight, more text comes due, and a tail waits for the finish.
    h.model.say("Second. ");
    await h.clock.advance(250);
    h.model.say("Tail");
    await h.clock.advance(100);
    await h.clock.advance(1000);
    await h.done;
    expect(h.flushed).toEqual(["First. "]);
    expect(h.finished).toEqual([expect.objectContaining({ text: "", status: "error", error: REPLY_ERRORS.notSaved })]);
  });

  test("a failing final write is retried, and the reply still ends", async () => {
    let attempts = 0;
    const h = harness({
      finish: async () => {
        if (++attempts < 3) throw new Error("transient");
      },
    });
    h.model.say("Done.");
    h.model.end();
    await h.clock.advance(1000);
    await h.done;
    expect(attempts).toBe(3);
    expect(h.finished).toEqual([{ text: "Done.", status: "done", error: null, tokens: 2 }]);
  });

  test("when every final write fails, the driver still tries to end the reply as error", async () => {
    const attempts: ReplyEnd[] = [];
    const h = harness({
      finish: async (end) => {
        attempts.push(end);
        throw new Error("down");
      },
    });
    h.model.say("Done.");
    h.model.end();
    await h.clock.advance(1000);
    await h.done;
    expect(attempts.map((a) => a.status)).toEqual(["done", "done", "done", "error"]);
    expect(attempts.at(-1)).toEqual({ text: "", status: "error", error: REPLY_ERRORS.failed, tokens: 2 });
  });

  test("on the failure path the reply is ended before the body is (a deployment cancels what comes after)", async () => {
    const h = harness({
      finish: async (end) => {
        if (end.status === "done") throw new Error("down");
      },
    });
    h.model.say("Done.");
    h.model.end();
    await h.clock.advance(1000);
    await h.done;
    expect(h.log.slice(-2)).toEqual(["finish error", `body abort: ${REPLY_ERRORS.failed}`]);
  });
});

describe("the final write", () => {
  test("the tail goes with the final write, after every flush, and then the body closes", async () => {
    const h = harness();
    h.model.say("A sentence. ");
    h.model.say("A tail without end");
    h.model.end();
    await h.clock.advance(0);
    await h.done;
    expect(h.log).toEqual(['flush "A sentence. " @0', "finish done", "body close"]);
    expect(h.finished).toEqual([{ text: "A tail without end", status: "done", error: null, tokens: 8 }]);
    expect(h.flushed.join("") + h.finished[0].text).toBe(h.written.join(""));
  });

  test("a model failure ends the reply as error with a readable sentence, then aborts the body", async () => {
    const h = harness();
    h.model.say("Half. ");
    h.model.fail(new Error("HTTP 500"));
    await h.clock.advance(0);
    await h.done;
    expect(h.finished).toEqual([{ text: "", status: "error", error: "model failed: HTTP 500", tokens: 2 }]);
    expect(h.log.slice(-2)).toEqual(["finish error", "body abort: model failed: HTTP 500"]);
  });

  test("a model failure is logged as its kinds down the causes, with no message in them", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const h = harness();
      h.model.say("Half. ");
      // The AI SDK's error for a response body that broke off (undici's body timeout here).
      const timeout = Object.assign(new Error("Body Timeout Error for key sk-secret-123"), {
        name: "BodyTimeoutError",
        code: "UND_ERR_BODY_TIMEOUT",
      });
      const apiError = Object.assign(
        new Error("Failed to process successful response", { cause: new TypeError("terminated", { cause: timeout }) }),
        { name: "AI_APICallError", statusCode: 200 },
      );
      h.model.fail(apiError);
      await h.clock.advance(0);
      await h.done;
      expect(logged.mock.calls).toEqual([
        [
          "chat-stream model failed:",
          "AI_APICallError (HTTP 200) <- TypeError <- BodyTimeoutError (UND_ERR_BODY_TIMEOUT)",
        ],
      ]);
    } finally {
      logged.mockRestore();
    }
  });

  test("errorKinds: names and codes shaped like identifiers only, five causes at most", () => {
    const hostile = Object.assign(new Error("x"), { name: "sk-secret key echoed here", code: "a b" });
    expect(errorKinds(hostile)).toBe("Error");
    expect(errorKinds("a string")).toBe("string");
    // A provider's in-stream error event (a plain object).
    expect(errorKinds({ type: "overloaded_error", message: "echo sk-secret" })).toBe("object (overloaded_error)");
    let deep: Error = new Error("root");
    for (let i = 0; i < 8; i++) deep = new Error(`level ${i}`, { cause: deep });
    expect(errorKinds(deep)).toBe("Error <- Error <- Error <- Error <- Error");
  });
});

describe("usage charged to the budgets", () => {
  test("the provider's reported usage goes with the final write", async () => {
    const h = harness({ inputChars: 4000 });
    h.model.say("Short answer.");
    h.model.report(1234);
    h.model.end();
    await h.clock.advance(0);
    await h.done;
    expect(h.finished).toEqual([{ text: "Short answer.", status: "done", error: null, tokens: 1234 }]);
  });

  test("without a report, a reply is charged 1 token per 4 characters in and out", async () => {
    const h = harness({ inputChars: 400 });
    h.model.say("x".repeat(37));
    h.model.end();
    await h.clock.advance(0);
    await h.done;
    expect(h.finished[0].tokens).toBe(Math.ceil((400 + 37) / 4));
  });

  test("a reply stopped mid-way (no report comes) is still charged for what it generated", async () => {
    let stopped = false;
    const h = harness({ inputChars: 100, heartbeat: async () => stopped });
    h.model.say("y".repeat(60));
    await h.clock.advance(100);
    stopped = true;
    await h.clock.advance(2000);
    await h.done;
    expect(h.finished).toEqual([{ text: "", status: "stopped", error: null, tokens: 40 }]);
  });
});
