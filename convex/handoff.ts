/**
 * Human handoff: an operator takes a live thread over from the AI (stopping a reply in progress,
 * its text kept), writes to the visitor as a person, and hands it back. While an operator holds a
 * thread, a visitor's send stores the prompt and starts no reply (`lib/sending.ts`). A visitor may
 * ask for a person; each side sees the other typing; visitors see whether an operator is online.
 * Only operators (a live session token, or an identity with the operator role) take over, reply
 * or hand back (`lib/access.ts`, need `handoff`). See docs/handoff.md.
 */
import { v } from "convex/values";
import type { Doc, Id } from "./_generated/dataModel";
import { internalMutation, mutation, query, type MutationCtx } from "./_generated/server";
import { authorizeOperatorAs, authorizeThread, visitorKey } from "./lib/access";
import { emptyPrompt, heldByOperator, promptTooLong, rateLimited, unauthorized } from "./lib/errors";
import { ONLINE_MS, ONLINE_RENEW_MS, releaseHeld, TYPING_REFRESH_MS } from "./lib/handoff";
import { consumeHandoff, getLimits, LIST_MAX } from "./lib/limits";
import { noteMessages } from "./lib/threadSummary";
import { stopReply, toThreadView } from "./lib/replies";
import { vHandoffState, vIdentity, vThreadView } from "./lib/validators";

const credentials = { token: v.optional(v.string()), identity: v.optional(vIdentity) };
/** The name an identity operator is shown as (a session's is the one typed at sign-in). */
const name = v.optional(v.string());

/**
 * Who answers, whether a person was asked for, whether an operator is online, and when each side
 * last typed: for anyone who may read the thread. Re-runs only when one of those is written.
 * Worst case: 5 documents read (thread, 2 typing rows, the newest online operator, a session).
 */
export const state = query({
  args: { threadId: v.string(), ...credentials },
  returns: vHandoffState,
  handler: async (ctx, args) => {
    const { thread, access } = await authorizeThread(ctx, args.threadId, args, "read");
    const typedAt = async (side: "visitor" | "operator") =>
      (
        await ctx.db
          .query("typing")
          .withIndex("by_threadId_side", (q) => q.eq("threadId", thread._id).eq("side", side))
          .unique()
      )?.at ?? null;
    const online = await ctx.db.query("operatorsOnline").withIndex("by_until").order("desc").first();
    const me = access === "operator" && thread.holder ? await authorizeOperatorAs(ctx, args) : null;
    return {
      heldBy: thread.holder?.name ?? null,
      heldByMe: me !== null && me.key === thread.holder?.key,
      needsHumanAt: thread.needsHumanAt ?? null,
      operatorOnlineUntil: online?.until ?? 0,
      visitorTypingAt: await typedAt("visitor"),
      operatorTypingAt: await typedAt("operator"),
      now: Date.now(),
    };
  },
});

/**
 * Threads whose visitor asked for a person and nobody took yet, longest waiting first, at most
 * LIST_MAX (100): the console shows them above the rest. Operators only.
 */
export const needsHuman = query({
  args: credentials,
  returns: v.array(vThreadView),
  handler: async (ctx, args) => {
    const me = await authorizeOperatorAs(ctx, args);
    const waiting = await ctx.db
      .query("threads")
      .withIndex("by_needsHumanAt", (q) => q.gt("needsHumanAt", 0))
      .take(LIST_MAX);
    return waiting.map((thread) => toThreadView(thread, "operator", me.key));
  },
});

/** Holds `thread` for the calling operator, stopping the AI's reply in progress. */
async function takeHold(
  ctx: MutationCtx,
  thread: Doc<"threads">,
  me: { key: string; name: string; sessionId: Id<"operatorSessions"> | null },
  force: boolean,
): Promise<void> {
  if (thread.holder && thread.holder.key !== me.key && !force) throw heldByOperator(thread.holder.name);
  if (thread.holder?.key === me.key) return;
  await stopReply(ctx, thread._id);
  await ctx.db.patch("threads", thread._id, {
    holder: { name: me.name, key: me.key, since: Date.now() },
    holderSessionId: me.sessionId ?? undefined,
    needsHumanAt: undefined,
  });
}

/**
 * The calling operator answers this thread from now on instead of the AI. A reply in progress
 * is stopped as `messages:stop` stops it (status `stopped`, its text kept, the model request
 * aborted). Held by another operator: HELD_BY_OPERATOR naming them, unless `force`. Taking over a
 * thread one already holds changes nothing. Clears a visitor's request for a person.
 * Worst case: ≈ 75 documents read (access, the reply finalized), 6 written, 1 function scheduled.
 */
export const takeOver = mutation({
  args: { threadId: v.string(), ...credentials, force: v.optional(v.boolean()), name },
  returns: v.object({ heldBy: v.string() }),
  handler: async (ctx, args) => {
    const { thread } = await authorizeThread(ctx, args.threadId, args, "handoff");
    const me = await authorizeOperatorAs(ctx, args, args.name);
    await takeHold(ctx, thread, me, args.force === true);
    return { heldBy: me.name };
  },
});

/**
 * An operator's message to the visitor, stored as a message of role `operator` with their name
 * (`author`), shown live to every viewer. Takes the thread over first when nobody holds it (the
 * AI's reply in progress stopped); HELD_BY_OPERATOR when another operator does. EMPTY_PROMPT,
 * PROMPT_TOO_LONG (MAX_PROMPT_CHARS) and RATE_LIMITED (60 a minute per operator) as for a send.
 * Worst case: ≈ 80 documents read, 9 written, 1 function scheduled.
 */
export const reply = mutation({
  args: { threadId: v.string(), ...credentials, text: v.string(), name },
  returns: v.object({ messageId: v.string() }),
  handler: async (ctx, args) => {
    const { thread } = await authorizeThread(ctx, args.threadId, args, "handoff");
    const me = await authorizeOperatorAs(ctx, args, args.name);
    const limit = getLimits().maxPromptChars;
    if (args.text.trim().length === 0) throw emptyPrompt();
    if (args.text.length > limit) throw promptTooLong(args.text.length, limit);
    await takeHold(ctx, thread, me, false);
    const wait = await consumeHandoff(ctx, "operatorReply", me.key);
    if (wait !== null) throw rateLimited(wait);
    const now = Date.now();
    const messageId = await ctx.db.insert("messages", {
      threadId: thread._id,
      role: "operator",
      status: "done",
      text: args.text,
      streamId: null,
      error: null,
      model: null,
      createdAt: now,
      updatedAt: now,
      author: me.name,
    });
    await ctx.db.patch("threads", thread._id, { updatedAt: now, lastMessageAt: now });
    await noteMessages(ctx, thread._id, 1, args.text);
    // The message is what they were typing: the visitor stops seeing "typing" at once.
    await clearTyping(ctx, thread._id, "operator");
    return { messageId };
  },
});

/**
 * The AI answers this thread again: the next visitor message gets a reply, whose model request
 * carries the operator's messages marked as a person's. Not held: nothing happens. Held by another
 * operator: HELD_BY_OPERATOR naming them, unless `force`.
 * Worst case: 3 documents read, 2 written.
 */
export const handBack = mutation({
  args: { threadId: v.string(), ...credentials, force: v.optional(v.boolean()) },
  returns: v.null(),
  handler: async (ctx, args) => {
    const { thread } = await authorizeThread(ctx, args.threadId, args, "handoff");
    if (!thread.holder) return null;
    const me = await authorizeOperatorAs(ctx, args);
    if (thread.holder.key !== me.key && args.force !== true) throw heldByOperator(thread.holder.name);
    await ctx.db.patch("threads", thread._id, { holder: undefined, holderSessionId: undefined });
    await clearTyping(ctx, thread._id, "operator");
    return null;
  },
});

/**
 * The visitor asks for a person: the thread is flagged (`needsHumanAt`) and comes first in the
 * console until an operator takes it over. Asking again while flagged or held writes nothing;
 * a request that writes counts against 5 a minute per visitor (RATE_LIMITED).
 * Worst case: 4 documents read, 3 written.
 */
export const requestHuman = mutation({
  args: { threadId: v.string(), ...credentials },
  returns: v.null(),
  handler: async (ctx, args) => {
    const { thread, caller } = await authorizeThread(ctx, args.threadId, args, "write");
    if (thread.needsHumanAt !== undefined || thread.holder) return null;
    const wait = await consumeHandoff(ctx, "requestHuman", visitorKey(caller) ?? thread._id);
    if (wait !== null) throw rateLimited(wait);
    const now = Date.now();
    await ctx.db.patch("threads", thread._id, { needsHumanAt: now, updatedAt: now });
    return null;
  },
});

/**
 * The caller is typing: the visitor (their side) or an operator (the operator side). Written at
 * most once per TYPING_REFRESH_MS (3 s) per side of a thread, so fast typing costs ≤ 20 writes a
 * minute; viewers show "typing" for a few seconds after `at`. Observers cannot type.
 * Worst case: 3 documents read, 1 written.
 */
export const typing = mutation({
  args: { threadId: v.string(), ...credentials },
  returns: v.null(),
  handler: async (ctx, args) => {
    const { thread, access } = await authorizeThread(ctx, args.threadId, args, "read");
    if (access === "observer") throw unauthorized();
    const side = access === "operator" ? "operator" : "visitor";
    const now = Date.now();
    const row = await ctx.db
      .query("typing")
      .withIndex("by_threadId_side", (q) => q.eq("threadId", thread._id).eq("side", side))
      .unique();
    if (!row) await ctx.db.insert("typing", { threadId: thread._id, side, at: now });
    else if (now - row.at >= TYPING_REFRESH_MS) await ctx.db.patch("typing", row._id, { at: now });
    return null;
  },
});

async function clearTyping(ctx: MutationCtx, threadId: Id<"threads">, side: "visitor" | "operator") {
  const row = await ctx.db
    .query("typing")
    .withIndex("by_threadId_side", (q) => q.eq("threadId", threadId).eq("side", side))
    .unique();
  if (row) await ctx.db.delete("typing", row._id);
}

/**
 * The operator's console is open: they count as online for ONLINE_MS (60 s). Written only once
 * less than ONLINE_RENEW_MS is left, so a console calling every 20 s costs 2 writes a minute.
 * Returns until when they are online. Sign-out and session expiry take them offline at once.
 */
export const heartbeat = mutation({
  args: credentials,
  returns: v.object({ onlineUntil: v.number() }),
  handler: async (ctx, args) => {
    const me = await authorizeOperatorAs(ctx, args);
    const now = Date.now();
    const row = await ctx.db
      .query("operatorsOnline")
      .withIndex("by_key", (q) => q.eq("key", me.key))
      .unique();
    if (row && row.until - now >= ONLINE_RENEW_MS) return { onlineUntil: row.until };
    const until = now + ONLINE_MS;
    if (row) await ctx.db.patch("operatorsOnline", row._id, { until });
    else await ctx.db.insert("operatorsOnline", { key: me.key, until });
    return { onlineUntil: until };
  },
});

/** The rest of an ended session's threads, when it held more than one batch (`lib/handoff.ts`). */
export const releaseSession = internalMutation({
  args: { sessionId: v.id("operatorSessions") },
  returns: v.null(),
  handler: async (ctx, args) => {
    await releaseHeld(ctx, args.sessionId);
    return null;
  },
});
