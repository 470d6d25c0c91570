// What each row of the transcript looks like: plain templates, no state. The element decides
// which row to show and with what text; these only lay it out with its parts and labels.
import { html, nothing, type TemplateResult } from "lit";
import type { MessageStatus } from "./api.js";
import { iconSpark } from "./icons.js";
import type { ChatStrings } from "./strings.js";

/** Before the first message. */
export function emptyState(title: string, hint: string): TemplateResult {
  return html`<div class="empty">
    ${iconSpark}
    <p class="empty-title">${title}</p>
    <p class="empty-hint">${hint}</p>
  </div>`;
}

/** A visitor's message; `pending` while the server does not have it yet. */
export function userRow(text: string, strings: ChatStrings, pending: boolean): TemplateResult {
  return html`<div part="message user" class="row user ${pending ? "pending" : ""}">
    <div class="bubble"><span class="sr-only">${strings.you}:</span>${text}</div>
  </div>`;
}

/** A reply that has no text yet. */
export function thinkingRow(strings: ChatStrings): TemplateResult {
  return html`<div part="message assistant" class="row assistant">
    <div class="bubble thinking"><span class="dots" aria-hidden="true"><i></i><i></i><i></i></span>${strings.thinking}</div>
  </div>`;
}

/** A reply: its rendered Markdown blocks, marked while it still streams. */
export function replyRow(status: MessageStatus, streaming: boolean, blocks: HTMLElement[], strings: ChatStrings): TemplateResult {
  return html`
    <div part="message assistant" class="row assistant" data-status=${status}>
      <div class="bubble markdown ${streaming ? "streaming" : ""}">
        <span class="sr-only">${strings.assistant}:</span>
        ${blocks}
        ${status === "stopped" ? html`<p class="note">${strings.stopped}</p>` : nothing}
      </div>
    </div>
  `;
}
