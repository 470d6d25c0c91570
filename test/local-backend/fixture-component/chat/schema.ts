import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

// Named like the app's own table on purpose: the two must not meet.
export default defineSchema({
  messages: defineTable({ text: v.string(), via: v.string() }),
});
