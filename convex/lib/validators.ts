/** Validators shared by the schema and the public functions (one source for each shape). */
import { v, type Infer } from "convex/values";

export const vThreadStatus = v.union(v.literal("idle"), v.literal("streaming"), v.literal("error"));
export type ThreadStatus = Infer<typeof vThreadStatus>;

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
export type Role = Infer<typeof vRole>;

export const vAccess = v.union(v.literal("visitor"), v.literal("observer"), v.literal("operator"));
export type Access = Infer<typeof vAccess>;

/** What every thread read returns (see docs/architecture.md, `ThreadView`). */
export const vThreadView = v.object({
  _id: v.string(),
  title: v.string(),
  status: vThreadStatus,
  createdAt: v.number(),
  updatedAt: v.number(),
  lastMessageAt: v.number(),
  model: v.string(),
  origin: v.union(v.string(), v.null()),
  access: vAccess,
});
export type ThreadView = Infer<typeof vThreadView>;

/** See docs/architecture.md, `MessageView`. */
export const vMessageView = v.object({
  _id: v.string(),
  role: vRole,
  status: vMessageStatus,
  text: v.string(),
  streamId: v.union(v.string(), v.null()),
  error: v.union(v.string(), v.null()),
  model: v.union(v.string(), v.null()),
  createdAt: v.number(),
  updatedAt: v.number(),
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
