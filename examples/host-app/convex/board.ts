// The host app's own messages (a team board), in its own `messages` table.
import { ConvexError, v } from "convex/values";
import { mutation, query } from "./_generated/server";
import { currentUser } from "./users";

export const post = mutation({
  args: { body: v.string() },
  returns: v.null(),
  handler: async (ctx, { body }) => {
    const user = await currentUser(ctx);
    if (!user) throw new ConvexError("sign in first");
    await ctx.db.insert("messages", { author: user._id, body });
    return null;
  },
});

export const list = query({
  args: {},
  returns: v.array(v.object({ author: v.string(), body: v.string() })),
  handler: async (ctx) => {
    const rows = await ctx.db.query("messages").order("desc").take(50);
    return await Promise.all(
      rows.map(async (m) => ({ author: (await ctx.db.get("users", m.author))?.name ?? "?", body: m.body })),
    );
  },
});
