// The visitor's past conversations (part `history`, loaded at the first click on the history
// button): a live list of the threads of the visitor's own token, newest activity first, from
// `threads:listMine` (which answers from the token or the signed-in identity only: a thread id
// grants nothing). "Show more" asks for 20 more, up to the query's 100. Each row opens its
// thread or, after a confirmation in place, deletes it (`threads:remove`). Escape or Close
// closes the list and gives the focus back to the history button; opening and deleting are
// announced. Templates take Lit's `html` from the chat, so this part carries no Lit of its own.
import type { ReactiveController, TemplateResult, html as litHtml } from "lit";
import { api, type ThreadView } from "../api.js";
import type { ChatView } from "../chat/chat-view.js";
import type { ChatClient } from "../convex-pool.js";
import english from "./strings.js";

type Html = typeof litHtml;
type Key = keyof typeof english;

/** Threads asked for at first, and added by each "Show more": `threads:listMine` returns at most 100. */
const PAGE = 20;
const MAX = 100;

const controllers = new WeakMap<ChatView, HistoryController>();

/** The open list's template (the chat renders it while `onDemand.historyOpen`). */
export function render(chat: ChatView, html: Html): TemplateResult {
  let c = controllers.get(chat);
  if (!c) controllers.set(chat, (c = new HistoryController(chat)));
  return c.render(html);
}

class HistoryController implements ReactiveController {
  private _threads: ThreadView[] | null = null;
  private _limit = PAGE;
  private _confirming: string | null = null;
  private _stop: (() => void) | null = null;
  private _key = "";
  private _focus = true;

  constructor(private readonly _chat: ChatView) {
    _chat.host.addController(this);
    const root = _chat.host.renderRoot as ShadowRoot;
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, styles];
  }

  private _t(key: Key): string {
    return (this._chat.host.effectiveStrings as Partial<Record<Key, string>>)[key] ?? english[key];
  }

  /** The deployment's client, once connected. */
  private get _client(): ChatClient | null {
    return this._chat.client;
  }

  /** Subscribes while the list is open, to the token's threads; unsubscribes once it is closed. */
  hostUpdated(): void {
    const open = this._chat.onDemand.historyOpen;
    const client = this._client;
    const token = this._chat.session.tokenArg.token;
    const key = open && client && token ? `${token}:${this._limit}` : "";
    if (open && this._focus) {
      this._focus = false;
      this._root()?.querySelector<HTMLElement>(".history-list button, .history-close")?.focus();
    }
    if (!open) this._focus = true;
    if (key === this._key) return;
    this._stop?.();
    this._stop = null;
    this._key = key;
    if (!key || !client || !token) {
      if (!open) this._confirming = null;
      return;
    }
    this._stop = client.onUpdate(
      api.threads.listMine,
      { token, limit: this._limit },
      (threads) => {
        if (key !== this._key) return;
        this._threads = threads;
        this._chat.host.requestUpdate();
      },
      () => {
        // A token the deployment no longer knows has no list: show it empty rather than stuck.
        this._threads = [];
        this._chat.host.requestUpdate();
      },
    );
  }

  hostDisconnected(): void {
    this._stop?.();
    this._stop = null;
    this._key = "";
  }

  private _root(): ParentNode | null {
    return this._chat.host.renderRoot.querySelector(".history");
  }

  private readonly _close = (): void => {
    this._chat.onDemand.historyOpen = false;
    this._confirming = null;
    this._chat.host.requestUpdate();
    void this._chat.host.updateComplete.then(() =>
      this._chat.host.renderRoot.querySelector<HTMLElement>("[part=history-button]")?.focus(),
    );
  };

  private readonly _onKeydown = (e: KeyboardEvent): void => {
    if (e.key !== "Escape") return;
    // The launcher's panel closes on Escape too: this one closes first.
    e.stopPropagation();
    e.preventDefault();
    if (this._confirming) {
      this._confirming = null;
      this._chat.host.requestUpdate();
    } else this._close();
  };

  private _open(thread: ThreadView): void {
    const chat = this._chat;
    chat.onDemand.historyOpen = false;
    this._confirming = null;
    if (chat.host.thread !== thread._id) chat.host.thread = thread._id;
    chat.announcer.announce(this._t("historyOpened"));
    chat.host.requestUpdate();
    chat.focusInput();
  }

  private async _delete(thread: ThreadView): Promise<void> {
    const chat = this._chat;
    const client = this._client;
    const token = chat.session.tokenArg.token;
    if (!client || !token) return;
    this._confirming = null;
    await client.mutation(api.threads.remove, { threadId: thread._id, token }).then(
      () => {
        if (chat.host.thread === thread._id) chat.newConversation();
        chat.announcer.announce(this._t("historyDeleted"));
      },
      () => {},
    );
    chat.host.requestUpdate();
    void chat.host.updateComplete.then(() => (this._root()?.querySelector(".history-close") as HTMLElement)?.focus());
  }

  render(html: Html): TemplateResult {
    const threads = this._threads;
    const lang = document.documentElement.lang || undefined;
    const when = (at: number) =>
      new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" }).format(new Date(at));
    const row = (t: ThreadView): TemplateResult => {
      const title = t.title || this._t("historyUntitled");
      const current = t._id === this._chat.host.thread;
      if (this._confirming === t._id) {
        return html`<li part="history-item" class="history-item confirming">
          <span class="history-question" id="confirm-${t._id}">${this._t("historyConfirm")} <b>${title}</b></span>
          <span class="history-actions">
            <button type="button" class="text-button danger" aria-describedby="confirm-${t._id}" @click=${() => void this._delete(t)}>${this._t("historyDelete")}</button>
            <button type="button" class="text-button" @click=${() => ((this._confirming = null), this._chat.host.requestUpdate())}>${this._t("historyCancel")}</button>
          </span>
        </li>`;
      }
      return html`<li part="history-item" class="history-item">
        <button type="button" class="history-open" aria-current=${current ? "true" : "false"} @click=${() => this._open(t)}>
          <span class="history-title" dir="auto">${title}</span>
          <time datetime=${new Date(t.lastMessageAt).toISOString()}>${when(t.lastMessageAt)}</time>
        </button>
        <button type="button" class="text-button history-delete" aria-label="${this._t("historyDelete")}: ${title}" @click=${() => ((this._confirming = t._id), this._chat.host.requestUpdate())}>${this._t("historyDelete")}</button>
      </li>`;
    };
    return html`<div part="history" class="history" role="dialog" aria-modal="false" aria-labelledby="history-heading" @keydown=${this._onKeydown}>
      <div class="history-header">
        <h3 id="history-heading">${this._t("history")}</h3>
        <button type="button" class="text-button history-close" @click=${this._close}>${this._t("historyClose")}</button>
      </div>
      ${
        threads === null
          ? html`<p class="history-note" role="status">…</p>`
          : threads.length === 0
            ? html`<p class="history-note">${this._t("historyEmpty")}</p>`
            : html`<ul class="history-list">${threads.map(row)}</ul>`
      }
      ${
        threads && threads.length >= this._limit && this._limit < MAX
          ? html`<button type="button" class="text-button history-more" @click=${() => ((this._limit += PAGE), this._chat.host.requestUpdate())}>${this._t("historyMore")}</button>`
          : ""
      }
    </div>`;
  }
}

/** The list's layout, adopted into the element's shadow root when the part is first rendered. */
export const styles = new CSSStyleSheet();
styles.replaceSync(`
  .history { position: absolute; inset: 0; z-index: 3; display: flex; flex-direction: column; gap: 8px;
    padding: 12px 16px; background: var(--_bg); color: var(--_text); overflow-y: auto; }
  .history-header { display: flex; align-items: center; justify-content: space-between; gap: 8px; }
  .history h3 { margin: 0; font-size: 1em; }
  .history-list { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 4px; }
  .history-item { display: flex; align-items: center; gap: 8px; border-block-end: 1px solid var(--_border); padding-block: 4px; }
  .history-open { flex: 1; min-width: 0; display: flex; flex-direction: column; align-items: flex-start; gap: 2px;
    padding: 8px; border: 0; border-radius: 8px; background: none; color: inherit; font: inherit; text-align: start; cursor: pointer; }
  .history-open:hover, .history-open[aria-current="true"] { background: var(--_assistant-bg); }
  .history-title { max-width: 100%; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-weight: 600; }
  .history time, .history-note { color: var(--_muted); font-size: 0.85em; }
  .history-item.confirming { flex-wrap: wrap; padding: 8px; }
  .history-actions { display: flex; gap: 8px; }
  .history .danger { color: var(--_error); }
  @media (max-width: 480px) { .history { padding: 8px 12px; } }
`);
