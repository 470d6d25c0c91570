// What a reply still being written shows: Markdown syntax that is not complete yet renders as
// plain text or waits, so it never flashes as raw characters and then jumps into its final
// form. Works on the text handed to MarkdownStream, only while a reply streams; the finished
// reply renders its whole text as it is.
//
// - A table waits for its delimiter row: trailing lines that start with `|` and have no
//   complete delimiter row under them are held back (one line, a few tokens), so the table
//   appears formed instead of as a paragraph of pipes.
// - A link (or image) that has not closed shows as its plain text: `[Convex](https://do` shows
//   "Convex" (an image shows nothing yet), which then becomes a link of the same width.
// Inside an open code fence nothing is changed: everything there is literal anyway.

// Bounded work per update, whatever the text (it runs again on every update of a reply): one
// jump per line over the text (fences), the last MAX_HELD_ROWS + 2 lines (tables), and the
// last line, of which links look at the last MAX_SEGMENT characters. The regex this replaced
// backtracked once per "[" to the next "]": a 12,000-character line of "[" then prose with a
// link cost up to a second per update (Node, 512-character pieces).
import { MAX_SEGMENT } from "./guard.js";

const DELIMITER_ROW = /^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;
/** A run of `|` lines longer than this is shown as it is: a table by now, or no table. */
const MAX_HELD_ROWS = 32;
/** An open link whose `[` is further back than this on the last line is shown as typed (a block that long is plain text anyway). */
const MAX_LINK_SCAN = MAX_SEGMENT;

export function settledText(text: string): string {
  return openFences(text) % 2 === 1 ? text : closeLink(holdTable(text));
}

/** Lines that start (after at most 3 spaces) with ``` or ~~~: one jump per line, not a look at every character. */
function openFences(text: string): number {
  let n = 0;
  for (let at = 0; at < text.length;) {
    let i = at;
    while (i < at + 3 && text.charCodeAt(i) === 32) i++;
    if (text.startsWith("```", i) || text.startsWith("~~~", i)) n++;
    const next = text.indexOf("\n", i);
    if (next < 0) break;
    at = next + 1;
  }
  return n;
}

/** Start of the line that holds offset `p`. */
const lineStart = (text: string, p: number): number => (p === 0 ? 0 : text.lastIndexOf("\n", p - 1) + 1);

/** Drops trailing `|` lines that are not yet a table (no complete delimiter row under the first). */
function holdTable(text: string): string {
  // Only the last MAX_HELD_ROWS + 2 lines can matter.
  let tailStart = lineStart(text, text.length);
  for (let n = 0; n <= MAX_HELD_ROWS && tailStart > 0; n++) tailStart = lineStart(text, tailStart - 1);
  const lines = text.slice(tailStart).split("\n");
  // The line being written is the last one; when it is still empty, the rows end above it.
  const last = lines[lines.length - 1] === "" ? lines.length - 2 : lines.length - 1;
  let first = last + 1;
  while (first > 0 && lines[first - 1]!.trimStart().startsWith("|")) first--;
  if (first > last) return text;
  if (first === 0 && tailStart > 0) return text;
  // A delimiter row counts once a newline ends it (more dashes may still come).
  for (let i = first + 1; i <= last && i < lines.length - 1; i++) {
    if (DELIMITER_ROW.test(lines[i]!.trim())) return text;
  }
  return text.slice(0, tailStart) + lines.slice(0, first).join("\n");
}

const isSpace = (ch: string): boolean => /\s/.test(ch);

/**
 * An unclosed link at the very end becomes its text; an unclosed image, nothing. Unclosed: a
 * `[` on the last line whose rest is link text with no `]` yet, or link text, `]` and possibly
 * `(` and a destination with no `)` or space yet. The leftmost such `[` counts (a `!` just
 * before it makes it an image). One pass from the end: O(last line), at most MAX_LINK_SCAN.
 */
function closeLink(text: string): string {
  const start = lineStart(text, text.length);
  // An odd number of backticks: the bracket is inside inline code, which is literal.
  let ticks = 0;
  for (let i = text.indexOf("`", start); i >= 0; i = text.indexOf("`", i + 1)) ticks++;
  if (ticks % 2 === 1) return text;
  const end = text.length;
  const from = Math.max(start, end - MAX_LINK_SCAN);
  if (text.lastIndexOf("[") < from) return text;
  // Text after `lastBad` has no ")" and no whitespace: a destination still being written.
  let lastBad = end - 1;
  while (lastBad >= from && text[lastBad] !== ")" && !isSpace(text[lastBad]!)) lastBad--;
  // Whether what follows the nearest "]" to the right can still end a link: nothing, or "(" and an open destination.
  let closeOk = true;
  let closeAt = -1;
  let open = -1;
  let openClose = -1;
  for (let i = end - 1; i >= from; i--) {
    const ch = text[i];
    if (ch === "]") {
      closeOk = i === end - 1 || (text[i + 1] === "(" && i + 1 > lastBad);
      closeAt = i;
    } else if (ch === "[" && closeOk) {
      open = i;
      openClose = closeAt;
    }
  }
  if (open < 0) return text;
  const image = open > start && text[open - 1] === "!";
  const label = text.slice(open + 1, openClose < 0 ? end : openClose);
  return text.slice(0, image ? open - 1 : open) + (image ? "" : label);
}
