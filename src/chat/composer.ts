// The message box and its buttons: a plain template, no state. `composerState` decides what it
// says under the box: a character counter near the deployment's prompt limit, the reason
// sending is disabled above it, and, after Enter during a reply, why the text waits (it stays
// in the box; nothing is queued).
import { html, nothing, type TemplateResult } from "lit";
import { iconNew, iconSend, iconStop } from "../icons.js";
import type { AttachController } from "../attach/compose.js";
import { format, type ChatStrings } from "../strings.js";

/** The counter shows from this share of the limit on. */
const COUNTER_FROM = 0.9;

export type ComposerInput = {
  text: string;
  /** The deployment's prompt limit in characters (0: unknown, no counter). */
  limit: number;
  /** A prompt or a retry is on its way to the server. */
  sending: boolean;
  /** A reply is being written. */
  streaming: boolean;
  /** Enter was pressed during the current reply. */
  waitAsked: boolean;
  /** The files of the message, once the attach part has loaded. */
  files?: AttachController;
};

export type ComposerState = {
  /** "7,950 / 8,000" near the limit, else null. */
  counter: string | null;
  /** Why the text is not sent now, else null. */
  hint: string | null;
  over: boolean;
  canSend: boolean;
};

const count = (n: number): string => n.toLocaleString("en-US");

function composerState(input: ComposerInput, strings: ChatStrings): ComposerState {
  const { text, limit } = input;
  const over = limit > 0 && text.length > limit;
  const counter =
    limit > 0 && text.length >= limit * COUNTER_FROM
      ? format(strings.charCount, { count: count(text.length), limit: count(limit) })
      : null;
  let hint: string | null = null;
  if (over) hint = format(strings.overLimit, { count: count(text.length - limit) });
  else if (input.waitAsked && input.streaming) hint = strings.waitForReply;
  return {
    counter,
    hint,
    over,
    canSend: !!(text.trim() || input.files?.items.length) && !over && !input.sending && !input.streaming,
  };
}

export type ComposerView = ComposerInput & { placeholder: string; strings: ChatStrings };

export type ComposerHandlers = {
  onSubmit(e: Event): void;
  onInput(e: Event): void;
  onKeydown(e: KeyboardEvent): void;
  onStop(): void;
  /** No files: opens the file picker. */
  attach(): void;
};

export function composerTemplate(view: ComposerView, on: ComposerHandlers): TemplateResult {
  const { strings } = view;
  const state = composerState(view, strings);
  // The hint is a live region that is always there (text added to a new region is not read out).
  const describedBy = state.counter ? "composer-hint composer-counter" : "composer-hint";
  return html`${view.files?.render()}<form part="composer" class="composer" @submit=${on.onSubmit}>
      <button part="attach-button" class="icon-button" type="button" aria-label=${strings.attachFiles} title=${strings.attachFiles} @click=${() => on.attach()}>
        ${iconNew}
      </button>
      <textarea
        part="input"
        rows="1"
        aria-label=${strings.inputLabel}
        aria-describedby=${describedBy}
        aria-invalid=${state.over ? "true" : nothing}
        placeholder=${view.placeholder}
        .value=${view.text}
        @input=${on.onInput}
        @keydown=${on.onKeydown}
      ></textarea>
      ${
        view.streaming
          ? html`<button part="stop-button" class="stop" type="button" aria-label=${strings.stop} title=${strings.stop} @click=${on.onStop}>
            ${iconStop}
          </button>`
          : html`<button part="send-button" class="send" type="submit" aria-label=${strings.send} title=${strings.send} ?disabled=${!state.canSend}>
            ${iconSend}
          </button>`
      }
    </form>
    <div class="composer-meta">
      <span id="composer-hint" part="composer-hint" class="hint ${state.over ? "over" : ""}" role="status">${state.hint ?? ""}</span>
      ${state.counter ? html`<span id="composer-counter" part="counter" class="counter ${state.over ? "over" : ""}">${state.counter}</span>` : nothing}
    </div>`;
}
