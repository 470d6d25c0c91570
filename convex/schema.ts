import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import { vMessageStatus, vRole, vThreadStatus } from "./lib/validators";

export default defineSchema({
  threads: defineTable({
    /** "New chat" until the first prompt, then the prompt's first line, clipped. */
    title: v.string(),
    status: vThreadStatus,
    /** 1 while a reply is pending or streaming, else 0: the operator list sorts on it first. */
    active: v.number(),
    createdAt: v.number(),
    updatedAt: v.number(),
    lastMessageAt: v.number(),
    /** Page origin the widget reported when the thread was created. */
    origin: v.union(v.string(), v.null()),
    /** Model that answered last ("demo" for the built-in demo model). */
    model: v.string(),
    /** SHA-256 (base64url) of the visitor token that owns the thread. Never the token. */
    visitorHash: v.optional(v.string()),
    /** `tokenIdentifier` of the Convex auth identity that created the thread, if any. */
    userId: v.optional(v.string()),
  })
    .index("by_visitorHash_lastMessageAt", ["visitorHash", "lastMessageAt"])
    .index("by_userId_lastMessageAt", ["userId", "lastMessageAt"])
    .index("by_active_lastMessageAt", ["active", "lastMessageAt"]),

  messages: defineTable({
    threadId: v.id("threads"),
    role: vRole,
    status: vMessageStatus,
    /** User: the prompt. Assistant: "" until finished, then the full reply, written once. */
    text: v.string(),
    /** Assistant only: the persistent-text-streaming component's stream ID. */
    streamId: v.union(v.string(), v.null()),
    error: v.union(v.string(), v.null()),
    model: v.union(v.string(), v.null()),
    createdAt: v.number(),
    updatedAt: v.number(),
    /** Assistant only: set by `messages:stop`; the driver reads it on its next flush. */
    stopRequested: v.optional(v.boolean()),
    /** Assistant only: hash of the token that sent the prompt, which may drive the reply. */
    driverHash: v.optional(v.string()),
  })
    .index("by_threadId", ["threadId"])
    .index("by_streamId", ["streamId"])
    .index("by_status", ["status"]),

  /** Append-only flushed text: observers read after a cursor, so their cost grows linearly. */
  deltas: defineTable({
    streamId: v.string(),
    /** 0, 1, 2, ... per stream. */
    seq: v.number(),
    /** Character offset of `text` in the whole reply. */
    start: v.number(),
    text: v.string(),
  }).index("by_stream_seq", ["streamId", "seq"]),

  /** Read-only tokens minted by `threads:share`. */
  observerTokens: defineTable({
    tokenHash: v.string(),
    threadId: v.id("threads"),
    createdAt: v.number(),
    revokedAt: v.union(v.number(), v.null()),
  })
    .index("by_tokenHash", ["tokenHash"])
    .index("by_threadId", ["threadId"]),

  /** One row per visitor token ever used to create a thread. */
  visitors: defineTable({
    tokenHash: v.string(),
    /** Live threads owned by this token (the TOO_MANY_THREADS limit). */
    threadCount: v.number(),
  }).index("by_tokenHash", ["tokenHash"]),
});
