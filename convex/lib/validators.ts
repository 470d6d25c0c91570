/**
 * Validators shared by the schema and the public functions (one source for each shape): the
 * tables' fields are defined here, `schema.ts` builds its tables from them, and the views the
 * public functions return pick their fields from them.
 */
import { pick } from "convex-helpers";
import { v, type Infer } from "convex/values";

export const vThreadStatus = v.union(v.literal("idle"), v.literal("streaming"), v.literal("error"));

export const vMessageStatus = v.union(
  v.literal("pending"),
  v.literal("streaming"),
  v.literal("done"),
  v.literal("error"),
  v.literal("timeout"),
  v.literal("stopped"),
);
export type MessageStatus = Infer<typeof vMessageStatus>;

export const vRole = v.union(v.literal("user"), v.literal("assistant"));

export const vAccess = v.union(v.literal("visitor"), v.literal("observer"), v.literal("operator"));
export type Access = Infer<typeof vAccess>;

/** The `threads` table's fields. */
export const threadFields = {
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
};

/** The `messages` table's fields. */
export const messageFields = {
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
  /** Assistant only: the visitor key (identity or token hash) whose daily token budget pays for it. */
  usageKey: v.optional(v.string()),
};

/** What every thread read returns (see docs/architecture.md, `ThreadView`). Never the hashes. */
export const vThreadView = v.object({
  _id: v.string(),
  ...pick(threadFields, ["title", "status", "createdAt", "updatedAt", "lastMessageAt", "model", "origin"]),
  access: vAccess,
});
export type ThreadView = Infer<typeof vThreadView>;

/** See docs/architecture.md, `MessageView`. */
export const vMessageView = v.object({
  _id: v.string(),
  ...pick(messageFields, ["role", "status", "text", "streamId", "error", "model", "createdAt", "updatedAt"]),
});
export type MessageView = Infer<typeof vMessageView>;

/** See docs/architecture.md, `StreamSlice`. */
export const vStreamSlice = v.object({
  status: vMessageStatus,
  start: v.number(),
  text: v.string(),
  cursor: v.number(),
  more: v.boolean(),
});
export type StreamSlice = Infer<typeof vStreamSlice>;

/** A turn of the conversation as the model sees it. */
export const vChatTurn = v.object({ role: vRole, content: v.string() });
export type ChatTurn = Infer<typeof vChatTurn>;

/** `true` while a reply may still receive text. */
export function isUnfinished(status: MessageStatus): boolean {
  return status === "pending" || status === "streaming";
}
