// HTTP actions and actions stop as a deployment stops them (local-backend/actionRuntime.ts):
// nothing runs after the response body ended, a disconnected client's writes are dropped,
// request.signal aborts, and the action time limit applies.
import http from "node:http";
import { anyApi } from "convex/server";
import { describe, expect, test } from "vitest";
import { useFixture } from "./helpers.js";

const api = anyApi;
const { fx, http: client } = useFixture({ actionTimeoutMs: 800 });

const notes = async () => ((await client().query(api.notes.list, {})) as { text: string }[]).map((n) => n.text);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForNote(prefix: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const found = (await notes()).find((t) => t.startsWith(prefix));
    if (found) return found;
    await sleep(50);
  }
  throw new Error(`no note starting with "${prefix}"`);
}

describe("HTTP actions", () => {
  test("work still pending when the response body ends never runs", async () => {
    const res = await fetch(`${fx().backend.siteUrl}/work-after-body-end`, {
      method: "POST",
      body: JSON.stringify({ tag: "t1" }),
    });
    expect(await res.text()).toBe("done");
    await waitForNote("t1 before close");
    // What the action attempted after close would have committed within milliseconds.
    await sleep(300);
    expect(await notes()).not.toContain("t1 after close");
  });

  test("after the client disconnects, writes are dropped without failing and request.signal aborts", async () => {
    await new Promise<void>((resolve, reject) => {
      const req = http.request(`${fx().backend.siteUrl}/write-after-disconnect`, { method: "POST" }, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", () => {});
      req.once("timeout", reject);
      req.end(JSON.stringify({ tag: "t2", n: 8, delayMs: 40 }));
    });
    expect(await waitForNote("t2 ")).toBe("t2 failures=0 aborted=true");
  });

  test("a body that never ends is cut off at the action time limit", async () => {
    const started = Date.now();
    const res = await fetch(`${fx().backend.siteUrl}/forever`);
    const reader = res.body!.getReader();
    let received = "";
    const ended = await (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return "done";
          received += new TextDecoder().decode(value);
        }
      } catch {
        return "broken off";
      }
    })();
    expect(ended).toBe("broken off");
    expect(received.startsWith("0\n")).toBe(true);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(700);
    expect(elapsed).toBeLessThan(5_000);
  });
});

describe("killActions (a restart)", () => {
  test("breaks off a streamed body mid-way, and the action's pending work never runs", async () => {
    const res = await fetch(`${fx().backend.siteUrl}/write-after-disconnect`, {
      method: "POST",
      body: JSON.stringify({ tag: "t4", n: 6, delayMs: 60 }),
    });
    const reader = res.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("0\n");
    expect(fx().backend.killActions()).toBe(1);
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return "ended cleanly";
      })(),
    ).rejects.toThrow();
    // Unkilled, it would have written its note after 6 x 60 ms.
    await sleep(600);
    expect((await notes()).filter((t) => t.startsWith("t4"))).toEqual([]);
    expect(fx().backend.killActions()).toBe(0);
  });

  test("fails a running action's call and leaves the backend serving", async () => {
    const running = client().action(api.notes.sleepFor, { ms: 500 });
    await sleep(100);
    expect(fx().backend.killActions()).toBe(1);
    await expect(running).rejects.toThrow("the backend stopped it (restart)");
    await expect(client().action(api.notes.sleepFor, { ms: 10 })).resolves.toBe(10);
  });
});

describe("actions", () => {
  test("an action over the time limit fails with the deployment's message", async () => {
    await expect(client().action(api.notes.sleepFor, { ms: 3_000 })).rejects.toThrow(
      "Function execution timed out (maximum duration: 800ms)",
    );
  });

  test("an action within the time limit returns", async () => {
    await expect(client().action(api.notes.sleepFor, { ms: 50 })).resolves.toBe(50);
  });
});

describe("idle connections", () => {
  test("stay open past Node's 5 s default, as a deployment's edge keeps them: a pause reuses the connection", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ reused: boolean; port: number }>((resolve, reject) => {
        const req = http.get(`${fx().backend.siteUrl}/url`, { agent }, (res) => {
          res.resume();
          res.on("end", () => resolve({ reused: req.reusedSocket, port: req.socket!.localPort! }));
        });
        req.on("error", reject);
      });
    try {
      const first = await get();
      await sleep(6_000);
      const second = await get();
      expect(second.reused).toBe(true);
      expect(second.port).toBe(first.port);
    } finally {
      agent.destroy();
    }
  }, 15_000);
});
