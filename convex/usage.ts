/**
 * Charging replies to the daily token budgets, off the reply's path (`lib/budget.ts`): a reply's
 * end schedules one `settle`, so the deployment-wide usage row, which every send reads and
 * writes, is never written by a finish's own transaction. A scheduled mutation runs exactly once:
 * a write conflict with a send is retried by the deployment, not lost, and if it fails anyway the
 * reply it charges has already ended with its text.
 */
import { v } from "convex/values";
import { internalMutation } from "./_generated/server";
import { applySettlement } from "./lib/budget";

/**
 * Returns a reply's reservation (`reserved`, on the day it was made) and charges the `spent`
 * tokens on `day`, to each usage key (the deployment's and the visitor's).
 * Worst case: 4 documents read and 4 written per key.
 */
export const settle = internalMutation({
  args: {
    keys: v.array(v.string()),
    reserved: v.optional(v.object({ day: v.string(), tokens: v.number() })),
    spent: v.number(),
    day: v.string(),
  },
  returns: v.null(),
  handler: async (ctx, args): Promise<null> => {
    await applySettlement(ctx, args.keys, args.reserved, args.spent, args.day);
    return null;
  },
});
