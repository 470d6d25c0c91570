/** Visitor tokens minted by `POST /visitors` (`convex/http.ts`), and the proof-of-work key. */
import { v } from "convex/values";
import { internalMutation, internalQuery } from "./_generated/server";
import { humanCheckFailed } from "./lib/errors";
import { ensurePowKey, powEnabled, readPowKey, spendProofOfWork } from "./lib/pow";
import { mintVisitor } from "./lib/visitors";

/**
 * Mints one visitor token (TOO_MANY_VISITORS over the minting rate, per address and
 * deployment-wide). With proof of work on and no Turnstile check (`humanChecked`), only for an
 * unused solution (HUMAN_CHECK_FAILED).
 */
export const mint = internalMutation({
  args: { clientKey: v.optional(v.string()), pow: v.optional(v.string()), humanChecked: v.optional(v.boolean()) },
  returns: v.object({ token: v.string() }),
  handler: async (ctx, args) => {
    if (args.humanChecked !== true && powEnabled() && !(await spendProofOfWork(ctx, args.pow))) {
      throw humanCheckFailed(args.pow === undefined ? "missing" : "refused");
    }
    return { token: await mintVisitor(ctx, args.clientKey ?? null) };
  },
});

/** The proof-of-work signing key, or null before it is made (a cached read for each warm-up). */
export const powKey = internalQuery({
  args: {},
  returns: v.union(v.string(), v.null()),
  handler: async (ctx) => await readPowKey(ctx),
});

/** Makes the proof-of-work signing key on first use. */
export const makePowKey = internalMutation({
  args: {},
  returns: v.string(),
  handler: async (ctx) => await ensurePowKey(ctx),
});
