// Mutations that read and write a counter by name (test/local-backend/conflicts.test.ts): two in
// flight together on one name conflict on a deployment; on different names they do not.
import { actionGeneric as action, anyApi, mutationGeneric as mutation, queryGeneric as query } from "convex/server";
import { v } from "convex/values";

export const seed = mutation({
  args: { n: v.number() },
  handler: async (ctx, { n }) => {
    for (let i = 0; i < n; i++) await ctx.db.insert("pad", { i });
    return null;
  },
});

export const bump = mutation({
  args: { name: v.string() },
  handler: async (ctx, { name }) => {
    const row = await ctx.db
      .query("counters")
      .withIndex("by_name", (q) => q.eq("name", name))
      .unique();
    // Reads of a table nobody writes: never a conflict.
    const pad = await ctx.db.query("pad").take(100);
    if (row) await ctx.db.patch("counters", row._id, { count: row.count + pad.length });
    else await ctx.db.insert("counters", { name, count: pad.length });
    return null;
  },
});

export const get = query({
  args: { name: v.string() },
  handler: async (ctx, { name }) =>
    (
      await ctx.db
        .query("counters")
        .withIndex("by_name", (q) => q.eq("name", name))
        .unique()
    )?.count ?? null,
});

/** One bump per name, all requested at once (as an action's `Promise.all` of mutations does). */
export const bumpTogether = action({
  args: { names: v.array(v.string()) },
  handler: async (ctx, { names }) => {
    await Promise.all(names.map((name) => ctx.runMutation(anyApi.counter.bump, { name })));
    return null;
  },
});
