// The action row under each finished reply: copy its Markdown source, rate it up or down (with
// an optional comment), and on the last reply, generate it again. A lazy part (src/parts.ts):
// its code, styles and strings load when the first finished reply renders. It reads and calls
// the chat through the ChatView it is given; the chat only places the row it returns. It renders
// with the chat's Lit (`chat.html`), as the handoff part does: the script-tag build's part file is
// a script of its own and would otherwise carry a second copy of lit-html (3 KB gzipped).
import type { ReactiveController, TemplateResult } from "lit";
import type { MessageView, toErrorInfo } from "../api.js";
import type { ChatView } from "../chat/chat-view.js";
import { visitorMessage } from "../error-messages.js";
import type { AiChatFeedbackEvent } from "../events.js";
import english from "./strings.js";

export type Rating = "up" | "down";

/** What the part takes from the chat rather than bundling its own copy. */
export type ChatModules = {
  toErrorInfo: typeof toErrorInfo;
  AiChatFeedbackEvent: typeof AiChatFeedbackEvent;
};
type Feedback = { rating: Rating; comment?: string } | null;

/** How long the copy button says "Copied". */
const COPIED_MS = 1500;
/** A comment's length limit (the server's FEEDBACK_COMMENT_MAX_CHARS). */
const COMMENT_MAX_CHARS = 500;

const styles = `
  /* The row (and the comment box) go under the bubble, on a line of their own, in the room the
     chat kept for it (34px: the row's margin and buttons). */
  .row.assistant {
    flex-wrap: wrap;
  }
  .row.assistant[data-status]:not([data-status$="ing"]) {
    padding-bottom: 0;
  }
  .feedback-form {
    flex-basis: 100%;
  }
  .actions {
    flex-basis: 100%;
    display: flex;
    gap: 2px;
    margin: 2px 0 0 4px;
  }
  .act {
    display: inline-grid;
    place-items: center;
    inline-size: 32px;
    block-size: 32px;
    padding: 0;
    border: 0;
    border-radius: 8px;
    background: transparent;
    color: var(--_muted);
    cursor: pointer;
  }
  .act:hover,
  .act[aria-pressed="true"] {
    color: var(--_text);
    background: var(--_assistant-bg);
  }
  .act[aria-pressed="true"] {
    color: var(--_accent);
  }
  .act:disabled {
    opacity: 0.5;
    cursor: default;
  }
  .act svg {
    inline-size: 18px;
    block-size: 18px;
    fill: currentColor;
  }
  .rated {
    display: inline-flex;
    align-items: center;
    gap: 4px;
    color: var(--_muted);
    font-size: 0.875em;
  }
  .rated svg {
    inline-size: 16px;
    block-size: 16px;
    fill: currentColor;
  }
  .feedback-form {
    display: flex;
    gap: 6px;
    margin: 4px 0 0 4px;
    /* As wide as a reply's bubble can be. */
    max-inline-size: min(100%, 760px);
  }
  .feedback-form input {
    flex: 1;
    min-inline-size: 0;
    padding: 6px 10px;
    border: 1px solid var(--_border);
    border-radius: 8px;
    background: var(--_bg);
    color: var(--_text);
    font: inherit;
  }
  .feedback-form button {
    padding: 6px 12px;
    border: 1px solid var(--_border);
    border-radius: 8px;
    background: transparent;
    color: var(--_text);
    font: inherit;
    cursor: pointer;
  }
`;

/** The icons' SVG paths. */
const ICONS = {
  copy: "M16 1H4a2 2 0 0 0-2 2v14h2V3h12zm3 4H8a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h11a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2zm0 16H8V7h11z",
  copied: "M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z",
  up: "M2 21h4V9H2zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3a1.5 1.5 0 0 0-.4-1L13.2 1 6.6 7.6A2 2 0 0 0 6 9v10a2 2 0 0 0 2 2h9a2 2 0 0 0 1.8-1.2l3-7.1A2 2 0 0 0 22 12z",
  down: "M22 3h-4v12h4zM2 14a2 2 0 0 0 2 2h6.3l-1 4.6v.3a1.5 1.5 0 0 0 .4 1l1.1 1.1 6.6-6.6A2 2 0 0 0 18 15V5a2 2 0 0 0-2-2H7a2 2 0 0 0-1.8 1.2l-3 7.1A2 2 0 0 0 2 12z",
  regenerate: "M17.7 6.3A8 8 0 1 0 19.7 14h-2.1a6 6 0 1 1-1.4-6.2L13 11h7V4z",
};

export class MessageActions implements ReactiveController {
  /** Ratings given here, until the reply's view from the server carries them (or after it left the live end). */
  private readonly _given = new Map<string, Feedback>();
  /** The reply whose comment box is open. */
  private _commenting: string | null = null;
  /** The reply whose copy button says "Copied", and the timer that restores it. */
  private _copied: string | null = null;
  private _copiedTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly _chat: ChatView,
    /**
     * The chat's own: importing them would bundle a second Convex client into the script-tag part,
     * and event classes other than the ones the page's `instanceof` knows (the loader's).
     */
    private readonly _chatModules: ChatModules,
  ) {
    const host = _chat.host;
    host.addController(this);
    // A constructable style sheet: allowed by a strict CSP (no inline <style>), as Lit's own are.
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(styles);
    const root = host.renderRoot as ShadowRoot;
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
  }

  hostDisconnected(): void {
    clearTimeout(this._copiedTimer);
    this._copied = null;
  }

  private _text(key: keyof typeof english): string {
    return (this._chat.host.effectiveStrings as Partial<typeof english>)[key] ?? english[key];
  }

  private _icon(name: keyof typeof ICONS): TemplateResult {
    const html = this._chat.html;
    return html`<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d=${ICONS[name]}></path></svg>`;
  }

  /**
   * The row under reply `m` (its shown text `text`): nothing while it is unfinished or failed
   * without text. Where it renders nothing, a child expression's `undefined` is Lit's `nothing`.
   */
  row(m: MessageView, text: string, last: boolean): TemplateResult | undefined {
    const chat = this._chat;
    const html = chat.html;
    const strings = chat.host.effectiveStrings;
    const failed = m.status === "error" || m.status === "timeout";
    if (m.status === "pending" || m.status === "streaming" || (failed && !text)) return;
    const copied = this._copied === m._id;
    const copyLabel = copied ? strings.copied : strings.copy;
    const copy = html`<button type="button" part="copy-button" class="act" aria-label=${copyLabel} title=${copyLabel} @click=${() => this._copy(m._id, text)}>
      ${this._icon(copied ? "copied" : "copy")}
    </button>`;
    // A viewer (mode="observe", the console) may copy, and reads the rating and whether the reply
    // was generated again (operators are sent the replies visitors no longer see).
    if (chat.host.mode !== "chat") {
      const feedback = m.feedback;
      return html`<div class="actions" role="group" aria-label=${this._text("replyActions")}>
        ${copy}
        ${
          feedback
            ? html`<span part="feedback-rating" class="rated" data-rating=${feedback.rating}>
                ${this._icon(feedback.rating)}<span>${this._text(feedback.rating === "up" ? "ratedUp" : "ratedDown")}${feedback.comment ? html`: <q>${feedback.comment}</q>` : undefined}</span>
              </span>`
            : undefined
        }
        ${m.supersededBy ? html`<span part="replaced" class="rated">${this._text("replaced")}</span>` : undefined}
      </div>`;
    }
    const rating = this._feedback(m)?.rating;
    const thumb = (value: Rating, part: string, label: string) =>
      html`<button type="button" part=${part} class="act" aria-pressed=${rating === value ? "true" : "false"} aria-label=${label} title=${label} @click=${() => this._onThumb(m._id, value, rating)}>
        ${this._icon(value)}
      </button>`;
    // The last reply, finished: generated again with the same prompt (one that failed or was
    // stopped has Retry on its note).
    const regenerate =
      last && m.status === "done"
        ? html`<button type="button" part="regenerate-button" class="act" aria-label=${this._text("regenerate")} title=${this._text("regenerate")} ?disabled=${chat.sending || chat.streaming} @click=${() => void this.regenerate()}>
          ${this._icon("regenerate")}
        </button>`
        : undefined;
    return html`<div class="actions" role="group" aria-label=${this._text("replyActions")}>
        ${copy}${thumb("up", "feedback-up", this._text("rateUp"))}${thumb("down", "feedback-down", this._text("rateDown"))}${regenerate}
      </div>
      ${this._commenting === m._id && rating ? this._commentForm(m._id, rating) : undefined}`;
  }

  private _commentForm(messageId: string, rating: Rating): TemplateResult {
    const label = this._text("feedbackComment");
    const submit = (e: Event) => {
      e.preventDefault();
      const input = (e.currentTarget as HTMLFormElement).elements.namedItem("comment") as HTMLInputElement;
      void this.rate(messageId, rating, input.value);
    };
    const escape = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      e.stopPropagation();
      this._closeComment(messageId);
    };
    const html = this._chat.html;
    return html`<form part="feedback-form" class="feedback-form" @submit=${submit} @keydown=${escape}>
      <input part="feedback-comment" name="comment" maxlength=${COMMENT_MAX_CHARS} aria-label=${label} placeholder=${label} autocomplete="off" />
      <button type="submit" part="feedback-send">${this._text("sendFeedback")}</button>
    </form>`;
  }

  /** A reply's rating: the one given here, else the one its view carries. */
  private _feedback(m: MessageView): Feedback {
    return this._given.has(m._id) ? this._given.get(m._id)! : (m.feedback ?? null);
  }

  private _onThumb(messageId: string, value: Rating, current: Rating | undefined): void {
    // Pressing the pressed thumb takes the rating back.
    if (current === value) void this._store(messageId, null);
    else void this.rate(messageId, value).then((ok) => ok && this._openComment(messageId));
  }

  private _openComment(messageId: string): void {
    this._commenting = messageId;
    const host = this._chat.host;
    host.requestUpdate();
    void host.updateComplete.then(() =>
      host.renderRoot.querySelector<HTMLInputElement>("[part=feedback-comment]")?.focus(),
    );
  }

  private _closeComment(messageId: string): void {
    if (this._commenting !== messageId) return;
    this._commenting = null;
    const host = this._chat.host;
    host.requestUpdate();
    void host.updateComplete.then(() =>
      host.renderRoot
        .querySelector<HTMLElement>("[part=feedback-up][aria-pressed=true], [part=feedback-down][aria-pressed=true]")
        ?.focus(),
    );
  }

  /**
   * Rates reply `messageId` of the thread shown (`rating`, and an optional `comment`), replacing an
   * earlier rating, and fires `ai-chat-feedback`. Resolves true once stored; a failure fires
   * `ai-chat-error` and resolves false.
   */
  async rate(messageId: string, rating: Rating, comment?: string): Promise<boolean> {
    const trimmed = comment?.trim();
    const stored = await this._store(messageId, trimmed ? { rating, comment: trimmed } : { rating });
    if (stored && trimmed !== undefined) this._closeComment(messageId);
    return stored;
  }

  private async _store(messageId: string, feedback: Feedback): Promise<boolean> {
    const chat = this._chat;
    const host = chat.host;
    const client = chat.client;
    const threadId = host.thread;
    if (!client || !threadId || host.mode !== "chat") return false;
    try {
      await client.mutation(chat.api.feedback.rate, {
        threadId,
        ...chat.session.tokenArg,
        messageId,
        rating: feedback?.rating ?? null,
        ...(feedback?.comment ? { comment: feedback.comment } : {}),
      });
    } catch (err) {
      const info = this._chatModules.toErrorInfo(err, "feedback:rate failed.");
      if (info.code === "RATE_LIMITED") chat.rateLimit.start(info.retryAfterMs);
      else chat.announcer.announce(visitorMessage(info, host.effectiveStrings));
      // The console and `ai-chat-error`, as the chat reports its own failures.
      chat._report(info);
      return false;
    }
    this._given.set(messageId, feedback);
    if (!feedback) this._commenting = null;
    chat.announcer.announce(this._text("feedbackThanks"));
    host.dispatchEvent(
      new this._chatModules.AiChatFeedbackEvent(
        threadId,
        messageId,
        feedback?.rating ?? null,
        feedback?.comment ?? null,
      ),
    );
    host.requestUpdate();
    return true;
  }

  /**
   * Generates the thread's last reply again, answering the same prompt: the new reply replaces it
   * in the transcript (the server keeps the old one for operators). Nothing while a reply is on its way.
   */
  async regenerate(): Promise<void> {
    const chat = this._chat;
    const last = chat.conversation.messages?.at(-1);
    if (chat.host.mode !== "chat" || chat.sending || chat.streaming || last?.role !== "assistant") return;
    chat.onRegenerate(last._id);
  }

  private _copy(messageId: string, text: string): void {
    const chat = this._chat;
    void navigator.clipboard?.writeText(text).then(
      () => {
        this._copied = messageId;
        chat.announcer.announce(chat.host.effectiveStrings.copied);
        clearTimeout(this._copiedTimer);
        this._copiedTimer = setTimeout(() => {
          this._copied = null;
          chat.host.requestUpdate();
        }, COPIED_MS);
        chat.host.requestUpdate();
      },
      () => {},
    );
  }
}
