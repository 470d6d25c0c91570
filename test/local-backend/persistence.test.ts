// Data survives a restart: same data dir, same document IDs; scheduled functions resume.
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import type { Engine } from "../../local-backend/engine.js";
import { Persistence } from "../../local-backend/persistence.js";
import { startFixture, tempDir, type Fixture } from "./helpers.js";

const api = anyApi;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function track(fx: Fixture) {
  cleanups.push(() => fx.backend.stop());
  return fx;
}

describe("persistence", () => {
  test("write, stop, start on the same data dir, read the same document by its ID", async () => {
    const dataDir = tempDir();
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const first = track(await startFixture({ dataDir, reset: true }));
    let http = new ConvexHttpClient(first.backend.convexUrl, { logger: false });
    const id = (await http.mutation(api.notes.add, { text: "survives" })) as string;
    const streamId = (await http.mutation(api.streams.create, {})) as string;
    await first.backend.stop();
    expect(existsSync(path.join(dataDir, "db.json"))).toBe(true);

    const second = track(await startFixture({ dataDir }));
    http = new ConvexHttpClient(second.backend.convexUrl, { logger: false });
    expect(await http.query(api.notes.get, { id })).toMatchObject({ _id: id, text: "survives" });
    // Component tables are restored too.
    expect(await http.query(api.streams.body, { streamId })).toEqual({ text: "", status: "pending" });
    // New IDs do not collide with restored ones.
    const id2 = (await http.mutation(api.notes.add, { text: "after restart" })) as string;
    expect(id2).not.toBe(id);
    const texts = ((await http.query(api.notes.list, {})) as { text: string }[]).map((n) => n.text);
    expect(texts).toEqual(["survives", "after restart"]);
    await second.backend.stop();

    // --reset starts empty.
    const third = track(await startFixture({ dataDir, reset: true }));
    http = new ConvexHttpClient(third.backend.convexUrl, { logger: false });
    expect(await http.query(api.notes.list, {})).toEqual([]);
  });

  test("the save is a complete JSON file written atomically (no temp file left)", async () => {
    const fx = track(await startFixture());
    cleanups.push(async () => rmSync(fx.dataDir, { recursive: true, force: true }));
    const http = new ConvexHttpClient(fx.backend.convexUrl, { logger: false });
    await http.mutation(api.notes.add, { text: "a" });
    await fx.backend.flush();
    const saved = JSON.parse(readFileSync(path.join(fx.dataDir, "db.json"), "utf8"));
    expect(Object.keys(saved.components)).toEqual(expect.arrayContaining(["", "persistentTextStreaming"]));
    const { readdirSync } = await import("node:fs");
    expect(readdirSync(fx.dataDir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  test("a function scheduled with runAfter fires at its time, also after a restart", async () => {
    const dataDir = tempDir();
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const first = track(await startFixture({ dataDir, reset: true }));
    let http = new ConvexHttpClient(first.backend.convexUrl, { logger: false });
    const t0 = Date.now();
    await http.mutation(api.notes.addLater, { text: "soon", delayMs: 200 });
    await http.mutation(api.notes.addLater, { text: "after restart", delayMs: 1200 });
    const waitFor = async (text: string) => {
      for (let i = 0; i < 100; i++) {
        const notes = (await http.query(api.notes.list, {})) as { text: string }[];
        if (notes.some((n) => n.text === text)) return Date.now();
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`"${text}" never appeared`);
    };
    const firedAt = await waitFor("soon");
    expect(firedAt - t0).toBeGreaterThanOrEqual(190);
    await first.backend.stop();

    const second = track(await startFixture({ dataDir }));
    http = new ConvexHttpClient(second.backend.convexUrl, { logger: false });
    const later = await waitFor("after restart");
    expect(later - t0).toBeGreaterThanOrEqual(1190);
  });

  test("writes only when something changed; cron bookkeeping rides along with the next save", async () => {
    const dir = tempDir();
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const engine = { dbs: new Map(), ts: 1n } as unknown as Engine;
    let cronState = { nextRun: 1 };
    const p = new Persistence(
      engine,
      dir,
      () => cronState,
      (m) => expect.fail(m),
    );
    const file = path.join(dir, "db.json");
    await p.save();
    expect(existsSync(file)).toBe(false); // nothing changed since start
    cronState = { nextRun: 2 };
    p.markStale(); // schedules nothing by itself...
    await new Promise((r) => setTimeout(r, 80));
    expect(existsSync(file)).toBe(false);
    await p.close(); // ...but the final save carries it
    expect(JSON.parse(readFileSync(file, "utf8")).scheduler).toEqual({ nextRun: 2 });
  });
});
