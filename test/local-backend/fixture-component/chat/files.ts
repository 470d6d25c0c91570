import { v } from "convex/values";
import { action, mutation, query } from "./_generated/server";

/** Stores `text` in the component's own file storage. */
export const store = action({
  args: { text: v.string() },
  returns: v.string(),
  handler: async (ctx, { text }) => await ctx.storage.store(new Blob([text])),
});

/** A stored file's text, or null when this component has no such file. */
export const read = action({
  args: { storageId: v.string() },
  returns: v.union(v.null(), v.string()),
  handler: async (ctx, { storageId }) => (await (await ctx.storage.get(storageId))?.text()) ?? null,
});

/** An upload URL of the component's own storage. */
export const uploadUrl = mutation({
  args: {},
  returns: v.string(),
  handler: async (ctx) => await ctx.storage.generateUploadUrl(),
});

/** A file's `_storage` row in the component's storage, or null. */
export const meta = query({
  args: { storageId: v.string() },
  returns: v.union(v.null(), v.object({ size: v.number(), contentType: v.union(v.null(), v.string()) })),
  handler: async (ctx, { storageId }) => {
    const id = ctx.db.system.normalizeId("_storage", storageId);
    const row = id ? await ctx.db.system.get(id) : null;
    return row ? { size: row.size, contentType: row.contentType ?? null } : null;
  },
});
