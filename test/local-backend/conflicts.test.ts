// Contention made visible (issue 21): the local backend runs one transaction at a time, so it
// never has a write conflict; it reports the ones a deployment would have had (conflicts.ts).
// Mutations in flight together that read and write one counter: a conflict for each but the
// first, on that document. One after another, or on different counters: none. The real app's
// replies streaming at once: none.
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CONFLICTS_PATH, type ConflictReport } from "../../local-backend/conflicts.js";
import { startLocalBackend, type LocalBackend } from "../../local-backend/index.js";
import { tempDir, useAppBackend } from "./helpers.js";

const bump = makeFunctionReference<"mutation">("counter:bump");
const together = makeFunctionReference<"action">("counter:bumpTogether");

async function report(backend: LocalBackend, method: "GET" | "DELETE" = "GET", key = backend.adminKey) {
  const res = await fetch(`${backend.convexUrl}${CONFLICTS_PATH}`, {
    method,
    headers: { Authorization: `Convex ${key}` },
  });
  return { status: res.status, body: (await res.json()) as ConflictReport };
}

/** A backend serving fixture-conflicts, with an empty database in `dataDir`. */
function startConflictsFixture(dataDir: string): Promise<LocalBackend> {
  return startLocalBackend({
    port: 0,
    dataDir,
    reset: true,
    quiet: true,
    convexDir: fileURLToPath(new URL("./fixture-conflicts/convex", import.meta.url)),
  });
}

describe("mutations that read and write one document", () => {
  let backend: LocalBackend;
  const dataDir = tempDir();
  beforeAll(async () => {
    backend = await startConflictsFixture(dataDir);
    await new ConvexHttpClient(backend.convexUrl).mutation(makeFunctionReference<"mutation">("counter:seed"), {
      n: 100,
    });
  });
  afterAll(async () => {
    await backend?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("in flight together on one counter: conflicts on that document, named by function", async () => {
    await report(backend, "DELETE");
    await new ConvexHttpClient(backend.convexUrl).action(together, { names: Array(6).fill("shared") });
    const { status, body } = await report(backend);
    expect(status).toBe(200);
    expect(body).toMatchObject({ mutations: 6, concurrent: 5 });
    // Each bump after the first was requested before the first ended, and read the counter it wrote.
    expect(body.conflicts).toBe(5);
    expect(body.byTable).toEqual({ counters: 5 });
    expect(body.top).toHaveLength(1);
    expect(body.top[0]).toMatchObject({
      table: "counters",
      conflicts: 5,
      retried: { "counter:bump": 5 },
      writers: { "counter:bump": 5 },
    });
  });

  test("one after another, or together on different counters: none", async () => {
    await report(backend, "DELETE");
    const client = new ConvexHttpClient(backend.convexUrl);
    for (let i = 0; i < 3; i++) await client.mutation(bump, { name: "alone" });
    await client.action(together, { names: Array.from({ length: 6 }, (_, i) => `own-${i}`) });
    const { body } = await report(backend);
    expect(body).toEqual({
      mutations: 9,
      concurrent: 5,
      conflicts: 0,
      byTable: {},
      functions: { "counter:bump": 9 },
      documentsWritten: { counters: 7 },
      top: [],
    });
  });

  test("the report needs the admin key", async () => {
    expect((await report(backend, "GET", "local-backend|not-the-key")).status).toBe(401);
    expect((await report(backend, "DELETE", "local-backend|not-the-key")).status).toBe(401);
  });
});

// A deployment's read set ends a range read where the read stopped: at the last row it returned
// (`.first()`, `.take(n)`, `.unique()`, a page), or at the range's end when it ran out of rows
// (crates/database/src/query/index_range.rs). Here two calls, in flight together, each read one
// range of rows ranked 10, 20, 30 and write a row; the one that ran second is refused only when the
// other's write is inside what it read. The two are alike, so the count does not depend on which ran first.
describe("reads that stop before the end of their range", () => {
  type Order = "asc" | "desc";
  type Read =
    | { kind: "first"; order: Order }
    | { kind: "take"; n: number; order: Order }
    | { kind: "page"; paginationOpts: { numItems: number; cursor: string | null }; order: Order }
    | { kind: "scan"; order: Order };
  type Call = {
    group: string;
    read: Read;
    skip?: number[];
    insert?: number;
    patchFirst?: boolean;
    takeFirst?: "move" | "delete";
  };
  const readAndWrite = makeFunctionReference<"mutation", Call, { ranks: number[]; continueCursor: string | null }>(
    "items:readAndWrite",
  );
  let backend: LocalBackend;
  const dataDir = tempDir();
  beforeAll(async () => {
    backend = await startConflictsFixture(dataDir);
  });
  afterAll(async () => {
    await backend?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  let groups = 0;
  /** A new range ranked 10, 20, 30, then two calls on it at once: the conflicts they would have had. */
  async function twoAtOnce(
    read: Read | ((group: string) => Promise<Read>),
    writes: [Omit<Call, "group" | "read">, Omit<Call, "group" | "read">],
  ) {
    const group = `g${groups++}`;
    const client = new ConvexHttpClient(backend.convexUrl);
    await client.mutation(makeFunctionReference<"mutation">("items:seed"), { group, ranks: [10, 20, 30] });
    const r = typeof read === "function" ? await read(group) : read;
    await report(backend, "DELETE");
    await client.action(makeFunctionReference<"action">("items:together"), {
      calls: writes.map((w) => ({ group, read: r, ...w })),
    });
    const { body } = await report(backend);
    expect(body).toMatchObject({ mutations: 2, concurrent: 1, functions: { "items:readAndWrite": 2 } });
    expect(body.byTable).toEqual(body.conflicts ? { items: body.conflicts } : {});
    return body.conflicts;
  }
  const first = (order: Order): Read => ({ kind: "first", order });

  test(".first(): a row written past the row it returned is not read; one before it, or that row, is", async () => {
    expect(await twoAtOnce(first("asc"), [{ insert: 50 }, { insert: 60 }])).toBe(0);
    expect(await twoAtOnce(first("asc"), [{ insert: 5 }, { insert: 4 }])).toBe(1);
    expect(await twoAtOnce(first("asc"), [{ patchFirst: true }, { patchFirst: true }])).toBe(1);
  });

  // As queue runners do: each takes the oldest row. The one that ran second read up to the row
  // after it, and the row taken (its old key) was inside that: a deployment checks a write's old
  // index key as well as its new one (crates/database/src/reads.rs).
  test(".first(): a row taken out of the range before the row returned (moved or deleted) was read", async () => {
    expect(await twoAtOnce(first("asc"), [{ takeFirst: "move" }, { takeFirst: "move" }])).toBe(1);
    expect(await twoAtOnce(first("desc"), [{ takeFirst: "delete" }, { takeFirst: "delete" }])).toBe(1);
  });

  test(".first() in descending order: the same, mirrored", async () => {
    expect(await twoAtOnce(first("desc"), [{ insert: 5 }, { insert: 4 }])).toBe(0);
    expect(await twoAtOnce(first("desc"), [{ insert: 50 }, { insert: 60 }])).toBe(1);
  });

  test("a whole table in creation order: .first() reads up to the oldest row, or down to the newest", async () => {
    // New rows are the newest: past the oldest, and before (above) the newest.
    expect(await twoAtOnce({ kind: "scan", order: "asc" }, [{ insert: 50 }, { insert: 60 }])).toBe(0);
    expect(await twoAtOnce({ kind: "scan", order: "desc" }, [{ insert: 50 }, { insert: 60 }])).toBe(1);
  });

  test(".take(n): past its nth row nothing was read; when it ran out of rows, all of the range was", async () => {
    expect(await twoAtOnce({ kind: "take", n: 2, order: "asc" }, [{ insert: 50 }, { insert: 60 }])).toBe(0);
    expect(await twoAtOnce({ kind: "take", n: 2, order: "desc" }, [{ insert: 5 }, { insert: 4 }])).toBe(0);
    expect(await twoAtOnce({ kind: "take", n: 2, order: "asc" }, [{ insert: 15 }, { insert: 16 }])).toBe(1);
    // Ran out of rows: the other's new row is read, though the filter passes over it (as a row
    // it returned, it would count anyway).
    const skip = [4, 5, 50, 60];
    expect(
      await twoAtOnce({ kind: "take", n: 5, order: "asc" }, [
        { insert: 50, skip },
        { insert: 60, skip },
      ]),
    ).toBe(1);
    expect(
      await twoAtOnce({ kind: "take", n: 5, order: "desc" }, [
        { insert: 5, skip },
        { insert: 4, skip },
      ]),
    ).toBe(1);
  });

  test("a page: from its cursor to its last row; the last page, to the range's end", async () => {
    const page = (numItems: number, cursor: string | null = null): Read => ({
      kind: "page",
      paginationOpts: { numItems, cursor },
      order: "asc",
    });
    /** The second page of one row: after the row ranked 10. */
    const second = async (group: string) => {
      const firstPage = await new ConvexHttpClient(backend.convexUrl).mutation(readAndWrite, {
        group,
        read: page(1),
      });
      expect(firstPage.ranks).toEqual([10]);
      return page(1, firstPage.continueCursor);
    };
    expect(await twoAtOnce(page(1), [{ insert: 50 }, { insert: 60 }])).toBe(0);
    expect(await twoAtOnce(second, [{ insert: 5 }, { insert: 4 }])).toBe(0);
    expect(await twoAtOnce(second, [{ insert: 15 }, { insert: 16 }])).toBe(1);
    const skip = [50, 60];
    expect(
      await twoAtOnce(page(10), [
        { insert: 50, skip },
        { insert: 60, skip },
      ]),
    ).toBe(1);
  });
});

/** `n` visitors each send a prompt (one after another), then their replies are driven at once. */
async function repliesAtOnce(backend: LocalBackend, n: number) {
  const post = (body: object, token?: string) =>
    fetch(`${backend.siteUrl}/chat-stream`, {
      method: "POST",
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      body: JSON.stringify(body),
    });
  const client = new ConvexHttpClient(backend.convexUrl);
  // Each visitor's first reply (stopped), then (all at once, so no pending reply waits past a short lease)
  // the prompts whose replies are driven together.
  const visitors = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const first = await post({ prompt: `Hello ${i}` });
      const header = JSON.parse(first.headers.get("X-Chat-Reply")!) as { threadId: string; token: string };
      // Stopped: only the prompt after it matters here.
      await client.mutation(makeFunctionReference<"mutation">("messages:stop"), {
        threadId: header.threadId,
        token: header.token,
      });
      await first.text();
      return header;
    }),
  );
  const pending = await Promise.all(
    visitors.map(async ({ threadId, token }, i) => {
      const sent = (await client.mutation(makeFunctionReference<"mutation">("messages:send"), {
        threadId,
        token,
        prompt: `And again ${i}`,
      })) as { streamId: string };
      return { token, streamId: sent.streamId };
    }),
  );
  await new Promise((r) => setTimeout(r, 500));
  await report(backend, "DELETE");
  const began = Date.now();
  const bodies = await Promise.all(
    pending.map(async ({ token, streamId }) => (await post({ streamId }, token)).text()),
  );
  return { bodies, ms: Date.now() - began };
}

describe("the app's replies, streaming at once", () => {
  const backend = useAppBackend({ DEMO_TOKEN_DELAY_MS: "5" });

  test("begin, flushes, finish, the charge and the cleanup: no conflicts", { timeout: 30_000 }, async () => {
    const { bodies } = await repliesAtOnce(backend(), 4);
    expect(bodies.every((b) => b.length > 100)).toBe(true);
    // The charges and the deletions at rest, scheduled as each reply ended.
    await new Promise((r) => setTimeout(r, 1_000));
    const { body } = await report(backend());
    // Per reply at least its begin, a flush, its finish, its charge and its deltas' deletion.
    expect(body.mutations).toBeGreaterThanOrEqual(4 * 5);
    // Flushes of different replies were in flight together: they could have conflicted.
    expect(body.concurrent).toBeGreaterThan(0);
    expect(body.top).toEqual([]);
    expect(body.conflicts).toBe(0);
  });
});

// Bench row 10 found each reply's lease contended: the scheduled lease check read it while a
// flush renewed it (35 conflicts in 100 replies). The check is now a dead man's switch, moved by
// each renewal: for a live driver it never runs, so it cannot conflict with a flush.
describe("replies outlasting their lease, streaming at once", () => {
  const leaseMs = 5_000;
  const backend = useAppBackend({ DEMO_TOKEN_DELAY_MS: "60", REPLY_LEASE_MS: String(leaseMs) });

  test("the lease check never runs beside a live driver: no conflicts", { timeout: 60_000 }, async () => {
    const { bodies, ms } = await repliesAtOnce(backend(), 4);
    expect(bodies.every((b) => b.length > 100)).toBe(true);
    // Long enough for each reply's check to have come due more than once had it not moved.
    expect(ms).toBeGreaterThan(1.5 * leaseMs);
    await new Promise((r) => setTimeout(r, 1_000));
    const { body } = await report(backend());
    expect(body.functions["aiChat/chat:flush"]).toBeGreaterThan(4 * 10);
    expect(body.functions["aiChat/chat:expireLease"]).toBeUndefined();
    expect(body.top).toEqual([]);
    expect(body.conflicts).toBe(0);
  });
});
