/**
 * What the console's list shows of a thread without reading its messages: how many were written
 * and the newest one's start. Kept on the thread as messages are written, so a page of the list
 * stays one bounded read of threads.
 */
import type { Id } from "../_generated/dataModel";
import type { MutationCtx } from "../_generated/server";

/** A preview's length: one line of a list row. */
export const PREVIEW_CHARS = 140;

/** `text` on one line, clipped to PREVIEW_CHARS. */
export function previewOf(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > PREVIEW_CHARS ? `${line.slice(0, PREVIEW_CHARS - 1)}…` : line;
}

/** `added` messages were written to the thread, the newest starting `text` (none yet for a pending reply). */
export async function noteMessages(
  ctx: MutationCtx,
  threadId: Id<"threads">,
  added: number,
  text: string,
): Promise<void> {
  const thread = await ctx.db.get("threads", threadId);
  if (!thread) return;
  const preview = previewOf(text);
  await ctx.db.patch("threads", threadId, {
    messageCount: (thread.messageCount ?? 0) + added,
    ...(preview ? { preview } : {}),
  });
}
