// The history list's English texts (part `history`): in the part's own module, not in the
// chat's defaultStrings. The part reads `host.effectiveStrings[key] ?? english[key]`.
export default {
  /** The header's button (short: it shares a phone's header with the title and "New chat"). */
  historyButton: "History",
  history: "Past conversations",
  historyEmpty: "No earlier conversations yet.",
  historyMore: "Show more",
  historyClose: "Close",
  historyUntitled: "Untitled conversation",
  historyDelete: "Delete",
  historyConfirm: "Delete this conversation?",
  historyCancel: "Cancel",
  historyDeleted: "Conversation deleted",
  historyOpened: "Conversation opened",
};
