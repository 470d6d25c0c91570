/** Observers' read path: the text appended after a cursor, so each update carries only new text. */
import { v } from "convex/values";
import { internal } from "./_generated/api";
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
 * Worst case: 18 deltas + access and stream status (≈ 22 documents) read.
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

/** Replies of each unfinished status looked at per `reconcileTimeouts` run. */
const RECONCILE_BATCH = 6;

/**
 * Cron: replies whose component stream the component's cleanup cron expired become `timeout`
 * (their text so far is kept), and their threads stop showing as streaming.
 * `RECONCILE_BATCH` of each status per run (a finished reply's text may be up to 1 MiB, read and
 * written), rescheduling itself when a batch was full.
 * Worst case: 12 replies finalized: ≈ 820 documents and ≈ 12 MiB read and written, 1 function scheduled.
 */
export const reconcileTimeouts = internalMutation({
  args: {},
  returns: v.object({ timedOut: v.number() }),
  handler: async (ctx): Promise<{ timedOut: number }> => {
    let timedOut = 0;
    let full = false;
    for (const status of ["pending", "streaming"] as const) {
      const unfinished = await ctx.db
        .query("messages")
        .withIndex("by_status", (q) => q.eq("status", status))
        .take(RECONCILE_BATCH);
      full ||= unfinished.length === RECONCILE_BATCH;
      for (const message of unfinished) {
        if (message.streamId === null) continue;
        if ((await componentStatus(ctx, message.streamId)) === "timeout") {
          await finalizeReply(ctx, message, "timeout", REPLY_ERRORS.timedOut);
          timedOut++;
        }
      }
    }
    if (full && timedOut > 0) await ctx.scheduler.runAfter(0, internal.streams.reconcileTimeouts, {});
    return { timedOut };
  },
});
