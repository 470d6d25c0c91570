// The open thread's handoff bar in <ai-chat-console>: who answers, the button that changes it, and
// the reply form while the operator holds the thread. The state is ConsoleHandoffController's
// (handoff.ts); the actions are the console's public methods, so script and buttons do the same.
import { html, nothing, type TemplateResult } from "lit";
import { format, type ConsoleStrings } from "../strings.js";
import type { ConsoleHandoffController } from "./handoff.js";

/** What the bar calls on the console: its open thread and its handoff methods. */
export interface HandoffBarHost {
  readonly thread: string | null;
  takeOver(threadId: string | null, options: { force?: boolean }): Promise<boolean>;
  handBack(): Promise<boolean>;
  reply(text: string): Promise<boolean>;
}

export function handoffBar(
  host: HandoffBarHost,
  handoff: ConsoleHandoffController,
  strings: ConsoleStrings,
): TemplateResult | typeof nothing {
  const state = handoff.state;
  if (!state) return nothing;
  const mine = state.heldByMe;
  const who =
    state.heldBy === null
      ? strings.aiAnswering
      : mine
        ? strings.heldByYou
        : format(strings.heldBy, { name: state.heldBy });
  const error = handoff.error;
  const onReply = (e: Event): void => {
    e.preventDefault();
    const input = (e.target as HTMLFormElement).querySelector("textarea")!;
    const text = input.value;
    if (!text.trim()) return;
    void host.reply(text).then((ok) => {
      if (ok && input.value === text) input.value = "";
    });
  };
  const onReplyKeydown = (e: KeyboardEvent): void => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      (e.target as HTMLTextAreaElement).form?.requestSubmit();
    }
  };
  return html`<div part="handoff" class="handoff">
    <div class="handoff-row">
      <span class="who" role="status">${who}</span>
      ${handoff.visitorTyping ? html`<span class="hint small">${strings.visitorTyping}</span>` : nothing}
      <span class="spacer"></span>
      ${
        mine
          ? html`<button part="hand-back-button" class="secondary" type="button" ?disabled=${handoff.busy} @click=${() => void host.handBack()}>${strings.handBack}</button>`
          : html`<button part="take-over-button" class="primary" type="button" ?disabled=${handoff.busy} @click=${() => void host.takeOver(host.thread, { force: state.heldBy !== null })}>
            ${state.heldBy === null ? strings.takeOver : format(strings.takeOverForce, { name: state.heldBy })}
          </button>`
      }
    </div>
    ${error ? html`<p part="handoff-error" class="form-error" role="alert">${error.message}</p>` : nothing}
    ${
      mine
        ? html`<form part="reply-form" class="reply" @submit=${onReply}>
          <textarea
            part="reply-input"
            rows="2"
            aria-label=${strings.replyLabel}
            placeholder=${strings.replyLabel}
            @keydown=${onReplyKeydown}
            @input=${() => host.thread && handoff.typing(host.thread)}
          ></textarea>
          <button part="reply-button" class="primary" type="submit" ?disabled=${handoff.busy}>${strings.replySend}</button>
        </form>`
        : nothing
    }
  </div>`;
}
