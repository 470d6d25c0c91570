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

const FENCE = /^ {0,3}(```|~~~)/;
const DELIMITER_ROW = /^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;
const UNCLOSED_LINK = /(!?)\[([^\]\n]*)(\](\([^)\s]*)?)?$/;

export function settledText(text: string): string {
  const lines = text.split("\n");
  let fences = 0;
  for (const line of lines) if (FENCE.test(line)) fences++;
  if (fences % 2 === 1) return text;
  return closeLink(holdTable(text, lines));
}

/** Drops trailing `|` lines that are not yet a table (no complete delimiter row under the first). */
function holdTable(text: string, lines: string[]): string {
  // The line being written is the last one; when it is still empty, the rows end above it.
  const last = lines[lines.length - 1] === "" ? lines.length - 2 : lines.length - 1;
  let first = last + 1;
  while (first > 0 && lines[first - 1]!.trimStart().startsWith("|")) first--;
  if (first > last) return text;
  // A delimiter row counts once a newline ends it (more dashes may still come).
  for (let i = first + 1; i <= last && i < lines.length - 1; i++) {
    if (DELIMITER_ROW.test(lines[i]!.trim())) return text;
  }
  return lines.slice(0, first).join("\n");
}

/** An unclosed link at the very end becomes its text; an unclosed image, nothing. */
function closeLink(text: string): string {
  const lastLine = text.slice(text.lastIndexOf("\n") + 1);
  // An odd number of backticks: the bracket is inside inline code, which is literal.
  if ((lastLine.match(/`/g)?.length ?? 0) % 2 === 1) return text;
  const m = UNCLOSED_LINK.exec(text);
  if (!m) return text;
  return text.slice(0, m.index) + (m[1] ? "" : m[2]);
}
