import { RateLimiter, MINUTE } from "@convex-dev/rate-limiter";
import { v } from "convex/values";
import { components, internal } from "./_generated/api";
import { internalMutation, mutation, query } from "./_generated/server";

const message = v.object({ text: v.string(), via: v.string() });
const limiter = new RateLimiter(components.rateLimiter, {
  post: { kind: "fixed window", rate: 2, period: MINUTE },
});

/** Adds one message to the component's own table. */
export const add = mutation({
  args: { text: v.string(), via: v.string() },
  returns: v.string(),
  handler: async (ctx, args) => await ctx.db.insert("messages", args),
});

/** The component's messages, oldest first. */
export const list = query({
  args: {},
  returns: v.array(message),
  handler: async (ctx) => (await ctx.db.query("messages").collect()).map(({ text, via }) => ({ text, via })),
});

/** Adds a message through the nested rate limiter: two per key per minute. */
export const addLimited = mutation({
  args: { key: v.string(), text: v.string() },
  returns: v.boolean(),
  handler: async (ctx, { key, text }) => {
    const { ok } = await limiter.limit(ctx, "post", { key });
    if (ok) await ctx.db.insert("messages", { text, via: "limited" });
    return ok;
  },
});

/** Adds a message later, through the component's own scheduler. */
export const addLater = mutation({
  args: { text: v.string(), delayMs: v.number() },
  returns: v.null(),
  handler: async (ctx, { text, delayMs }) => {
    await ctx.scheduler.runAfter(delayMs, internal.messages.addScheduled, { text });
    return null;
  },
});

export const addScheduled = internalMutation({
  args: { text: v.string() },
  returns: v.null(),
  handler: async (ctx, { text }) => {
    await ctx.db.insert("messages", { text, via: "scheduler" });
    return null;
  },
});

/** What `ctx.auth` shows inside the component (a deployment passes no caller identity in). */
export const whoami = query({
  args: {},
  returns: v.union(v.null(), v.string()),
  handler: async (ctx) => (await ctx.auth.getUserIdentity())?.subject ?? null,
});
