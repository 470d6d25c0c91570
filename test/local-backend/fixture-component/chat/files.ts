import { v } from "convex/values";
import { action } from "./_generated/server";

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
