// Every text a person can see or hear from the element. Pass a partial object to the
// element's `strings` property to translate or reword; missing keys fall back to these.

export const defaultStrings = {
  heading: "Chat",
  emptyTitle: "How can I help?",
  emptyHint: "Ask a question to start the conversation.",
  inputLabel: "Message",
  placeholder: "Write a message…",
  send: "Send",
  stop: "Stop",
  retry: "Retry",
  newConversation: "New conversation",
  openChat: "Open chat",
  closeChat: "Close chat",
  conversationLabel: "Conversation",
  you: "You",
  assistant: "Assistant",
  thinking: "Thinking…",
  responding: "Responding",
  responseComplete: "Response complete",
  stopped: "Stopped",
  demoBadge: "Demo model",
  demoBadgeTitle: "Replies come from the built-in demo model, not a real AI.",
  offline: "You are offline. Reconnecting…",
  readOnly: "Read-only view",
  copy: "Copy",
  copied: "Copied",
  image: "Image",
  genericError: "Something went wrong. Please try again.",
  networkError: "Could not reach the server. Check your connection and try again.",
  replyError: "The reply could not be completed.",
  timeoutError: "The reply took too long and was cut off.",
  /** `{seconds}` is replaced with the wait. */
  rateLimited: "Too many messages. Try again in {seconds} s.",
  /** Label of the Cloudflare Turnstile check shown at the first send (`turnstile-site-key`). */
  humanCheck: "Confirm you are human to start the chat",
  humanCheckFailed: "The human check did not pass. Please send again to retry it.",
  tooManyVisitors: "Many people are starting a chat right now. Please try again in a minute.",
};

export type ChatStrings = typeof defaultStrings;

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
};

export type ConsoleStrings = typeof defaultConsoleStrings;

export function format(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? String(values[k]) : m));
}
