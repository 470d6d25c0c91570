import { v } from "convex/values";
import { components } from "./_generated/api";
import { action, mutation, query } from "./_generated/server";

const chatMessage = v.object({ text: v.string(), via: v.string() });

/** Adds to the app's own messages table. */
export const send = mutation({
  args: { body: v.string() },
  returns: v.null(),
  handler: async (ctx, { body }) => {
    await ctx.db.insert("messages", { body });
    return null;
  },
});

/** The app's own messages. */
export const list = query({
  args: {},
  returns: v.array(v.string()),
  handler: async (ctx) => (await ctx.db.query("messages").collect()).map((m) => m.body),
});

/** Adds to the component's messages, as a host app calls a component. */
export const sendToChat = mutation({
  args: { text: v.string() },
  returns: v.null(),
  handler: async (ctx, { text }) => {
    await ctx.runMutation(components.chat.messages.add, { text, via: "app" });
    return null;
  },
});

export const chatMessages = query({
  args: {},
  returns: v.array(chatMessage),
  handler: async (ctx) => await ctx.runQuery(components.chat.messages.list, {}),
});

export const chatLimited = mutation({
  args: { key: v.string(), text: v.string() },
  returns: v.boolean(),
  handler: async (ctx, args) => await ctx.runMutation(components.chat.messages.addLimited, args),
});

export const chatLater = mutation({
  args: { text: v.string(), delayMs: v.number() },
  returns: v.null(),
  handler: async (ctx, args) => await ctx.runMutation(components.chat.messages.addLater, args),
});

export const createStream = mutation({
  args: {},
  returns: v.string(),
  handler: async (ctx) => await ctx.runMutation(components.chat.streams.create, {}),
});

export const streamBody = query({
  args: { streamId: v.string() },
  returns: v.object({ text: v.string(), status: v.string() }),
  handler: async (ctx, args) => await ctx.runQuery(components.chat.streams.body, args),
});

/** Who the app sees, and who the component sees on the same call. */
export const identities = query({
  args: {},
  returns: v.object({ app: v.union(v.null(), v.string()), chat: v.union(v.null(), v.string()) }),
  handler: async (ctx) => ({
    app: (await ctx.auth.getUserIdentity())?.subject ?? null,
    chat: await ctx.runQuery(components.chat.messages.whoami, {}),
  }),
});

export const chatIdentityFromAction = action({
  args: {},
  returns: v.union(v.null(), v.string()),
  handler: async (ctx) => await ctx.runQuery(components.chat.messages.whoami, {}),
});

export const chatEnvInQuery = query({
  args: {},
  returns: v.any(),
  handler: async (ctx) => await ctx.runQuery(components.chat.env.inQuery, {}),
});

export const chatEnvInAction = action({
  args: {},
  returns: v.any(),
  handler: async (ctx) => await ctx.runAction(components.chat.env.inAction, {}),
});

/** What the app itself reads, for comparison with the component. */
export const appEnv = query({
  args: {},
  returns: v.object({ appOnly: v.union(v.null(), v.string()), siteUrl: v.union(v.null(), v.string()) }),
  handler: async () => ({
    appOnly: process.env.APP_ONLY ?? null,
    siteUrl: process.env.CONVEX_SITE_URL ?? null,
  }),
});

export const chatStore = action({
  args: { text: v.string() },
  returns: v.string(),
  handler: async (ctx, args) => await ctx.runAction(components.chat.files.store, args),
});

export const chatRead = action({
  args: { storageId: v.string() },
  returns: v.union(v.null(), v.string()),
  handler: async (ctx, args) => await ctx.runAction(components.chat.files.read, args),
});

/** The app's own storage, asked for a file the component stored. */
export const appRead = action({
  args: { storageId: v.string() },
  returns: v.union(v.null(), v.string()),
  handler: async (ctx, { storageId }) => (await (await ctx.storage.get(storageId))?.text()) ?? null,
});

/** An upload URL minted by the component: the file lands in the component's storage. */
export const chatUploadUrl = mutation({
  args: {},
  returns: v.string(),
  handler: async (ctx) => await ctx.runMutation(components.chat.files.uploadUrl, {}),
});

export const chatMeta = query({
  args: { storageId: v.string() },
  returns: v.union(v.null(), v.object({ size: v.number(), contentType: v.union(v.null(), v.string()) })),
  handler: async (ctx, args) => await ctx.runQuery(components.chat.files.meta, args),
});

/** The app's own `_storage` row for an ID, or null. */
export const appMeta = query({
  args: { storageId: v.string() },
  returns: v.union(v.null(), v.number()),
  handler: async (ctx, { storageId }) => {
    const id = ctx.db.system.normalizeId("_storage", storageId);
    return id ? ((await ctx.db.system.get(id))?.size ?? null) : null;
  },
});
