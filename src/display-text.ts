// Text from the server or a model shown as one line beside other text: thread titles in the
// console, the unread-reply preview on the launcher. The server already stores titles and
// operator names clean (convex/lib/text.ts), but rows stored before that rule, or by another
// deployment's code, may not be: a U+202E in a title would make the rows around it read
// backwards. The same rules run here, from the same module, so the two cannot drift apart.
import { clipWithEllipsis, singleLine } from "../convex/lib/text.js";

/** One line with no bidi or control characters and no half characters. */
export function displayLine(text: string): string {
  return singleLine(text);
}

/** `displayLine`, then at most `max` UTF-16 units with "…", cut between characters. */
export function displayClip(text: string, max: number): string {
  return clipWithEllipsis(displayLine(text), max);
}
