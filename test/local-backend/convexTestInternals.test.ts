// The module that patches convex-test internals refuses any other convex-test version, its
// indexed reads answer as convex-test's scans do, and the shapes it reads (index order, page
// cursors, a scheduled job's run) are convex-test's, so an upgrade that moves them fails here.
import {
  anyApi,
  defineSchema,
  defineTable,
  mutationGeneric,
  type GenericDatabaseWriter,
  type PaginationResult,
} from "convex/server";
import { convexToJson, v, type Value } from "convex/values";
import { describe, expect, test } from "vitest";
import {
  checkConvexTestVersion,
  CONVEX_TEST_VERSION,
  createConvexTest,
  decodeCursor,
  installedConvexTestVersion,
  scheduledRun,
} from "../../local-backend/convexTestInternals.js";

describe("convex-test internals", () => {
  test("the installed convex-test is the version the patches were written for", () => {
    expect(installedConvexTestVersion()).toBe(CONVEX_TEST_VERSION);
    expect(() => checkConvexTestVersion()).not.toThrow();
  });

  test("another installed version fails with one line naming both versions and the fix", () => {
    expect(() => checkConvexTestVersion("0.0.61")).toThrow(
      "convex-test 0.0.61 is installed, but local-backend/convexTestInternals.ts patches the internals of 0.0.60: " +
        "install convex-test@0.0.60 (npm ci) or port that module to 0.0.61",
    );
  });
});

// convex-test answered every read by listing all of the component's documents: a flush's
// "last delta" read cost as much as the whole database (bench row 10 stalled at 40 streams).
describe("reads visit their index range, not the whole database", () => {
  const schema = defineSchema({
    rows: defineTable({ key: v.string(), n: v.number() }).index("by_key", ["key"]),
    other: defineTable({ n: v.number() }),
  });
  const modules = { "/x/_generated/api.js": async () => ({}) };

  function setUp() {
    const internals = createConvexTest(schema, modules, { onCommit: () => {}, checkDocument: () => {} });
    const db = internals.databases().get("")!;
    return { t: internals.t, db };
  }
  type Ctx = { db: GenericDatabaseWriter<any> };
  const byKey = (ctx: Ctx, key: string) =>
    ctx.db
      .query("rows")
      .withIndex("by_key", (q) => q.eq("key", key))
      .collect();
  /** The same answer from a scan of the whole table. */
  const scanned = (ctx: Ctx, key: string) =>
    ctx.db
      .query("rows")
      .filter((q) => q.eq(q.field("key"), key))
      .collect();

  test("an eq read looks at the documents with that value only (100 of 5,000)", async () => {
    const { t, db } = setUp();
    await t.run(async (ctx: Ctx) => {
      for (let i = 0; i < 2000; i++) await ctx.db.insert("rows", { key: `k${i % 20}`, n: i });
      for (let i = 0; i < 3000; i++) await ctx.db.insert("other", { n: i });
      return null;
    });
    // Count every document looked up in the committed state.
    let looked = 0;
    const contents = db.contents();
    const documents = new Proxy(contents.documents, {
      get(target, p, receiver) {
        if (typeof p === "string") looked++;
        return Reflect.get(target, p, receiver);
      },
      getOwnPropertyDescriptor(target, p) {
        looked++;
        return Reflect.getOwnPropertyDescriptor(target, p);
      },
    });
    db.restore({ ...contents, documents });
    await t.run(async (ctx: Ctx) => (await byKey(ctx, "k1")).length); // the first read of `key` indexes it
    looked = 0;
    const found = await t.run(async (ctx: Ctx) => (await byKey(ctx, "k3")).map((d) => d.n));
    expect(found).toHaveLength(100);
    expect(looked).toBeLessThanOrEqual(100);
  });

  test("reads see commits and the transaction's own writes: inserted, moved to another value, deleted", async () => {
    const { t } = setUp();
    const ids = await t.run(async (ctx: Ctx) => {
      const out = [];
      for (let i = 0; i < 30; i++) out.push(await ctx.db.insert("rows", { key: `k${i % 3}`, n: i }));
      return out;
    });
    const same = async (ctx: Ctx) => {
      for (const key of ["k0", "k1", "k2", "k3"])
        expect((await byKey(ctx, key)).map((d) => d._id).sort()).toEqual(
          (await scanned(ctx, key)).map((d) => d._id).sort(),
        );
    };
    await t.run(async (ctx: Ctx) => {
      await byKey(ctx, "k0"); // indexed from here on
      await ctx.db.patch(ids[0], { key: "k1" });
      await ctx.db.delete(ids[3]);
      await ctx.db.insert("rows", { key: "k3", n: 99 });
      await same(ctx); // pending writes
      return null;
    });
    await t
      .run(async (ctx: Ctx) => {
        await same(ctx); // committed
        expect(await byKey(ctx, "k0")).toHaveLength(8);
        expect(await byKey(ctx, "k1")).toHaveLength(11);
        expect(await byKey(ctx, "k3")).toHaveLength(1);
        await ctx.db.patch(ids[1], { key: "k0" });
        throw new Error("rolled back");
      })
      .catch(() => {});
    await t.run(async (ctx: Ctx) => {
      await same(ctx); // the rolled-back move left no trace
      expect(await byKey(ctx, "k0")).toHaveLength(8);
      return null;
    });
  });
});

describe("what the conflict recorder and the scheduler read of convex-test", () => {
  const schema = defineSchema({
    rows: defineTable({ key: v.string(), n: v.number() }).index("by_key_n", ["key", "n"]),
  });
  const modules = {
    "/x/_generated/api.js": async () => ({}),
    "/x/jobs.js": async () => ({
      schedule: mutationGeneric({
        args: {},
        handler: async (ctx) => {
          await ctx.scheduler.runAfter(0, anyApi.jobs.later, {});
          return null;
        },
      }),
      later: mutationGeneric({
        args: {},
        handler: async (ctx) => {
          await ctx.db.insert("rows", { key: "later", n: 0 });
          return null;
        },
      }),
    }),
  };
  function setUp() {
    const internals = createConvexTest(schema, modules, { onCommit: () => {}, checkDocument: () => {} });
    return { t: internals.t, db: internals.databases().get("")! };
  }
  type Ctx = { db: GenericDatabaseWriter<any> };

  test("an index's order (its fields, _creationTime, _id) is the one a page's cursor names", async () => {
    const { t, db } = setUp();
    expect(db.indexFields("rows.by_key_n")).toEqual(["key", "n", "_creationTime", "_id"]);
    expect(db.indexFields("rows.by_creation_time")).toEqual(["_creationTime", "_id"]);
    expect(db.indexFields("rows.by_id")).toEqual(["_id"]);
    expect(db.indexFields("rows.nope")).toBeNull();
    const page = await t.run(async (ctx: Ctx) => {
      for (let n = 0; n < 4; n++) await ctx.db.insert("rows", { key: "a", n });
      return (await ctx.db
        .query("rows")
        .withIndex("by_key_n", (q) => q.eq("key", "a"))
        .order("desc")
        .paginate({ numItems: 2, cursor: null })) as PaginationResult<Record<string, Value>>;
    });
    expect(page.page.map((r) => r.n)).toEqual([3, 2]);
    const last = page.page[1];
    expect(decodeCursor(page.continueCursor)).toEqual(
      db.indexFields("rows.by_key_n")!.map((f) => convexToJson(last[f])),
    );
    expect(decodeCursor("_end_cursor")).toBe("end");
    expect(decodeCursor(null)).toBeNull();
  });

  test("a scheduled job's timer callback gives its run, settled once the job has ended", async () => {
    const { t, db } = setUp();
    const timers: (() => void)[] = [];
    const g = globalThis as unknown as { setTimeout: unknown };
    const setTimeout = g.setTimeout;
    g.setTimeout = (cb: () => void) => timers.push(cb);
    try {
      await t.mutationFromPath({ udfPath: "jobs:schedule", componentPath: "" }, {});
    } finally {
      g.setTimeout = setTimeout;
    }
    expect(timers).toHaveLength(1);
    const documents = () => Object.values(db.documents());
    await scheduledRun(timers[0]);
    // Right as the run settles (nothing awaited since): the job's function has committed and its
    // state is final. A run that settled early (the callback's shape changed) would see neither.
    expect(documents().filter((d) => d.key === "later")).toHaveLength(1);
    expect(documents().find((d) => d.name === "jobs:later")?.state).toEqual({ kind: "success" });
  });
});
