/**
 * Uploads (`POST /chat-upload`, convex/http.ts): `admit` before the body is read, `record` once the
 * checked bytes are stored. Both internal: the HTTP action is the only way in (`lib/attachments.ts`).
 */
import { MINUTE, RateLimiter } from "@convex-dev/rate-limiter";
import { v } from "convex/values";
import { components } from "./_generated/api";
import { internalMutation } from "./_generated/server";
import { visitorKey } from "./lib/access";
import { attachmentLimits } from "./lib/attachments";
import { reserveBudget } from "./lib/budget";
import { rateLimited, unauthorized } from "./lib/errors";
import { isEstablished, visitorByHash } from "./lib/visitors";

const rateLimiter = new RateLimiter(components.rateLimiter);

/**
 * May this visitor token upload now? UNAUTHORIZED for a token the deployment never minted;
 * RATE_LIMITED past RATE_LIMIT_UPLOADS_PER_MINUTE (per visitor) or the address's send rate;
 * BUDGET_EXHAUSTED when today's budget (the deployment's or the visitor's) is spent, as a send
 * would be refused. Returns the visitor key the upload belongs to.
 */
export const admit = internalMutation({
  args: { tokenHash: v.string(), clientKey: v.optional(v.string()) },
  returns: v.string(),
  handler: async (ctx, args) => {
    const visitor = await visitorByHash(ctx, args.tokenHash);
    if (!visitor) throw unauthorized();
    const who = { identity: null, tokenHash: args.tokenHash };
    const key = visitorKey(who)!;
    const rate = attachmentLimits().uploadsPerMinute;
    const config = { kind: "token bucket" as const, rate, period: MINUTE, capacity: rate };
    const mine = await rateLimiter.limit(ctx, "upload", { key, config });
    if (!mine.ok) throw rateLimited(mine.retryAfter);
    if (args.clientKey !== undefined) {
      const byAddress = await rateLimiter.limit(ctx, "uploadByAddress", { key: args.clientKey, config });
      if (!byAddress.ok) throw rateLimited(byAddress.retryAfter);
    }
    // Nothing reserved (the model cost is reserved when the file is sent): refused once spent.
    await reserveBudget(ctx, key, isEstablished(who, visitor), 0);
    return key;
  },
});

/** The stored, checked file's row, unsent (`messageId` null) until a prompt takes it. */
export const record = internalMutation({
  args: {
    usageKey: v.string(),
    storageId: v.id("_storage"),
    name: v.string(),
    contentType: v.string(),
    size: v.number(),
  },
  returns: v.id("attachments"),
  handler: async (ctx, args) => await ctx.db.insert("attachments", { ...args, createdAt: Date.now(), messageId: null }),
});
