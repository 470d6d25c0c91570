/** Viewers' read path: the newest flush of a reply live, and any text a viewer lacks read once. */
import { v } from "convex/values";
import { internal } from "./_generated/api";
import type { Doc } from "./_generated/dataModel";
import { internalMutation, query, type QueryCtx } from "./_generated/server";
import { authorizeStream } from "./lib/access";
import { STREAM_PAGE_SIZE } from "./lib/limits";
import { wholeNumber } from "./lib/numbers";
import { REPLY_ERRORS } from "./lib/errors";
import { COMPACT_EVERY, componentStatus, effectiveStatus, finalizeReply, lastDelta, replyTextOf } from "./lib/replies";
import { isUnfinished, vIdentity, vStreamDelta, vStreamSlice } from "./lib/validators";

/**
 * Text of deltas with `seq >= cursor` (at most 16), with `from` none that ends at or before
 * character `from`, and with `to` none that starts at or after character `to`: where it starts
 * in the whole reply, the cursor to pass next, and whether more deltas are already stored. A one-shot read: a viewer calls it for text it lacks (it joined late,
 * missed a `streams:tail` update, took over from a broken HTTP body), passing `from` = the length
 * it shows, and `to` = where the newest delta it holds starts. `getStreamBody` sees the same text
 * while the reply streams. A finished reply's deltas are deleted (`releaseStream`): it is read
 * from its message's text, from `from`, in one slice.
 *
 * Worst case per call: 17 deltas (one flush each: ≤ STREAM_FLUSH_MS or a sentence of text), one
 * more index read for `from`, one access check, one component status read.
 */
export const read = query({
  args: {
    streamId: v.string(),
    token: v.optional(v.string()),
    identity: v.optional(vIdentity),
    cursor: v.number(),
    from: v.optional(v.number()),
    to: v.optional(v.number()),
  },
  returns: vStreamSlice,
  handler: async (ctx, args) => {
    const { message } = await authorizeStream(ctx, args.streamId, args, "read");
    const status = await effectiveStatus(ctx, message);
    let cursor = wholeNumber("cursor", args.cursor, 0);
    const from = args.from === undefined ? 0 : wholeNumber("from", args.from, 0);
    const to = args.to === undefined ? undefined : wholeNumber("to", args.to, 0);
    if (message.streamDeleted === true) {
      // Finished, its deltas deleted or being deleted (`releaseStream`): the text is the message's.
      const start = Math.min(from, message.text.length);
      return { status, start, text: message.text.slice(start, to), cursor, more: false };
    }
    if (from > 0) {
      const holding = await ctx.db
        .query("deltas")
        .withIndex("by_stream_start", (q) => q.eq("streamId", args.streamId).lte("start", from))
        .order("desc")
        .first();
      // The delta holding character `from`, or the next one when `from` is its end.
      if (holding)
        cursor = Math.max(cursor, holding.start + holding.text.length > from ? holding.seq : holding.seq + 1);
    }
    const page = await ctx.db
      .query("deltas")
      .withIndex("by_stream_seq", (q) => q.eq("streamId", args.streamId).gte("seq", cursor))
      .take(STREAM_PAGE_SIZE + 1);

    const below = to === undefined ? page : page.filter((d) => d.start < to);
    const more = below.length > STREAM_PAGE_SIZE;
    const deltas = below.slice(0, STREAM_PAGE_SIZE);
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
 * Everything a viewer lacks, from character `from` (the length it shows) up to `to` when given
 * (where the first delta it already holds beyond a gap starts), in one read: a late joiner of a
 * long reply then needs one round trip, not one per 16 deltas (`read`). A finished reply's text
 * is its message's; an unfinished one's is its compacted `replyTexts` row (every 64 deltas) plus
 * the deltas after it, fewer than 64. `start` is where `text` begins (≤ `from`), `cursor` the
 * first delta it does not wholly cover, and `more` whether more text is already stored beyond it.
 *
 * Worst case per call: the message and its access check, one component status read, the
 * compacted row (≤ the reply, under 1 MiB), 3 + 65 deltas.
 */
export const catchUp = query({
  args: {
    streamId: v.string(),
    token: v.optional(v.string()),
    identity: v.optional(vIdentity),
    from: v.number(),
    to: v.optional(v.number()),
  },
  returns: vStreamSlice,
  handler: async (ctx, args) => {
    const { message } = await authorizeStream(ctx, args.streamId, args, "read");
    const status = await effectiveStatus(ctx, message);
    const from = wholeNumber("from", args.from, 0);
    const to = args.to === undefined ? Infinity : wholeNumber("to", args.to, 0);
    const last = await lastDelta(ctx, args.streamId);
    const stored = last ? last.start + last.text.length : 0;
    let start: number;
    let text: string;
    if (message.streamDeleted === true || (!isUnfinished(message.status) && message.text.length > 0)) {
      // Finished: the whole text is on the message, written once (its deltas may be gone).
      start = Math.min(from, message.text.length);
      text = message.text.slice(start, Math.max(start, to));
    } else {
      const row = await replyTextOf(ctx, args.streamId);
      let seq: number;
      if (row && from < row.text.length) {
        start = from;
        text = row.text.slice(from, Math.max(from, to));
        seq = row.throughSeq + 1;
      } else {
        const holding = await deltaHolding(ctx, args.streamId, from);
        start = holding ? holding.start : Math.min(from, stored);
        text = "";
        seq = holding ? holding.seq : last ? last.seq + 1 : 0;
      }
      // Fewer than COMPACT_EVERY deltas follow the compacted row (and the delta holding `from`).
      const page = await ctx.db
        .query("deltas")
        .withIndex("by_stream_seq", (q) => q.eq("streamId", args.streamId).gte("seq", seq))
        .take(COMPACT_EVERY + 1);
      for (const d of page) {
        if (d.start < start + text.length) continue;
        if (d.start >= to) break;
        text += d.text;
      }
    }
    const end = start + text.length;
    const next = end >= stored ? null : await deltaHolding(ctx, args.streamId, end);
    return {
      status,
      start,
      text,
      cursor: next ? next.seq : last ? last.seq + 1 : 0,
      more: end < stored,
    };
  },
});

/** The delta holding character `at` (null at or beyond the end of what is stored). 1 index read. */
async function deltaHolding(ctx: QueryCtx, streamId: string, at: number): Promise<Doc<"deltas"> | null> {
  const holding = await ctx.db
    .query("deltas")
    .withIndex("by_stream_start", (q) => q.eq("streamId", streamId).lte("start", at))
    .order("desc")
    .first();
  return holding && holding.start + holding.text.length > at ? holding : null;
}

/** Replies of each unfinished status looked at per `reconcileTimeouts` run. */
const RECONCILE_BATCH = 6;

/**
 * The newest delta of a reply (`null` before the first flush): what a viewer subscribes to while
 * a reply streams. It has no cursor to advance, so one subscription lasts the whole reply and each
 * flush costs one query run and one update carrying only that flush's text. A viewer that sees
 * `start` beyond the text it shows missed an update (a subscription may skip results) and reads
 * the gap once with `streams:read`.
 *
 * Worst case per run: one delta, one access check. It does not read the component's status, so
 * only new deltas (and the message's own changes) re-run it.
 */
export const tail = query({
  args: { streamId: v.string(), token: v.optional(v.string()), identity: v.optional(vIdentity) },
  returns: v.union(vStreamDelta, v.null()),
  handler: async (ctx, args) => {
    await authorizeStream(ctx, args.streamId, args, "read");
    const last = await lastDelta(ctx, args.streamId);
    return last ? { seq: last.seq, start: last.start, text: last.text } : null;
  },
});

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
