/** Visitor tokens minted by `POST /visitors` (`convex/http.ts`), after its Turnstile check. */
import { v } from "convex/values";
import { internalMutation } from "./_generated/server";
import { mintVisitor } from "./lib/visitors";

/** Mints one visitor token (TOO_MANY_VISITORS over the deployment-wide minting rate). */
export const mint = internalMutation({
  args: {},
  returns: v.object({ token: v.string() }),
  handler: async (ctx) => ({ token: await mintVisitor(ctx) }),
});
