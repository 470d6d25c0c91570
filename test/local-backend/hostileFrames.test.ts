// Hostile sync frames: whatever a client sends, the backend answers with a protocol error or
// closes that connection, and keeps serving everyone else (the process never exits).
import { anyApi } from "convex/server";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import WebSocket from "ws";
import { nodeClient, useFixture, waitForValue } from "./helpers.js";

const api = anyApi;
const { fx } = useFixture();

// An exception thrown from a ws listener surfaces here; before the fix it ended the process.
const uncaught: unknown[] = [];
const onUncaught = (e: unknown) => uncaught.push(e);
beforeAll(() => {
  process.on("uncaughtException", onUncaught);
});
afterAll(() => {
  process.removeListener("uncaughtException", onUncaught);
});

function syncUrl() {
  return `${fx().backend.convexUrl.replace(/^http/, "ws")}/api/1.48.0/sync`;
}

function open(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(syncUrl());
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

/** Everything the server sends until it closes the socket or `ms` pass. */
function collect(ws: WebSocket, ms: number): Promise<{ messages: Record<string, unknown>[]; closed: boolean }> {
  return new Promise((resolve) => {
    const messages: Record<string, unknown>[] = [];
    ws.on("message", (d) => messages.push(JSON.parse(d.toString()) as Record<string, unknown>));
    const timer = setTimeout(() => resolve({ messages, closed: false }), ms);
    ws.once("close", () => {
      clearTimeout(timer);
      resolve({ messages, closed: true });
    });
  });
}

async function backendStillServes() {
  const client = nodeClient(fx().backend.convexUrl);
  try {
    const id = await client.mutation(api.notes.add, { text: "after the storm" });
    const list = await waitForValue<{ id: string }[]>(
      (cb) => client.onUpdate(api.notes.list, {}, cb),
      (v) => v.some((n) => n.id === id),
    );
    expect(list.some((n) => n.id === id)).toBe(true);
  } finally {
    await client.close();
  }
}

describe("malformed sync frames", () => {
  const fatal: [string, string][] = [
    ["null", "null"],
    ["ModifyQuerySet without modifications", JSON.stringify({ type: "ModifyQuerySet", baseVersion: 0, newVersion: 1 })],
    [
      "ModifyQuerySet with a null modification",
      JSON.stringify({ type: "ModifyQuerySet", baseVersion: 0, newVersion: 1, modifications: [null] }),
    ],
  ];
  for (const [name, frame] of fatal) {
    test(`${name} gets a FatalError and its connection closed`, async () => {
      const ws = await open();
      const seen = collect(ws, 5_000);
      ws.send(frame);
      const { messages, closed } = await seen;
      expect(closed).toBe(true);
      expect(messages).toContainEqual({
        type: "FatalError",
        error: expect.stringMatching(/^Received Invalid JSON on websocket: /) as unknown,
      });
      expect(uncaught).toEqual([]);
    });
  }

  test("query arguments with a $-prefixed key fail that query and leave the connection open", async () => {
    const ws = await open();
    const seen = collect(ws, 1_000);
    ws.send(
      JSON.stringify({
        type: "ModifyQuerySet",
        baseVersion: 0,
        newVersion: 1,
        modifications: [{ type: "Add", queryId: 0, udfPath: "notes:list", args: [{ $bad: 1 }] }],
      }),
    );
    const { messages, closed } = await seen;
    expect(closed).toBe(false);
    const transition = messages.find((m) => m.type === "Transition") as { modifications: Record<string, unknown>[] };
    expect(transition.modifications).toEqual([
      expect.objectContaining({
        type: "QueryFailed",
        queryId: 0,
        errorMessage: expect.stringMatching(/^Invalid arguments: .*\$bad/) as unknown,
      }),
    ]);
    ws.close();
    expect(uncaught).toEqual([]);
  });

  test("a binary frame gets a FatalError and its connection closed", async () => {
    const ws = await open();
    const seen = collect(ws, 5_000);
    ws.send(Buffer.from([0, 1, 2, 3]), { binary: true });
    const { messages, closed } = await seen;
    expect(closed).toBe(true);
    expect(messages.map((m) => m.type)).toEqual(["FatalError"]);
  });
});

// ---- fuzz ----

/** mulberry32: a seeded PRNG, so a failing run can be replayed from its printed seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES = [
  "Connect",
  "ModifyQuerySet",
  "Authenticate",
  "Mutation",
  "Action",
  "Event",
  "Add",
  "Remove",
  "User",
  "Admin",
];
const UDFS = [
  "notes:list",
  "notes:add",
  "notes:get",
  "notes:fail",
  "notes:failQuery",
  "notes:crash",
  "notes:whoami",
  "x",
  "",
];

function fuzzer(rand: () => number) {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const key = () =>
    pick(["type", "queryId", "args", "udfPath", "$bad", "$integer", "__proto__", "constructor", "", "value", "\u202e"]);

  function value(depth: number): unknown {
    switch (int(depth > 2 ? 7 : 10)) {
      case 0:
        return null;
      case 1:
        return pick([0, -1, 1.5, 2 ** 32, 2 ** 53 + 2, -0, 1e308]);
      case 2:
        return pick(TYPES);
      case 3:
        return pick(UDFS);
      case 4:
        return rand() < 0.5;
      case 5:
        return "\ud83d".repeat(int(4)) + "x".repeat(int(64));
      case 6:
        return { $integer: "AAAAAAAAAAA=" };
      case 7:
        return Array.from({ length: int(4) }, () => value(depth + 1));
      default: {
        const o: Record<string, unknown> = {};
        for (let i = int(4); i > 0; i--) {
          Object.defineProperty(o, key(), {
            value: value(depth + 1),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        return o;
      }
    }
  }

  /** Frames a real client could send, for this connection's current query-set version. */
  function valid(version: number, queryId: number): Record<string, unknown> {
    switch (int(6)) {
      case 0:
        return {
          type: "Connect",
          sessionId: "00000000-0000-4000-8000-000000000000",
          connectionCount: 0,
          lastCloseReason: null,
          clientTs: 0,
        };
      case 1:
        return {
          type: "ModifyQuerySet",
          baseVersion: version,
          newVersion: version + 1,
          modifications: [{ type: "Add", queryId, udfPath: pick(UDFS), args: [{}] }],
        };
      case 2:
        return {
          type: "ModifyQuerySet",
          baseVersion: version,
          newVersion: version + 1,
          modifications: [{ type: "Remove", queryId: int(queryId + 1) }],
        };
      case 3:
        return {
          type: "Authenticate",
          baseVersion: 0,
          tokenType: pick(["None", "User", "Admin"]),
          value: "not-a-token",
        };
      case 4:
        return { type: "Mutation", requestId: int(100), udfPath: pick(UDFS), args: [{ text: "fuzz" }] };
      default:
        return { type: "Action", requestId: int(100), udfPath: pick(UDFS), args: [{ text: "fuzz" }] };
    }
  }

  /**
   * One change somewhere inside `frame`: a field removed, replaced, or added. Fields are set as
   * own properties (as JSON.parse makes them), so a `__proto__` key is data, never a prototype.
   */
  function mutate(frame: unknown): unknown {
    if (typeof frame !== "object" || frame === null || rand() < 0.15) return value(0);
    const target = frame as Record<string, unknown>;
    const entries = Object.keys(target);
    const k = entries.length && rand() < 0.8 ? pick(entries) : key();
    const r = rand();
    if (r < 0.3) delete target[k];
    else {
      const next = r < 0.7 ? value(0) : mutate(Object.hasOwn(target, k) ? target[k] : undefined);
      Object.defineProperty(target, k, { value: next, enumerable: true, writable: true, configurable: true });
    }
    return frame;
  }

  return {
    frame(version: number, queryId: number): string | Buffer {
      const r = rand();
      if (r < 0.05) return Buffer.from(Array.from({ length: int(32) }, () => int(256)));
      if (r < 0.1) return JSON.stringify(value(0)).slice(0, int(40)); // truncated JSON
      if (r < 0.2) return JSON.stringify(value(0));
      if (r < 0.5) return JSON.stringify(valid(version, queryId));
      const f = valid(version, queryId);
      for (let i = rand() < 0.7 ? 1 : 1 + int(3); i > 0; i--) mutate(f);
      return JSON.stringify(f);
    },
  };
}

/** Sends one frame and waits until the server has handled it (the pong queues behind it) or closed. */
function sendAndSettle(ws: WebSocket, frame: string | Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    if (ws.readyState !== WebSocket.OPEN) return resolve(false);
    const done = (open: boolean) => {
      ws.off("pong", onPong);
      ws.off("close", onClose);
      resolve(open);
    };
    const onPong = () => done(true);
    const onClose = () => done(false);
    ws.on("pong", onPong);
    ws.on("close", onClose);
    try {
      ws.send(frame, { binary: typeof frame !== "string" });
      ws.ping();
    } catch {
      done(false); // closing already
    }
  });
}

describe("fuzz", () => {
  test("thousands of random and mutated frames never stop the backend, which then still serves a ConvexClient", async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
    // Bounded in count and in time: 2,000 frames (about 2 s here), or 8 s on a loaded machine (then at least 1,000).
    const FRAMES = 2_000;
    const deadline = Date.now() + 8_000;
    let frames = 0;
    let connections = 0;
    const fuzz = fuzzer(prng(seed));
    // One stderr line per closed connection is right for a developer, noise for thousands.
    const write = process.stderr.write.bind(process.stderr);
    const quiet = vi
      .spyOn(process.stderr, "write")
      .mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) =>
        String(chunk).startsWith("local-backend: sync: closing connection") ? true : write(chunk, ...(rest as [])),
      );

    // Four connections at once, so handlers of different connections interleave.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (frames < FRAMES && Date.now() < deadline) {
          const ws = await open();
          connections += 1;
          let version = 0;
          let queryId = 0;
          while (frames < FRAMES && Date.now() < deadline) {
            const frame = fuzz.frame(version, queryId);
            frames += 1;
            if (typeof frame === "string" && frame.includes('"ModifyQuerySet"')) {
              version += 1;
              queryId += 1;
            }
            if (!(await sendAndSettle(ws, frame))) break;
          }
          ws.terminate();
        }
      }),
    );

    quiet.mockRestore();
    expect(uncaught, `seed ${seed}`).toEqual([]);
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain("value"); // the fuzzer itself stayed clean
    expect(frames, `seed ${seed}`).toBeGreaterThanOrEqual(1_000);
    expect(connections).toBeGreaterThan(10); // most hostile frames cost their sender the connection
    await backendStillServes();
  }, 30_000);
});
