// Every text a person can see or hear from the element. Pass a partial object to the
// element's `strings` property to translate or reword; missing keys fall back to these.

export const defaultStrings = {
  heading: "Chat",
  /** The empty state's first line; the `greeting` attribute overrides it. */
  greeting: "Hi! How can I help?",
  emptyHint: "Ask a question to start the conversation.",
  /** Under the greeting; the `ai-note` attribute overrides it. */
  aiNote: "Replies are written by an AI and can be wrong.",
  inputLabel: "Message",
  placeholder: "Write a message…",
  send: "Send",
  stop: "Stop",
  retry: "Retry",
  newConversation: "New chat",
  newConversationStarted: "New conversation started",
  newMessages: "New messages",
  openChat: "Open chat",
  /** `{count}` unread replies, on the launcher. */
  unread: "{count} unread",
  /** Announced when a reply finishes while the panel is closed; `{preview}` is its start. */
  newReply: "New reply: {preview}",
  closeChat: "Close chat",
  conversationLabel: "Conversation",
  loadEarlier: "Earlier messages",
  loadingChat: "Loading the chat…",
  you: "You",
  assistant: "Assistant",
  thinking: "Thinking…",
  /** A reply waiting for the deployment to generate it (it was too busy when it was sent). */
  queued: "Queued…",
  responding: "Responding",
  responseComplete: "Response complete",
  stopped: "Stopped",
  demoBadge: "Demo model",
  demoBadgeTitle: "Replies come from the built-in demo model, not a real AI.",
  offline: "You are offline. Reconnecting…",
  readOnly: "Read-only view",
  /** A read-only view (`mode="observe"`) of a conversation with no messages yet. */
  observerEmpty: "No messages yet",
  observerEmptyHint: "Messages appear here as they are written.",
  /** A read-only view whose link (observer token) expired or was refused. */
  observerUnavailable: "This link has expired or is not valid. Ask whoever shared it for a new one.",
  copy: "Copy",
  copied: "Copied",
  image: "Image",
  genericError: "Something went wrong. Please try again.",
  networkError: "Could not reach the server. Check your connection and try again.",
  replyError: "The reply could not be completed.",
  timeoutError: "The reply took too long and was cut off.",
  offlineSend: "You are offline. Your message is kept; send it again once you are back online.",
  promptTooLong: "Your message is too long. Shorten it and send it again.",
  /** Under the message box once it passes the limit; `{count}` is how many characters to remove. */
  overLimit: "{count} characters too long. Shorten your message to send it.",
  /** The character counter near the limit. */
  charCount: "{count} / {limit}",
  /** When Enter is pressed while a reply is still being written (the text stays in the box). */
  waitForReply: "Wait for the reply to finish, or stop it, to send your message.",
  tooManyConversations: "You have started too many conversations. Continue an earlier one or try again later.",
  unavailable: "This conversation is no longer available. Start a new one.",
  /** `{seconds}` is replaced with the wait. */
  rateLimited: "Too many messages. Try again in {seconds} s.",
  /** Label of the Cloudflare Turnstile check shown at the first send (`turnstile-site-key`). */
  humanCheck: "Confirm you are human to start the chat",
  humanCheckFailed: "The human check did not pass. Please send again to retry it.",
  tooManyVisitors: "Many people are starting a chat right now. Please try again in a minute.",
  budgetExhausted: "The chat has reached its limit for today. Please try again later.",
  /** The attach button (the file texts are the attach part's, src/attach/strings.ts). */
  attachFiles: "Attach files",
};

export type ChatStrings = typeof defaultStrings &
  typeof import("./history/strings.js").default &
  typeof import("./handoff/strings.js").default &
  typeof import("./actions/strings.js").default &
  typeof import("./attach/strings.js").default;

/** The same, for `<ai-chat-console>`'s `strings` property. */
export const defaultConsoleStrings = {
  heading: "Conversations",
  signInTitle: "Operator sign-in",
  signInHint: "Enter this deployment's operator secret to watch its conversations live.",
  secretLabel: "Operator secret",
  nameLabel: "Your name",
  /** `{tokens}` and `{budget}`: today's model tokens and DAILY_TOKEN_BUDGET. */
  usage: "Today: {tokens} / {budget} tokens",
  remember: "Remember for this tab",
  rememberHint: "Otherwise it is forgotten when you reload or leave the page.",
  signIn: "Sign in",
  signingIn: "Signing in…",
  signOut: "Sign out",
  /** In the header once signed in; `{name}` is the name given at sign-in. */
  signedInAs: "Signed in as {name}",
  wrongSecret: "That operator secret was not accepted.",
  secretRejected: "Your operator session has ended. Sign in again.",
  missingUrl: "The console has no convex-url.",
  threadsLabel: "Threads",
  emptyTitle: "No conversations yet",
  emptyHint: "New conversations appear here as soon as they start.",
  loadMore: "Load more",
  loadingMore: "Loading…",
  untitled: "Untitled conversation",
  selectHint: "Select a conversation to watch it live.",
  statusStreaming: "Live",
  statusIdle: "Idle",
  statusError: "Error",
  justNow: "just now",
  /** `{count}` is replaced with the number of threads loaded. */
  loadedCount: "{count} loaded",
  /** Human handoff (docs/handoff.md). `{name}`: the operator answering. */
  aiAnswering: "The AI is answering",
  heldByYou: "You are answering",
  heldBy: "{name} is answering",
  takeOver: "Take over",
  takeOverForce: "Take over from {name}",
  handBack: "Hand back to AI",
  replyLabel: "Reply as yourself",
  replySend: "Send",
  visitorTyping: "The visitor is typing…",
  needsHuman: "Wants a person",
  /** `{count}`: threads whose visitor asked for a person; in the document title and the badge. */
  waitingCount: "{count} waiting",
  filterLabel: "Show",
  filter_all: "All conversations",
  filter_live: "Live",
  filter_waiting: "Needs a person",
  filter_mine: "Held by me",
  filter_failed: "Failed",
  searchLabel: "Search titles and messages",
  noMatch: "No conversation matches.",
  /** A row's time tooltip: `{date}` is when the visitor started the conversation. */
  firstSeen: "First seen {date}",
  /** A row's number of messages (`{count}`, 2 or more). */
  messageCount: "{count} messages",
  oneMessage: "1 message",
  /** The open thread's actions (`thread-actions`); the transcript's speakers. */
  back: "Back to list",
  exportTranscript: "Export Markdown",
  share: "Observer link",
  remove: "Delete",
  removeConfirm: "Delete this conversation for good?",
  roleVisitor: "Visitor",
  roleAi: "AI",
  roleOperator: "{name} (operator)",
  /** Who the open thread's visitor is (docs/visitor-identity.md). */
  visitorLabel: "Visitor",
  verified: "Verified",
  /** The host page named the visitor without its server's signature: anyone could have. */
  unverified: "Unverified",
  pageLabel: "Page",
  languageLabel: "Language",
  firstSeenLabel: "First seen",
};

export type ConsoleStrings = typeof defaultConsoleStrings;

export function format(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? String(values[k]) : m));
}
