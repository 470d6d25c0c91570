/** Observers' read path: the text appended after a cursor, so each update carries only new text. */
import { v } from "convex/values";
import { internalMutation, query } from "./_generated/server";
import { authorizeStream } from "./lib/access";
import { STREAM_PAGE_SIZE } from "./lib/limits";
import { componentStatus, effectiveStatus, finalizeReply, lastDelta } from "./lib/replies";
import { REPLY_ERRORS } from "./lib/errors";
import { vStreamSlice } from "./lib/validators";

/**
 * Text of deltas with `seq >= cursor` (at most 16), where it starts in the whole reply, the
 * cursor to pass next, and whether more deltas are already stored. Start with cursor 0 and
 * resubscribe with the returned cursor: each update reads at most 17 deltas, so following a
 * reply costs reads linear in its length. `getStreamBody` sees the same text.
 */
export const read = query({
  args: { streamId: v.string(), token: v.optional(v.string()), cursor: v.number() },
  returns: vStreamSlice,
  handler: async (ctx, args) => {
    const { message } = await authorizeStream(ctx, args.streamId, args.token, "read");
    const status = await effectiveStatus(ctx, message);
    const cursor = Number.isFinite(args.cursor) ? Math.max(0, Math.floor(args.cursor)) : 0;
    const page = await ctx.db
      .query("deltas")
      .withIndex("by_stream_seq", (q) => q.eq("streamId", args.streamId).gte("seq", cursor))
      .take(STREAM_PAGE_SIZE + 1);
    const more = page.length > STREAM_PAGE_SIZE;
    const deltas = page.slice(0, STREAM_PAGE_SIZE);
    if (deltas.length > 0) {
      const last = deltas[deltas.length - 1];
      return {
        status,
        start: deltas[0].start,
        text: deltas.map((d) => d.text).join(""),
        cursor: last.seq + 1,
        more,
      };
    }
    // Nothing new: an empty slice positioned at the end of what is stored.
    const end = await lastDelta(ctx, args.streamId);
    return {
      status,
      start: end ? end.start + end.text.length : 0,
      text: "",
      cursor: end ? Math.min(cursor, end.seq + 1) : 0,
      more: false,
    };
  },
});

/**
 * Cron: replies whose component stream the component's cleanup cron expired become `timeout`
 * (their text so far is kept), and their threads stop showing as streaming.
 */
export const reconcileTimeouts = internalMutation({
  args: {},
  returns: v.object({ timedOut: v.number() }),
  handler: async (ctx) => {
    let timedOut = 0;
    for (const status of ["pending", "streaming"] as const) {
      const unfinished = await ctx.db
        .query("messages")
        .withIndex("by_status", (q) => q.eq("status", status))
        .take(100);
      for (const message of unfinished) {
        if (message.streamId === null) continue;
        if ((await componentStatus(ctx, message.streamId)) === "timeout") {
          await finalizeReply(ctx, message, "timeout", REPLY_ERRORS.timedOut);
          timedOut++;
        }
      }
    }
    return { timedOut };
  },
});
