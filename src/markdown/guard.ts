// Which text would make marked slow, and how it is shown instead. marked is quadratic on some
// inputs (`"*a _".repeat(n)` lexes in 0.9 s at 16 KB) and re-lexes each level of nested
// containers, so a model coaxed into writing such text could freeze every viewer's tab. Text
// past these limits is shown as plain text, never dropped: an inline run that is too long or
// has too many delimiters, containers nested too deep, and, in `MarkdownStream`, a block too
// big to lex again on every update.
import { Tokenizer, type Token, type Tokens } from "marked";

/** Past this many characters, or this many delimiter characters, an inline run is shown as plain text: marked's inline lexer is quadratic in them. */
const MAX_INLINE_CHARS = 8 * 1024;
const MAX_INLINE_DELIMITERS = 256;
const DELIMITERS = /[*_~`[\]<>!\\]/g;
/** Block quotes and lists nested deeper than this are read as paragraph text (marked re-lexes each level). */
const MAX_NESTING = 16;
/** `MarkdownStream` lexes at most this many characters per step; a block with no end in sight by then is shown as plain text. */
export const MAX_SEGMENT = 8 * 1024;
/** Plain text is cut into pieces of about this size, so a growing one costs one small piece per update. */
const PLAIN_CHUNK = 4 * 1024;

/** True when marked's inline lexer could take long on `src`. */
export function isPathologicalInline(src: string): boolean {
  if (src.length > MAX_INLINE_CHARS) return true;
  DELIMITERS.lastIndex = 0;
  let n = 0;
  while (DELIMITERS.exec(src)) if (++n > MAX_INLINE_DELIMITERS) return true;
  return false;
}

/** `src` as one inline text token: shown as is, with no Markdown read in it. */
export const plainInline = (src: string): Tokens.Text => ({ type: "text", raw: src, text: src, escaped: false });

/**
 * Block-quote and list tokenizers that stop reading containers past `MAX_NESTING` levels (the
 * rest is read as paragraph text). One set per `Marked` instance: the depth is its own.
 */
export function depthLimitedTokenizers(): Pick<Tokenizer, "blockquote" | "list"> {
  let depth = 0;
  const limited = (tokenize: (this: Tokenizer, src: string) => Token | undefined) =>
    function (this: Tokenizer, src: string) {
      // `undefined` (not `false`) so marked does not fall back to its own tokenizer.
      if (depth >= MAX_NESTING) return undefined;
      depth++;
      try {
        return tokenize.call(this, src);
      } finally {
        depth--;
      }
    };
  return {
    blockquote: limited(Tokenizer.prototype.blockquote) as Tokenizer["blockquote"],
    list: limited(Tokenizer.prototype.list) as Tokenizer["list"],
  };
}

/**
 * A block with no end within `MAX_SEGMENT`, shown as plain text from where it starts to just
 * after the first blank line at or past `searchFrom`.
 */
export type PlainRun = { searchFrom: number };

/** Where the plain run ends, or null while its blank line has not arrived. */
export function plainRunEnd(text: string, run: PlainRun): number | null {
  const i = text.indexOf("\n\n", run.searchFrom - 1);
  return i < 0 ? null : i + 2;
}

/** End of the next finished plain piece from `start`, or null when the rest is still growing. */
export function plainPieceEnd(text: string, start: number, run: PlainRun): number | null {
  const runEnd = plainRunEnd(text, run);
  if (runEnd !== null && runEnd - start <= PLAIN_CHUNK) return runEnd;
  // Cut before `start + PLAIN_CHUNK`, after a line break or a space when there is one; only
  // once the text reaches past it, so the cut is the same however the text arrived.
  if (text.length <= start + PLAIN_CHUNK + 1) return null;
  const limit = start + PLAIN_CHUNK;
  const at = Math.max(text.lastIndexOf("\n", limit - 1), text.lastIndexOf(" ", limit - 1));
  return at > start ? at + 1 : limit;
}
