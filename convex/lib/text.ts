/**
 * Cutting and cleaning short text the deployment stores and shows: thread titles, origins,
 * operator names. Pure, no Convex.
 *
 * Convex strings must be well-formed UTF-16. A cut between the two halves of a surrogate pair
 * (an emoji, most CJK extension characters) leaves an unpaired surrogate, and the write that
 * carries it fails with no error code. So every cut here falls on a code-point boundary.
 *
 * A title or a name is one line shown beside text someone else wrote, so it must not be able to
 * reorder or hide that text: bidi controls (U+202A–202E, U+2066–2069, U+200E/F, U+061C) and other
 * control characters are removed before it is stored. The widget and the console clean it again
 * when they show it (`src/display-text.ts`), for rows stored before this rule.
 */

/** Thread titles are the first prompt's first line, clipped to this many UTF-16 units. */
export const TITLE_MAX_CHARS = 80;
/** Origins longer than this are clipped. */
export const ORIGIN_MAX_CHARS = 200;
/** Operator display names are clipped to this many UTF-16 units. */
export const NAME_MAX_CHARS = 60;

const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLow = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** The largest cut ≤ `at` that does not fall between the halves of a surrogate pair. */
export function codePointCut(text: string, at: number): number {
  if (at <= 0) return 0;
  if (at >= text.length) return text.length;
  return isHigh(text.charCodeAt(at - 1)) && isLow(text.charCodeAt(at)) ? at - 1 : at;
}

/** At most `max` UTF-16 units of `text`, never half a character. */
export function clip(text: string, max: number): string {
  return text.slice(0, codePointCut(text, max));
}

/** `text` if it fits in `max` units; otherwise its start and "…", `max` units at most. */
export function clipWithEllipsis(text: string, max: number): string {
  return text.length > max ? `${clip(text, max - 1).trimEnd()}…` : text;
}

/** Unpaired surrogates (from a cut elsewhere, or a broken client) become U+FFFD. */
export function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

/**
 * Characters that change how the text around them is ordered or shown without being visible:
 * C0 and C1 controls, DEL, the bidi embeddings, overrides and isolates, the directional marks,
 * and the line and paragraph separators.
 */
// eslint-disable-next-line no-control-regex -- control characters are what this removes
const INVISIBLE_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * One line of plain text, safe to show beside other text: whitespace (including line breaks and
 * tabs) runs become one space, every other control character is removed, unpaired surrogates
 * become U+FFFD, and the ends are trimmed.
 */
export function singleLine(text: string): string {
  return wellFormed(text).replace(/\s+/g, " ").replace(INVISIBLE_CONTROLS, "").replace(/ {2,}/g, " ").trim();
}

/** A thread's title from its first prompt: the first non-empty line, cleaned, at most 80 units. */
export function titleFromPrompt(prompt: string): string {
  const line = prompt.split("\n").find((l) => singleLine(l) !== "") ?? "";
  return clipWithEllipsis(singleLine(line), TITLE_MAX_CHARS);
}

/** An operator's display name as typed at sign-in: cleaned, at most 60 units, "Operator" when empty. */
export function operatorName(raw: string): string {
  return clip(singleLine(raw), NAME_MAX_CHARS).trimEnd() || "Operator";
}

/** The page origin a thread was started from, as stored: cleaned, at most 200 units, null when empty. */
export function storedOrigin(raw: string | undefined): string | null {
  const origin = raw === undefined ? "" : clip(singleLine(raw), ORIGIN_MAX_CHARS);
  return origin === "" ? null : origin;
}
