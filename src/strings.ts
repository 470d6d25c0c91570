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
};

export type ChatStrings = typeof defaultStrings;

export function format(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? String(values[k]) : m));
}
