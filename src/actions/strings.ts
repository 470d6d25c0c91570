// The action row's English texts (a lazy part's strings stay out of the chat's bytes). A locale
// or the page's `strings` overrides each; `copy` and `copied` are the chat's own.
export default {
  /** The row of buttons under a reply. */
  replyActions: "Reply actions",
  rateUp: "Good reply",
  rateDown: "Bad reply",
  regenerate: "Regenerate",
  /** The optional comment's box, after a rating. */
  feedbackComment: "What could be better? (optional)",
  sendFeedback: "Send",
  /** Announced once a rating or its comment is stored. */
  feedbackThanks: "Thanks for your feedback",
  /** In a read-only view (the console): how the visitor rated the reply. */
  ratedUp: "Rated good",
  ratedDown: "Rated bad",
  /** In the console: the visitor generated this reply again; the next one replaced it. */
  replaced: "Replaced by a new reply",
};
