// The blinking cursor of a reply being written sits right after its last character, inline,
// even when that character is in a list item, a table cell or a code block (a CSS ::after on
// the last block would drop onto its own line after a list or code block). MarkdownStream
// rebuilds the growing block on every update, so the cursor is placed again after each render.

const CURSOR_CLASS = "cursor";

/** Removes every cursor under `root`, then puts one after the last character of `bubble` (if given). */
export function placeCursor(root: ParentNode, bubble: Element | null): void {
  for (const old of root.querySelectorAll(`.${CURSOR_CLASS}`)) {
    const parent = old.parentNode;
    old.remove();
    parent?.normalize();
  }
  if (!bubble) return;
  const text = lastText(bubble);
  const cursor = document.createElement("span");
  cursor.className = CURSOR_CLASS;
  cursor.setAttribute("aria-hidden", "true");
  if (!text) {
    bubble.querySelector(".md-block:last-of-type")?.append(cursor);
    return;
  }
  // After the last visible character, not after a trailing newline (code blocks end with one).
  const end = text.data.trimEnd().length;
  const rest = end < text.data.length ? text.splitText(end) : text.nextSibling;
  text.parentNode!.insertBefore(cursor, rest);
}

/** The last text node with visible characters in the bubble's Markdown, outside buttons. */
function lastText(bubble: Element): Text | null {
  const walker = document.createTreeWalker(bubble, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) =>
      node.textContent!.trim() && node.parentElement?.closest(".md-block") && !node.parentElement.closest("button")
        ? NodeFilter.FILTER_ACCEPT
        : NodeFilter.FILTER_SKIP,
  });
  let last: Text | null = null;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) last = node as Text;
  return last;
}
