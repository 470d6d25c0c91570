// Markdown for model output: marked for structure, DOMPurify with an allowlist for safety.
// Pure: text in, sanitised DOM out; no Lit, no element state and no module state, so it is
// easy to test and time. The public entry; each question has its own file in markdown/:
//   renderer.ts   how Markdown is lexed and rendered with one set of options
//   sanitizer.ts  what markup from the model may reach the page
//   guard.ts      which text would make marked slow, and how it is shown instead (never dropped)
//   links.ts      which link reference definitions apply, and which blocks they change
//   stream.ts     how a reply that grows at the end is rendered incrementally
export { MarkdownRenderer, renderMarkdown, type MarkdownOptions } from "./renderer.js";
export { MarkdownStream } from "./stream.js";
export { MAX_SEGMENT } from "./guard.js";
export { isAllowedImage } from "./sanitizer.js";
