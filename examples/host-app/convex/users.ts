// The host app's notion of a signed-in user: a `users` row per identity; the first is the admin.
import { ConvexError, v } from "convex/values";
import type { QueryCtx } from "./_generated/server";
import { mutation, query } from "./_generated/server";
import type { Doc } from "./_generated/dataModel";

/** The signed-in user's row, or null (signed out, or not signed up yet). */
export async function currentUser(ctx: QueryCtx): Promise<Doc<"users"> | null> {
  const identity = await ctx.auth.getUserIdentity();
  if (!identity) return null;
  return await ctx.db
    .query("users")
    .withIndex("by_tokenIdentifier", (q) => q.eq("tokenIdentifier", identity.tokenIdentifier))
    .unique();
}

/** Creates the signed-in identity's user; the app's first user is its admin. */
export const signUp = mutation({
  args: { name: v.string() },
  returns: v.id("users"),
  handler: async (ctx, { name }) => {
    const identity = await ctx.auth.getUserIdentity();
    if (!identity) throw new ConvexError("sign in first");
    const existing = await currentUser(ctx);
    if (existing) return existing._id;
    const first = (await ctx.db.query("users").first()) === null;
    return await ctx.db.insert("users", {
      name,
      tokenIdentifier: identity.tokenIdentifier,
      role: first ? "admin" : "member",
    });
  },
});

export const me = query({
  args: {},
  returns: v.union(v.null(), v.object({ name: v.string(), role: v.string() })),
  handler: async (ctx) => {
    const user = await currentUser(ctx);
    return user && { name: user.name, role: user.role };
  },
});
