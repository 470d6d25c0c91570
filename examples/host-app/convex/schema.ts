// The host app's own data. The chat component's tables (its own `messages` among them) live in
// the component and never meet these.
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  users: defineTable({
    name: v.string(),
    /** The signed-in identity's `tokenIdentifier` (auth.config.ts). */
    tokenIdentifier: v.string(),
    role: v.union(v.literal("admin"), v.literal("member")),
  }).index("by_tokenIdentifier", ["tokenIdentifier"]),
  messages: defineTable({ author: v.id("users"), body: v.string() }),
});
