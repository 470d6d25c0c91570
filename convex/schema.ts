import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import { feedbackFields, messageFields, threadFields } from "./lib/validators";

export default defineSchema({
  threads: defineTable(threadFields)
    .index("by_visitorHash_lastMessageAt", ["visitorHash", "lastMessageAt"])
    .index("by_userId_lastMessageAt", ["userId", "lastMessageAt"])
    .index("by_active_lastMessageAt", ["active", "lastMessageAt"])
    // An operator session's threads, released when it ends; threads waiting for a person.
    .index("by_holderSessionId", ["holderSessionId"])
    .index("by_needsHumanAt", ["needsHumanAt"])
    // The console's search (`operator:searchThreads`): titles here, message text on `messages`.
    .searchIndex("search_title", { searchField: "title" }),

  messages: defineTable(messageFields)
    // Every message in order (operators, purges); by_threadId_supersededBy would sort them by supersededBy.
    // eslint-disable-next-line @convex-dev/no-duplicate-indexes
    .index("by_threadId", ["threadId"])
    .index("by_streamId", ["streamId"])
    .index("by_status", ["status"])
    // A visitor's replies in flight across threads (at most REPLIES_IN_FLIGHT_PER_VISITOR).
    .index("by_usageKey_status", ["usageKey", "status"])
    // The transcript a visitor sees: `supersededBy` undefined, so replies regenerated away are
    // skipped by the index, not read and dropped (pages and the live end stay exact and bounded).
    .index("by_threadId_supersededBy", ["threadId", "supersededBy"])
    // Replies waiting for `chat:queue`'s background action (at most MAX_QUEUED_REPLIES).
    .index("by_queued_status", ["queued", "status"])
    // A share of them (`chat:queue` counts one share, not all, so its calls do not conflict).
    .index("by_queueShard_status", ["queueShard", "status"])
    .searchIndex("search_text", { searchField: "text" }),

  /** Append-only flushed text: observers read after a cursor, so their cost grows linearly. */
  deltas: defineTable({
    streamId: v.string(),
    /** 0, 1, 2, ... per stream. */
    seq: v.number(),
    /** Character offset of `text` in the whole reply. */
    start: v.number(),
    text: v.string(),
  })
    .index("by_stream_seq", ["streamId", "seq"])
    // A viewer that already shows N characters reads from the delta holding character N.
    .index("by_stream_start", ["streamId", "start"]),

  /**
   * The text of a reply's deltas, compacted every 64 deltas, so the whole text is read from this
   * row plus fewer than 64 deltas (finishing a reply reads a bounded number of documents).
   * Deleted when the reply is finished.
   */
  replyTexts: defineTable({
    streamId: v.string(),
    text: v.string(),
    /** The last delta whose text is in `text`. */
    throughSeq: v.number(),
  }).index("by_streamId", ["streamId"]),

  /**
   * One per unfinished reply: its driver must renew it (each flush, and a heartbeat while the
   * model is silent) or the reply is ended. Kept off the message so `messages:list` stays quiet.
   */
  leases: defineTable({
    messageId: v.id("messages"),
    expiresAt: v.number(),
    /** Its pending `chat:expireLease`, cancelled when the lease moves (absent: written before). */
    checkId: v.optional(v.id("_scheduled_functions")),
  }).index("by_messageId", ["messageId"]),

  /**
   * A visitor's rating of a reply (`feedback:rate`): one per reply and visitor key, replaced when
   * they change their mind. The reply carries a copy (`messages.feedback`) for its views.
   */
  feedback: defineTable(feedbackFields)
    .index("by_messageId_visitorKey", ["messageId", "visitorKey"])
    .index("by_updatedAt", ["updatedAt"]),

  /** Read-only tokens minted by `threads:share`. */
  observerTokens: defineTable({
    tokenHash: v.string(),
    threadId: v.id("threads"),
    createdAt: v.number(),
    /** Refused from then on; absent on rows minted before expiry existed (then createdAt + 30 days). */
    expiresAt: v.optional(v.number()),
    revokedAt: v.union(v.number(), v.null()),
  })
    .index("by_tokenHash", ["tokenHash"])
    .index("by_threadId", ["threadId"])
    .index("by_expiresAt", ["expiresAt"]),

  /** One row per visitor token ever used to create a thread. */
  visitors: defineTable({
    tokenHash: v.string(),
    /** Live threads owned by this token (the TOO_MANY_THREADS limit). */
    threadCount: v.number(),
    /** Rows from before `establishedAt`: established after any reply. */
    established: v.optional(v.boolean()),
    /**
     * Set when a reply this visitor drove finished with text: from then (time to have read it),
     * their sends draw on the shares kept for established visitors.
     */
    establishedAt: v.optional(v.number()),
  }).index("by_tokenHash", ["tokenHash"]),

  /** Model tokens used per UTC day: one row for the deployment ("deployment") and one per visitor key. */
  tokenUsage: defineTable({
    /** "2026-11-30" (UTC). */
    day: v.string(),
    key: v.string(),
    tokens: v.number(),
    /** Worst cases of the replies running now, returned as each ends (`lib/budget.ts`). */
    reserved: v.optional(v.number()),
  }).index("by_day_key", ["day", "key"]),

  /**
   * A finished reply's charge to a deployment usage shard, waiting to be folded into its
   * `tokenUsage` row by the next send that reads the shard (`lib/budget.ts`): settling inserts,
   * so a charge never reads or writes the row that sends contend for.
   */
  usageCharges: defineTable({
    day: v.string(),
    key: v.string(),
    /** Tokens spent. */
    tokens: v.number(),
    /** Change to the row's reservations (negative: a reservation returned). */
    reserved: v.number(),
  }).index("by_day_key", ["day", "key"]),

  /**
   * Proof-of-work challenges and checked queue tickets already used to mint a visitor: each mints
   * once. Purged once expired.
   */
  spentChallenges: defineTable({
    /** The challenge's (or the checked ticket's) signature. */
    signature: v.string(),
    expiresAt: v.number(),
  })
    .index("by_signature", ["signature"])
    .index("by_expiresAt", ["expiresAt"]),

  /** The deployment's proof-of-work signing key, made on first use when POW_SECRET is not set. */
  serverKeys: defineTable({ name: v.string(), key: v.string() }).index("by_name", ["name"]),

  /** Operator sessions minted by `operator:signIn`; only the token's hash is stored. */
  operatorSessions: defineTable({
    tokenHash: v.string(),
    /** The display name the operator typed at sign-in. */
    name: v.string(),
    createdAt: v.number(),
    expiresAt: v.number(),
    revokedAt: v.union(v.number(), v.null()),
  })
    .index("by_tokenHash", ["tokenHash"])
    .index("by_expiresAt", ["expiresAt"]),

  /**
   * Operators online: one row per operator (`session:<id>` or `user:<userId>`), online until
   * `until` (`handoff:heartbeat` renews it at most twice a minute; sign-out deletes it).
   */
  operatorsOnline: defineTable({ key: v.string(), until: v.number() })
    .index("by_key", ["key"])
    .index("by_until", ["until"]),

  /**
   * When each side of a thread last typed (`handoff:typing`): one row per thread and side,
   * rewritten at most once per TYPING_REFRESH_MS, so typing costs a bounded number of writes.
   */
  typing: defineTable({
    threadId: v.id("threads"),
    side: v.union(v.literal("visitor"), v.literal("operator")),
    at: v.number(),
  }).index("by_threadId_side", ["threadId", "side"]),
  /** Files visitors uploaded (`lib/attachments.ts`); `messageId` null until sent with a prompt. */
  attachments: defineTable({
    storageId: v.id("_storage"),
    /** Whose upload (identity or token hash, as `usageKey`): only they may send it. */
    usageKey: v.string(),
    name: v.string(),
    contentType: v.string(),
    size: v.number(),
    createdAt: v.number(),
    messageId: v.union(v.id("messages"), v.null()),
    threadId: v.optional(v.id("threads")),
  })
    .index("by_messageId_createdAt", ["messageId", "createdAt"])
    .index("by_threadId", ["threadId"]),

  /**
   * The queue runners' slots (`queueRunner.ts`): at most QUEUE_RUNNERS rows, one per runner
   * generating queued replies, held while its `expiresAt` is renewed (a crashed runner's lapses).
   */
  queueRunners: defineTable({ slot: v.number(), runnerId: v.string(), expiresAt: v.number() }).index("by_slot", [
    "slot",
  ]),
});
