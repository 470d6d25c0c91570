// The plain words of a Markdown reply, as a reader sees them rendered: for the launcher's unread
// preview and its announcement. Rendering (rather than stripping syntax characters) keeps
// "**Yes**: you can" as "Yes: you can" and a link as its text; code blocks and copy buttons are
// left out, and each block ends with a space so words of two blocks never run together.
import { renderMarkdown } from "./markdown/index.js";

const BLOCKS = "p, li, h1, h2, h3, h4, h5, h6, blockquote, tr, th, td, dt, dd, br, hr";

export function plainText(markdown: string): string {
  const fragment = renderMarkdown(markdown);
  for (const skipped of fragment.querySelectorAll("pre, button, .copy")) skipped.remove();
  for (const block of fragment.querySelectorAll(BLOCKS)) block.after(" ");
  return (fragment.textContent ?? "").replace(/\s+/g, " ").trim();
}
