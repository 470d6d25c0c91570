import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

// The app's own `messages`, unlike the component's (no `via`).
export default defineSchema({
  messages: defineTable({ body: v.string() }),
});
