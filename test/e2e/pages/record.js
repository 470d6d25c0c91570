// Test instrumentation, loaded by the e2e pages after the widget: records the element's
// events and, every animation frame, the visible text of each reply, so a test can assert
// that text never shrank or doubled while it streamed.
// Loaded by some pages and injected by some tests: install once.
if (!window.__events) {
  window.__events = [];
  for (const type of [
    "ai-chat-send",
    "ai-chat-stream-start",
    "ai-chat-stream-end",
    "ai-chat-error",
    "ai-chat-handoff",
    "ai-chat-feedback",
  ]) {
    document.addEventListener(type, (e) => {
      const fields = ["threadId", "streamId", "driven", "status", "text", "code", "message", "prompt"];
      fields.push("state", "operatorName", "messageId", "rating", "comment");
      window.__events.push({ type, ...Object.fromEntries(fields.map((f) => [f, e[f]])) });
    });
  }
  window.__cspViolations = [];
  document.addEventListener("securitypolicyviolation", (e) =>
    window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`),
  );
  window.__samples = [];
  /** A bubble's text without the screen-reader-only "Assistant:" label and the end marker of a failed reply. */
  function replyText(bubble) {
    let text = "";
    for (const node of bubble.childNodes) {
      if (
        node.nodeType === Node.COMMENT_NODE ||
        node.classList?.contains("sr-only") ||
        node.classList?.contains("note")
      ) {
        continue;
      }
      text += node.textContent;
    }
    return text.replace(/\s+/g, " ").trim();
  }
  window.__replyText = replyText;
  function visibleReplies() {
    const out = [];
    for (const host of document.querySelectorAll("ai-chat-stream")) {
      for (const bubble of host.shadowRoot?.querySelectorAll(".row.assistant .bubble.markdown") ?? []) {
        out.push(replyText(bubble));
      }
    }
    return out;
  }
  (function sample() {
    const replies = visibleReplies();
    const last = window.__samples.at(-1);
    if (!last || last.join("\u0000") !== replies.join("\u0000")) window.__samples.push(replies);
    requestAnimationFrame(sample);
  })();
}
