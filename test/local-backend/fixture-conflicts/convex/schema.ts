import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  counters: defineTable({ name: v.string(), count: v.number() }).index("by_name", ["name"]),
  /** Rows every bump reads and none writes. */
  pad: defineTable({ i: v.number() }),
  /** Rows read in part (items.ts). */
  items: defineTable({ group: v.string(), rank: v.number() }).index("by_group_rank", ["group", "rank"]),
});
