// What each row of the transcript looks like: plain templates, no state. The element decides
// which row to show and with what text; these only lay it out with its parts and labels.
// Message text sits in its own `dir="auto"` box, so each message reads in its own direction
// (an English question in a right-to-left widget stays "How…?") while the chrome follows the
// widget; the screen-reader label stays outside it so it cannot decide the direction.
import { html, nothing, type TemplateResult } from "lit";
import type { MessageStatus } from "../api.js";
import { iconSpark } from "../icons.js";
import type { ChatStrings } from "../strings.js";

/** Before the first message: the greeting, a hint, starter prompts, and the note that an AI writes the replies. */
export function emptyState(greeting: string, hint: string, aiNote: string, suggestions?: unknown): TemplateResult {
  return html`<div class="empty">
    ${iconSpark}
    <p class="empty-title">${greeting}</p>
    ${hint ? html`<p class="empty-hint">${hint}</p>` : nothing}
    ${suggestions}
    ${aiNote ? html`<p part="ai-note" class="ai-note">${aiNote}</p>` : nothing}
  </div>`;
}

/** A visitor's message (and its files); `pending` while the server does not have it yet. */
export function userRow(text: string, strings: ChatStrings, pending: boolean, files?: TemplateResult): TemplateResult {
  return html`<div part="message user" class="row user ${pending ? "pending" : ""}">
    <div class="bubble"><span class="sr-only">${strings.you}:</span><div class="text" dir="auto">${text}</div>${files}</div>
  </div>`;
}

/** A reply that has no text yet (`queued`: waiting for the deployment to generate it). */
export function thinkingRow(strings: ChatStrings, queued?: boolean): TemplateResult {
  return html`<div part="message assistant" class="row assistant">
    <div class="bubble thinking"><span class="dots" aria-hidden="true"><i></i><i></i><i></i></span>${queued ? strings.queued : strings.thinking}</div>
  </div>`;
}

/** How a reply that did not finish is marked on its bubble, and whether it offers Retry. */
export type ReplyEnd = { note: string; failed: boolean; onRetry?: () => void; retrying?: boolean } | null;

/** A reply: its rendered Markdown blocks, marked while it still streams and when it did not finish. */
export function replyRow(
  status: MessageStatus,
  streaming: boolean,
  blocks: HTMLElement[],
  end: ReplyEnd,
  strings: ChatStrings,
  /** Under the bubble: the action row (src/actions), once its code is here. */
  actions?: unknown,
): TemplateResult {
  return html`
    <div part="message assistant" class="row assistant ${end?.failed ? "failed" : ""}" data-status=${status}>
      <div class="bubble markdown ${streaming ? "streaming" : ""}">
        <span class="sr-only">${strings.assistant}:</span>
        <div class="text" dir="auto">${blocks}</div>
        ${
          end
            ? html`<p part=${end.failed ? "reply-error" : "reply-note"} class="note ${end.failed ? "failed" : ""}">
              ${end.failed ? html`<span class="mark" aria-hidden="true">!</span>` : nothing}<span>${end.note}</span>
              ${
                end.onRetry
                  ? html`<button type="button" part="retry-button" class="retry" ?disabled=${end.retrying} @click=${end.onRetry}>${strings.retry}</button>`
                  : nothing
              }
            </p>`
            : nothing
        }
      </div>
      ${actions}
    </div>
  `;
}
