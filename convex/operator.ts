/** The operator console's reads: every thread, streaming ones first. */
import { paginationOptsValidator, paginationResultValidator } from "convex/server";
import { v } from "convex/values";
import { query } from "./_generated/server";
import { authorizeOperator } from "./lib/access";
import { toThreadView } from "./lib/replies";
import { vThreadView } from "./lib/validators";

/**
 * All threads, paginated: those with a reply pending or streaming first, then by newest
 * activity. Needs `OPERATOR_SECRET` as `token` or an identity with the operator role.
 */
export const listThreads = query({
  args: { token: v.optional(v.string()), paginationOpts: paginationOptsValidator },
  returns: paginationResultValidator(vThreadView),
  handler: async (ctx, args) => {
    await authorizeOperator(ctx, args.token);
    const result = await ctx.db
      .query("threads")
      .withIndex("by_active_lastMessageAt")
      .order("desc")
      .paginate(args.paginationOpts);
    return { ...result, page: result.page.map((thread) => toThreadView(thread, "operator")) };
  },
});
