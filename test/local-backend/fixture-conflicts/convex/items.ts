// A mutation that reads part of an index range and writes a row (test/local-backend/conflicts.test.ts):
// two in flight together conflict on a deployment only when one's write lands inside what the
// other read, which ends at the last row a read returned unless it ran out of rows.
import { actionGeneric as action, anyApi, mutationGeneric as mutation, paginationOptsValidator } from "convex/server";
import { v } from "convex/values";

const order = v.union(v.literal("asc"), v.literal("desc"));
const read = v.union(
  v.object({ kind: v.literal("first"), order }),
  v.object({ kind: v.literal("take"), n: v.number(), order }),
  v.object({ kind: v.literal("page"), paginationOpts: paginationOptsValidator, order }),
  /** `.first()` of the whole table, in creation order (no index range). */
  v.object({ kind: v.literal("scan"), order }),
);
const call = v.object({
  group: v.string(),
  read,
  /** Ranks the read passes over (a filter: still read, not returned). */
  skip: v.optional(v.array(v.number())),
  /** A new row's rank. */
  insert: v.optional(v.number()),
  /** Writes the first row read (its rank unchanged). */
  patchFirst: v.optional(v.boolean()),
  /** Takes the first row read out of the range: "move" to another group, or "delete" it. */
  takeFirst: v.optional(v.union(v.literal("move"), v.literal("delete"))),
});

export const seed = mutation({
  args: { group: v.string(), ranks: v.array(v.number()) },
  returns: v.null(),
  handler: async (ctx, { group, ranks }) => {
    for (const rank of ranks) await ctx.db.insert("items", { group, rank });
    return null;
  },
});

/** Reads as told, then writes; returns the ranks read and a page's cursor. */
export const readAndWrite = mutation({
  args: call,
  returns: v.object({ ranks: v.array(v.number()), continueCursor: v.union(v.string(), v.null()) }),
  handler: async (ctx, { group, read, skip = [], insert, patchFirst, takeFirst }) => {
    const range = ctx.db
      .query("items")
      .withIndex("by_group_rank", (q) => q.eq("group", group))
      .order(read.order)
      // A filter on purpose: the rows it passes over are read all the same.
      // eslint-disable-next-line @convex-dev/no-filter-in-query
      .filter((q) => q.and(...skip.map((rank) => q.neq(q.field("rank"), rank))));
    let rows;
    let continueCursor = null;
    if (read.kind === "first" || read.kind === "scan") {
      const row = await (read.kind === "scan" ? ctx.db.query("items").order(read.order) : range).first();
      rows = row ? [row] : [];
    } else if (read.kind === "take") rows = await range.take(read.n);
    else {
      const page = await range.paginate(read.paginationOpts);
      rows = page.page;
      continueCursor = page.continueCursor;
    }
    if (insert !== undefined) await ctx.db.insert("items", { group, rank: insert });
    if (patchFirst && rows[0]) await ctx.db.patch("items", rows[0]._id, { rank: rows[0].rank });
    if (takeFirst === "move" && rows[0]) await ctx.db.patch("items", rows[0]._id, { group: `${group}-taken` });
    if (takeFirst === "delete" && rows[0]) await ctx.db.delete("items", rows[0]._id);
    return { ranks: rows.map((r) => r.rank), continueCursor };
  },
});

/** The calls all requested at once (as an action's `Promise.all` of mutations does). */
export const together = action({
  args: { calls: v.array(call) },
  returns: v.null(),
  handler: async (ctx, { calls }) => {
    await Promise.all(calls.map((c) => ctx.runMutation(anyApi.items.readAndWrite, c)));
    return null;
  },
});
