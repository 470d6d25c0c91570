/**
 * Validators shared by the schema and the public functions (one source for each shape): the
 * tables' fields are defined here, `schema.ts` builds its tables from them, and the views the
 * public functions return pick their fields from them. The TypeScript types are inferred from
 * the validators; the widget (`src/api.ts`) imports them type-only, so this is the contract.
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
/** A reply in one of these may still receive text; every other status is final. */
export type UnfinishedStatus = "pending" | "streaming";
/** Statuses after which a message never changes again. */
export type FinalStatus = Exclude<MessageStatus, UnfinishedStatus>;

export const vRole = v.union(v.literal("user"), v.literal("assistant"));
/**
 * A stored message's role: the model's two, and `operator`, a person who took the thread over
 * (`handoff:reply`). The model sees an operator's turn as an assistant turn marked as a person's.
 */
export const vMessageRole = v.union(v.literal("user"), v.literal("assistant"), v.literal("operator"));

/** A visitor's rating of a reply (`feedback:rate`). */
export const vRating = v.union(v.literal("up"), v.literal("down"));
export type Rating = Infer<typeof vRating>;

export const vAccess = v.union(v.literal("visitor"), v.literal("observer"), v.literal("operator"));
export type Access = Infer<typeof vAccess>;

/**
 * The signed-in user of the host app, as its `authorize` hook reports it (convex/client.ts). A
 * component never sees `ctx.auth`, so the host's wrapper functions pass this in; clients cannot
 * call the component's functions, so they cannot forge it. `userId` owns threads (stored on them);
 * `operator` reads every thread, as an operator session does.
 */
export const vIdentity = v.object({ userId: v.string(), operator: v.boolean() });
export type Identity = Infer<typeof vIdentity>;

/** Who holds a thread: an operator session's or an operator identity's, and the name visitors see. */
export const vHolder = v.object({
  name: v.string(),
  /** `session:<id>` or `user:<userId>`: the same operator's second takeover is no conflict. */
  key: v.string(),
  since: v.number(),
});
export type Holder = Infer<typeof vHolder>;

/**
 * Who the host page says the visitor is (`<ai-chat-stream>`'s `visitor` property), as sent:
 * `id`, optional `name`, `email` and `signature` (HMAC-SHA256 hex of `id`, made on the site's
 * server), and up to VISITOR_FIELDS_MAX other fields, each a string, number or boolean. Shape
 * and sizes are checked by `checkVisitorClaim` (docs/visitor-identity.md).
 */
export const vVisitorClaim = v.record(v.string(), v.union(v.string(), v.number(), v.boolean()));
export type VisitorClaim = Infer<typeof vVisitorClaim>;

/**
 * A thread's visitor as stored and shown to operators: the claim without its signature, and
 * whether the signature matched (VISITOR_IDENTITY_SECRET). Unverified is display context only.
 */
export const vVisitorInfo = v.object({
  id: v.string(),
  name: v.optional(v.string()),
  email: v.optional(v.string()),
  fields: v.optional(vVisitorClaim),
  verified: v.boolean(),
});
export type VisitorInfo = Infer<typeof vVisitorInfo>;

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
  /** `userId` of the host app's signed-in user who created the thread (`Identity`), if any. */
  userId: v.optional(v.string()),
  /** The operator answering instead of the AI (`handoff:takeOver`); absent: the AI answers. */
  holder: v.optional(vHolder),
  /** The operator session holding the thread (indexed: its sign-out or expiry releases it). */
  holderSessionId: v.optional(v.id("operatorSessions")),
  /** When the visitor asked for a person (`handoff:requestHuman`); cleared by a takeover. */
  needsHumanAt: v.optional(v.number()),
  /** Messages written to the thread (`lib/threadSummary.ts`): the console list counts without reading them. */
  messageCount: v.optional(v.number()),
  /** The newest message's start, on one line (PREVIEW_CHARS), for the console list. */
  preview: v.optional(v.string()),
  /** Who the host page says the visitor is (`lib/visitorIdentity.ts`), from the newest send that said. */
  visitor: v.optional(vVisitorInfo),
  /** The browser's first language (`Accept-Language` of the visitor's `POST /chat-stream`). */
  language: v.optional(v.string()),
};

/** A file sent with a prompt (`lib/attachments.ts`), as its message keeps it. */
export const vChatAttachment = v.object({
  id: v.id("attachments"),
  storageId: v.id("_storage"),
  /** The visitor's file name, cleaned and clipped. */
  name: v.string(),
  /** Checked against the bytes at upload. */
  contentType: v.string(),
  size: v.number(),
});
export type ChatAttachment = Infer<typeof vChatAttachment>;

/** A message's file as readers see it: `url` fetches it (null once deleted). */
export const vAttachmentView = v.object({
  name: v.string(),
  contentType: v.string(),
  size: v.number(),
  url: v.union(v.string(), v.null()),
});
export type AttachmentView = Infer<typeof vAttachmentView>;

/** The `messages` table's fields. */
export const messageFields = {
  threadId: v.id("threads"),
  role: vMessageRole,
  status: vMessageStatus,
  /** User: the prompt. Assistant: "" until finished, then the full reply, written once. */
  text: v.string(),
  /** Assistant only: the persistent-text-streaming component's stream ID. */
  streamId: v.union(v.string(), v.null()),
  error: v.union(v.string(), v.null()),
  model: v.union(v.string(), v.null()),
  createdAt: v.number(),
  updatedAt: v.number(),
  /**
   * Assistant only: the site was too busy for its POST, so a background action generates it
   * (`chat:queue`); set until that action begins it.
   */
  queued: v.optional(v.boolean()),
  /**
   * Assistant only: which share of MAX_QUEUED_REPLIES it counts against while queued (0..7, set
   * and cleared with `queued`), so concurrent `chat:queue` calls read disjoint ranges.
   */
  queueShard: v.optional(v.number()),
  /** Assistant only: set by `messages:stop`; the driver reads it on its next flush. */
  stopRequested: v.optional(v.boolean()),
  /** Assistant only: hash of the token that sent the prompt, which may drive the reply. */
  driverHash: v.optional(v.string()),
  /** Assistant only: the visitor key (identity or token hash) whose daily token budget pays for it. */
  usageKey: v.optional(v.string()),
  /**
   * User only: the ID the page gave the `POST /chat-stream` that sent it, so the same request sent
   * again (its answer was lost on the way) finds this prompt instead of storing it twice.
   */
  requestId: v.optional(v.string()),
  /**
   * Assistant only, while unfinished: the worst case reserved on the daily budgets when it was sent
   * (`lib/budget.ts`), returned when it ends; `inputChars`, its model request's size, prices a
   * reply that ends without its driver's count.
   */
  reservation: v.optional(
    v.object({
      day: v.string(),
      tokens: v.number(),
      inputChars: v.optional(v.number()),
      /** The deployment usage row it is held on (`TOKEN_USAGE_SHARDS`); absent: the first. */
      shard: v.optional(v.number()),
    }),
  ),
  /**
   * Assistant only: set when the reply was finalized, which deleted its component stream and
   * scheduled its deltas' deletion (one copy at rest: `text`). Absent on replies finished before
   * that, whose stream `threads:purgeThread` still deletes.
   */
  streamDeleted: v.optional(v.boolean()),
  /** Operator only: the operator's display name, shown with the message. */
  author: v.optional(v.string()),
  /** User only: the files sent with the prompt. */
  attachments: v.optional(v.array(vChatAttachment)),
  /**
   * Assistant only: the reply generated again in its place (`messages:retry`). Kept for operators;
   * visitors and observers no longer see it.
   */
  supersededBy: v.optional(v.id("messages")),
  /** Assistant only: the visitor's rating (a copy of its `feedback` row, read with the reply). */
  feedback: v.optional(v.object({ rating: vRating, comment: v.optional(v.string()) })),
};

/** The `feedback` table's fields. */
export const feedbackFields = {
  messageId: v.id("messages"),
  threadId: v.id("threads"),
  /** Who rated (`visitorKey`: identity first, else token hash): one rating each. */
  visitorKey: v.string(),
  rating: vRating,
  comment: v.optional(v.string()),
  updatedAt: v.number(),
};

/** A rating with its prompt and reply, as `feedback:list` exports it for review. */
export const vFeedbackView = v.object({
  _id: v.string(),
  _creationTime: v.number(),
  ...pick(feedbackFields, ["rating", "comment", "updatedAt"]),
  threadId: v.string(),
  messageId: v.string(),
  prompt: v.string(),
  reply: v.string(),
});
export type FeedbackView = Infer<typeof vFeedbackView>;

/** What every thread read returns (see docs/architecture.md, `ThreadView`). Never the hashes. */
export const vThreadView = v.object({
  _id: v.string(),
  ...pick(threadFields, ["title", "status", "createdAt", "updatedAt", "lastMessageAt", "model", "origin"]),
  access: vAccess,
  /** The name of the operator answering instead of the AI; absent: the AI answers. */
  heldBy: v.optional(v.string()),
  ...pick(threadFields, ["needsHumanAt", "messageCount", "preview"]),
  /** Operator lists only: the calling operator (their session or identity) holds the thread. */
  heldByMe: v.optional(v.boolean()),
  /** Operators only: who the host page says the visitor is, and the browser's language. */
  ...pick(threadFields, ["visitor", "language"]),
});
export type ThreadView = Infer<typeof vThreadView>;

/**
 * See docs/architecture.md, `MessageView`. `_creationTime` is the message's position (pages and
 * the live tail are cut there); `length` is a finished reply's text length, so a view without the
 * text (`messages:live`) still says how much text the viewer must have.
 */
export const vMessageView = v.object({
  _id: v.string(),
  _creationTime: v.number(),
  ...pick(messageFields, ["role", "status", "text", "streamId", "error", "model", "createdAt", "updatedAt", "queued"]),
  length: v.number(),
  ...pick(messageFields, ["author"]),
  attachments: v.optional(v.array(vAttachmentView)),
  ...pick(messageFields, ["feedback"]),
  /** Operators only: the reply that replaced this one. */
  supersededBy: v.optional(v.string()),
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

/** See docs/architecture.md, `StreamDelta`: the newest flush of a reply (`streams:tail`). */
export const vStreamDelta = v.object({ seq: v.number(), start: v.number(), text: v.string() });
export type StreamDelta = Infer<typeof vStreamDelta>;

/** A turn of the conversation as the model sees it. */
export const vChatTurn = v.object({
  role: vRole,
  content: v.string(),
  attachments: v.optional(v.array(vChatAttachment)),
});
export type ChatTurn = Infer<typeof vChatTurn>;

/** What `config:get` returns. */
export const vChatConfig = v.object({
  model: v.string(),
  demo: v.boolean(),
  maxPromptChars: v.number(),
  /** MAX_FILE_BYTES and MAX_FILES_PER_MESSAGE, checked by the widget before it uploads. */
  maxFileBytes: v.number(),
  maxFilesPerMessage: v.number(),
});
export type ChatConfig = Infer<typeof vChatConfig>;

/**
 * What `messages:send` returns. While an operator holds the thread the prompt is stored and no
 * reply is started: no `assistantMessageId`, no `streamId`, and `heldBy` names the operator.
 */
export const vSendResult = v.object({
  userMessageId: v.string(),
  assistantMessageId: v.optional(v.string()),
  streamId: v.optional(v.string()),
  heldBy: v.optional(v.string()),
});
export type SendResult = Infer<typeof vSendResult>;

/**
 * What the one-request `POST /chat-stream` answers before the reply's text, in its `X-Chat-Reply`
 * header (`lib/chatProtocol.ts`): the thread, messages and stream it started and, for a new
 * visitor, the visitor token it minted (the only copy; we keep its hash).
 */
export const vChatReplyHeader = v.object({
  threadId: v.string(),
  /** Absent for a retry, which answers the prompt already stored. */
  userMessageId: v.optional(v.string()),
  assistantMessageId: v.string(),
  streamId: v.string(),
  token: v.optional(v.string()),
});
export type ChatReplyHeader = Infer<typeof vChatReplyHeader>;

/**
 * What `POST /chat-stream` (202, in `X-Chat-Reply`) and `chat:queue` answer when an operator holds
 * the thread: the prompt is stored for the operator, and no reply is started.
 */
export const vHeldReplyHeader = v.object({
  threadId: v.string(),
  userMessageId: v.string(),
  heldBy: v.string(),
  token: v.optional(v.string()),
});
export type HeldReplyHeader = Infer<typeof vHeldReplyHeader>;

/**
 * What `handoff:state` returns: who answers, whether a person was asked for, whether an operator
 * is online, and when each side last typed. Times are the server's; a page compares them with
 * `now` (the server's time when the state was read) plus its own elapsed time, not its clock.
 */
export const vHandoffState = v.object({
  heldBy: v.union(v.string(), v.null()),
  /** The caller is the operator holding it. */
  heldByMe: v.boolean(),
  needsHumanAt: v.union(v.number(), v.null()),
  /** Until when the newest operator heartbeat says someone is online (0: nobody ever). */
  operatorOnlineUntil: v.number(),
  visitorTypingAt: v.union(v.number(), v.null()),
  operatorTypingAt: v.union(v.number(), v.null()),
  now: v.number(),
});
export type HandoffState = Infer<typeof vHandoffState>;

/** What `threads:create` returns: the visitor token is the only copy (we keep its hash). */
export const vCreateThreadResult = v.object({ threadId: v.string(), token: v.string() });
export type CreateThreadResult = Infer<typeof vCreateThreadResult>;

/** What `threads:share` returns: the observer token is the only copy (we keep its hash). */
export const vShareResult = v.object({ observerToken: v.string(), shareId: v.string(), expiresAt: v.number() });
export type ShareResult = Infer<typeof vShareResult>;

/** One of a thread's observer tokens, as `threads:listShares` shows it (never the token). */
export const vShareView = v.object({
  _id: v.string(),
  createdAt: v.number(),
  expiresAt: v.number(),
  revokedAt: v.union(v.number(), v.null()),
});
export type ShareView = Infer<typeof vShareView>;

/** What `operator:signIn` returns: a refusal is returned, not thrown (see `operator.ts`). */
export const vSignInResult = v.union(
  v.object({ ok: v.literal(true), sessionToken: v.string(), expiresAt: v.number(), name: v.string() }),
  v.object({
    ok: v.literal(false),
    code: v.union(v.literal("UNAUTHORIZED"), v.literal("RATE_LIMITED")),
    message: v.string(),
    retryAfterMs: v.optional(v.number()),
  }),
);
export type SignInResult = Infer<typeof vSignInResult>;

/** What `operator:usage` returns: today's (UTC) model tokens against DAILY_TOKEN_BUDGET. */
export const vTokenUsage = v.object({ day: v.string(), tokens: v.number(), budget: v.number(), resetsAt: v.number() });
export type TokenUsage = Infer<typeof vTokenUsage>;

/** `true` while a reply may still receive text. */
export function isUnfinished(status: MessageStatus): status is UnfinishedStatus {
  return status === "pending" || status === "streaming";
}

/** What `POST /chat-upload` answers: the upload's ID, to send with a prompt (`attachments`). */
export const vUploadResult = v.object({
  attachmentId: v.string(),
  name: v.string(),
  contentType: v.string(),
  size: v.number(),
});
export type UploadResult = Infer<typeof vUploadResult>;
