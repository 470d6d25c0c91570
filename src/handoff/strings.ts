// The visitor's texts of human handoff, in the handoff part (not in the chat chunk). `{name}` is
// the operator's display name. Translations: each src/locales/*.ts.
export default {
  /** The `handoff-button` (`human-handoff` attribute). */
  talkToPerson: "Talk to a person",
  handoffRequested: "You asked for a person. Someone will join this chat soon.",
  handoffNobodyOnline: "No one is available right now. Keep writing: a person will read it when they are back.",
  /** Above the composer while an operator holds the thread. */
  handoffAnswering: "{name} is answering",
  handoffJoined: "{name} joined the chat",
  handoffLeft: "{name} left the chat. The AI answers again.",
  handoffTyping: "{name} is typing…",
};
