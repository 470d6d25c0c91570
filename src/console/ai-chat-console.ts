import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from "lit";
import { property, query, state } from "lit/decorators.js";
import type { ThreadView } from "../api.js";
import { displayLine } from "../display-text.js";
import { OperatorSessionController, rememberedName, rememberName, type ConsolePhase } from "./operator-session.js";
import { defineElement } from "../define.js";
import { AiChatConsoleSelectEvent } from "../events.js";
import { defaultConsoleStrings, format, type ConsoleStrings } from "../strings.js";
import { AiChatStream, type ChatTheme } from "../shell/ai-chat-stream.js";
import { styles } from "../styles/ai-chat-console.styles.js";
import { ClockController } from "./clock.js";
import { LocaleController } from "../locale.js";
import {
  listFilters,
  loadMoreButton,
  sidebarHeader,
  shownThreads,
  observedChat,
  signInForm,
  threadList,
  type ThreadFilter,
  visitorDetails,
} from "./console-templates.js";
import { relativeAge } from "./relative-age.js";
import { ConsoleHandoffController } from "./handoff.js";
import { handoffBar } from "./handoff-bar.js";
import { ThreadSearchController } from "./thread-search.js";
import { WaitingAnnouncer } from "./announce-waiting.js";
import { ThreadActionsController } from "./thread-actions.js";
import { RovingFocusController } from "./roving-focus.js";

export { consoleStorageKey, type ConsolePhase } from "./operator-session.js";

const AGE_TICK_MS = 30_000;
const DEFAULT_PAGE_SIZE = 50;

/**
 * The operator console: every conversation of a deployment, live, with one of them open in a
 * read-only `<ai-chat-stream mode="observe">` beside the list (below it on narrow screens).
 *
 * The operator types the deployment's operator secret and a display name into the element's
 * sign-in form. The secret goes to `operator:signIn` once and is dropped: the console keeps only
 * the operator session token it returns (expiring, revoked on sign-out), in a private field,
 * and passes that, never the secret, to the embedded chat. "Remember for this tab" keeps the
 * session token in `sessionStorage` (this tab only, cleared when the tab closes or on sign-out).
 *
 * The list is `operator:listThreads`, one live subscription per loaded page: threads with a
 * reply streaming come first, then newest activity; new threads appear at the top as they start.
 *
 * @tagname ai-chat-console
 * @summary Operator console: live list of all conversations, each observable.
 *
 * @fires {AiChatConsoleSelectEvent} ai-chat-console-select - The operator opened a thread; `event.threadId`.
 *
 * @csspart sign-in - The sign-in form.
 * @csspart name-input - The operator's display name field (carried by the session).
 * @csspart secret-input - The operator secret (password) field.
 * @csspart usage - Today's model tokens against the daily budget, in the header.
 * @csspart operator - "Signed in as …" with the name given at sign-in, in the header.
 * @csspart sign-in-button - The Sign in button.
 * @csspart form-error - The sign-in error message (wrong secret).
 * @csspart sidebar - The thread list column (header, list, Load more).
 * @csspart header - The sidebar's title bar.
 * @csspart sign-out-button - The Sign out button.
 * @csspart list - The list of threads.
 * @csspart thread - Each thread's button (also `selected` on the open one).
 * @csspart selected - The open thread's button.
 * @csspart status - A thread's status badge (also `streaming`, `idle` or `error`).
 * @csspart load-more-button - The Load more button.
 * @csspart viewer - The column holding the observed conversation.
 * @csspart chat - The embedded `<ai-chat-stream mode="observe">`.
 * @csspart chat-panel - The embedded chat's `panel` part (forwarded with `exportparts`).
 * @csspart chat-header - The embedded chat's `header` part: its title bar.
 * @csspart chat-messages - The embedded chat's `messages` part: the scrolling transcript.
 * @csspart chat-message - The embedded chat's `message` part: every message row.
 * @csspart chat-user - The embedded chat's `user` part: a visitor message.
 * @csspart chat-assistant - The embedded chat's `assistant` part: a model reply.
 * @csspart chat-operator - The embedded chat's `operator` part: an operator's message.
 * @csspart filter - Which threads the list shows: all, live, needs a person, held by me, failed.
 * @csspart search - Narrows the list to threads whose title or messages contain the words typed.
 * @csspart preview - A thread row's newest message, on one line.
 * @csspart message-count - A thread row's number of messages.
 * @csspart origin - A thread row's page host, where the visitor started it.
 * @csspart needs-human - A thread row whose visitor asked for a person (listed first; also `thread`).
 * @csspart waiting-badge - In the header: how many visitors wait for a person.
 * @csspart handoff - The bar above the open thread: who answers, and the handoff buttons.
 * @csspart take-over-button - Take over the open thread from the AI (or, forced, from another operator).
 * @csspart hand-back-button - Hand the open thread back to the AI.
 * @csspart handoff-error - Why a takeover, reply or hand-back was refused.
 * @csspart reply-form - The operator's reply form, shown while they hold the thread.
 * @csspart reply-input - The operator's reply field.
 * @csspart reply-button - Sends the operator's reply.
 * @csspart thread-actions - The open thread's buttons: back, export, share, delete.
 * @csspart back-button - Back from the thread to the list (phones, ≤ 600 px wide).
 * @csspart export-button - Downloads the thread's transcript as Markdown.
 * @csspart share-button - Mints an observer link to the thread (with `observe-url`).
 * @csspart share-link - The observer link, selected for copying.
 * @csspart delete-button - Deletes the conversation, after `delete-confirm-button`.
 * @csspart delete-confirm-button - Confirms the deletion.
 * @csspart action-error - Why an export, share or deletion failed.
 * @csspart visitor-info - Who the open thread's visitor is: name, email, ID, other fields, page, language, first seen.
 * @csspart visitor-verified - The mark on an identity the site signed (docs/visitor-identity.md).
 * @csspart visitor-unverified - The mark on an identity the host page gave without its server's signature.
 *
 * @cssproperty [--ai-chat-console-height=640px] - Height of the console.
 * @cssproperty [--ai-chat-console-list-width=320px] - Width of the thread list beside the conversation.
 * @cssproperty [--ai-chat-font=system-ui, -apple-system, "Segoe UI", Roboto, sans-serif] - Font family (shared with `<ai-chat-stream>`).
 * @cssproperty [--ai-chat-font-size=15px] - Base font size.
 * @cssproperty [--ai-chat-accent=#4f46e5] - Accent: the selected thread, buttons, the live badge (dark: #818cf8).
 * @cssproperty [--ai-chat-accent-text=#ffffff] - Text on the accent colour (dark: #0b0b1a).
 * @cssproperty [--ai-chat-bg=#ffffff] - Background (dark: #17181c).
 * @cssproperty [--ai-chat-text=#1f2328] - Text colour (dark: #e8e9ed).
 * @cssproperty [--ai-chat-muted=#59636e] - Secondary text: ages, hints (dark: #a2a8b3).
 * @cssproperty [--ai-chat-border=#e3e5e8] - Borders and dividers (dark: #2d3038).
 * @cssproperty [--ai-chat-assistant-bg=#f3f4f6] - Hovered rows and the idle badge (dark: #23252b).
 * @cssproperty [--ai-chat-error=#b42318] - Sign-in error and the error badge (dark: #ffb4ab).
 * @cssproperty [--ai-chat-radius=16px] - Corner radius.
 */
export class AiChatConsole extends LitElement {
  static override styles = styles;

  /**
   * Registers the element under `tag` (default `ai-chat-console`), and `<ai-chat-stream>`, which
   * it embeds. Safe to call more than once; a second name gets a subclass, since one class can
   * back only one tag.
   */
  static define(tag = "ai-chat-console", registry: CustomElementRegistry = customElements): typeof AiChatConsole {
    AiChatStream.define("ai-chat-stream", registry);
    return defineElement(this, tag, registry);
  }

  /** Deployment URL (required), e.g. `https://happy-otter-123.convex.cloud` or `http://127.0.0.1:3210`. */
  @property({ attribute: "convex-url" }) convexUrl = "";

  /** The open thread's ID. Reflected; set by the element when the operator picks a thread, or set it to open one. */
  @property({ reflect: true }) thread: string | null = null;

  /** Where the app exposes the chat's functions: one module (`aiChat:`) or a folder (`aiChat/`); see `<ai-chat-stream functions-path>`. */
  @property({ attribute: "functions-path" }) functionsPath = "";

  /** HTTP actions URL for `POST /operator/sign-in`, as `<ai-chat-stream site-url>` (derived from `convex-url` when empty). */
  @property({ attribute: "site-url" }) siteUrl = "";

  /** Threads per page of the list (1–100); "Load more" fetches the next page. */
  @property({ attribute: "page-size", type: Number }) pageSize = DEFAULT_PAGE_SIZE;

  /** `auto` (follows the system), `light` or `dark`; passed on to the embedded chat. */
  @property({ reflect: true }) theme: ChatTheme = "auto";

  /** Overrides for any user-visible text (keys and defaults: `defaultConsoleStrings`). */
  @property({ attribute: false }) strings: Partial<ConsoleStrings> = {};

  /** `signed-out`, `verifying` (checking a secret) or `signed-in`. Reflected for styling; set by the element. */
  @property({ reflect: true }) phase: ConsolePhase = "signed-out";

  /**
   * A page showing one thread read-only (`<ai-chat-stream mode="observe">`, like the demo's
   * observe.html): with it, `share-button` mints a link there, `#thread=…&token=…`.
   */
  @property({ attribute: "observe-url" }) observeUrl = "";

  /**
   * Plays a short tone when a thread newly needs a person (Web Audio, no file). Off by default;
   * silent until the page has had a user gesture (browsers refuse sound before one).
   */
  @property({ type: Boolean }) sound = false;

  /** The name the operator signed in with, shown in the header ("" when none was given). */
  @state() private _operatorName = "";

  /** Which threads the list shows (part `filter`). */
  @state() private _filter: ThreadFilter = "all";
  /** The search typed (part `search`), trimmed. */
  @state() private _search = "";

  @query("input[type=password]") private _secretInput?: HTMLInputElement;

  /** Ages ("5 minutes ago") tick while the list is shown. */
  private readonly _clock = new ClockController(this, AGE_TICK_MS, () => this.phase === "signed-in");
  /** Ages and dates follow the closest `[lang]`. */
  private readonly _locale = new LocaleController(this);

  /** Sign-in, the operator session token and the deployment it belongs to; it holds the thread list. */
  readonly #session = new OperatorSessionController(this, {
    pageSize: () => Math.min(100, Math.max(1, Math.floor(this.pageSize) || DEFAULT_PAGE_SIZE)),
    strings: () => this.effectiveStrings,
    focusSecret: () => void this.updateComplete.then(() => this._secretInput?.focus()),
    onEnded: () => {
      this.thread = null;
      this.#rows.reset();
    },
  });
  private readonly _list = this.#session.list;
  /** Who answers the open thread, the threads waiting for a person, and the operator's actions. */
  readonly #handoff = new ConsoleHandoffController(this);
  /** Threads the deployment finds by title or message text for the search typed. */
  readonly #search = new ThreadSearchController(this);
  /** The open thread's export, share and delete. */
  readonly #actions = new ThreadActionsController(this, {
    target: () => {
      const client = this.#session.client;
      return client && this.thread ? { client, token: this.#session.token, threadId: this.thread } : null;
    },
    title: (id) => displayLine(this.threads.find((t) => t._id === id)?.title ?? "") || this.effectiveStrings.untitled,
    back: () => this._back(),
  });
  /** New requests for a person: the document title, and the tone with `sound`. */
  readonly #announcer = new WaitingAnnouncer();
  /** The list's roving tabindex. */
  readonly #rows = new RovingFocusController(this);

  /** The merged strings in effect. */
  get effectiveStrings(): ConsoleStrings {
    return { ...defaultConsoleStrings, ...this.strings };
  }

  /** The loaded threads, in list order: those whose visitor asked for a person first. */
  get threads(): readonly ThreadView[] {
    const waiting = this.#handoff.waiting;
    if (waiting.length === 0) return this._list.threads;
    const ids = new Set(waiting.map((t) => t._id));
    return [...waiting, ...this._list.threads.filter((t) => !ids.has(t._id))];
  }

  /** Opens a thread (as picking it in the list does). */
  open(threadId: string): void {
    this._select(threadId);
  }

  /**
   * Answers `threadId` (default: the open thread) as yourself instead of the AI; a reply being
   * written is stopped, its text kept. Resolves `false` when refused: held by another operator
   * (HELD_BY_OPERATOR, shown in the `handoff-error` part) unless `force`.
   */
  takeOver(threadId: string | null = this.thread, { force = false }: { force?: boolean } = {}): Promise<boolean> {
    return threadId ? this.#handoff.takeOver(threadId, force) : Promise.resolve(false);
  }

  /** Sends `text` to the open thread's visitor as yourself (taking the thread over if nobody holds it). */
  async reply(text: string): Promise<boolean> {
    return this.thread ? await this.#handoff.reply(this.thread, text) : false;
  }

  /** Hands `threadId` (default: the open thread) back to the AI: the next visitor message gets a reply. */
  handBack(threadId: string | null = this.thread, { force = false }: { force?: boolean } = {}): Promise<boolean> {
    return threadId ? this.#handoff.handBack(threadId, force) : Promise.resolve(false);
  }

  /**
   * Signs in with an operator secret (what the form does). Resolves `true` once the deployment
   * accepted it and the first page of threads arrived, `false` when it was refused (the form
   * then shows why). `remember` keeps it in `sessionStorage` for this tab.
   */
  async signIn(secret: string, options: { remember?: boolean; name?: string } = {}): Promise<boolean> {
    const ok = await this.#session.signIn(secret, options);
    if (ok) {
      this._operatorName = options.name?.trim() ?? "";
      // Remembered with the session, so a reloaded console still says who is signed in.
      rememberName(this.convexUrl, options.remember ? this._operatorName : "");
    }
    return ok;
  }

  /** Ends the session (revoked on the deployment, forgotten in memory and `sessionStorage`), closes the thread and shows the sign-in form. */
  signOut(): void {
    rememberName(this.convexUrl, "");
    this.#session.signOut();
  }

  // ---- lifecycle -----------------------------------------------------------------------

  protected override willUpdate(changed: PropertyValues<this>): void {
    // A session belongs to one deployment: a new URL starts signed out.
    if (changed.has("convexUrl")) this.#session.urlChanged(changed.get("convexUrl"));
    if (this.phase !== "signed-in") this._operatorName = "";
    else if (changed.has("phase") && !this._operatorName) this._operatorName = rememberedName(this.convexUrl);
    if (changed.has("pageSize")) this.#session.pageSizeChanged();
    const client = this.#session.client;
    const token = this.#session.token;
    const target = this.phase === "signed-in" && client && token ? { client, token } : null;
    this.#handoff.setTarget(target);
    this.#search.set(target, this._search);
    this.#handoff.setThread(this.thread);
    if (changed.has("thread")) this.#actions.reset();
    const waiting = this.#handoff.waiting.map((t) => t._id);
    const title = format(this.effectiveStrings.waitingCount, { count: waiting.length });
    this.#announcer.update(waiting, title, this.sound);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#announcer.update([], "", false);
  }

  // ---- events --------------------------------------------------------------------------

  /** Back to the list (phones): the thread closes and its row takes the focus. */
  private _back(): void {
    this.#rows.focusAfterRender();
    this.thread = null;
  }

  private _select(threadId: string): void {
    this.#rows.opened(threadId);
    if (threadId === this.thread) return;
    this.thread = threadId;
    this.dispatchEvent(new AiChatConsoleSelectEvent(threadId));
  }

  private _onListClick(e: Event): void {
    const button = (e.target as Element).closest?.("button[data-id]") as HTMLButtonElement | null;
    if (button) this._select(button.dataset.id!);
  }

  /** The loaded threads the filter and the search leave, in list order. */
  private _shown(waiting: ReadonlySet<string>): readonly ThreadView[] {
    return shownThreads(this.threads, this.#search.found, this._search, this._filter, waiting);
  }

  private _onListKeydown(e: KeyboardEvent): void {
    const shown = this._shown(new Set(this.#handoff.waiting.map((t) => t._id)));
    this.#rows.keydown(
      e,
      shown.map((t) => t._id),
    );
  }

  // ---- rendering -----------------------------------------------------------------------------

  override render(): TemplateResult {
    const strings = this.effectiveStrings;
    if (this.phase === "signed-in") return this._renderConsole(strings);
    return signInForm(strings, {
      verifying: this.phase === "verifying",
      error: this.#session.error,
      onSignIn: (secret, options) => void this.signIn(secret, options),
    });
  }

  private _renderConsole(strings: ConsoleStrings): TemplateResult {
    const waiting = new Set(this.#handoff.waiting.map((t) => t._id));
    const all = this.threads;
    const threads = this._shown(waiting);
    const isOpen = (t: ThreadView) => t._id === this.thread;
    const open = this.thread ? (all.find(isOpen) ?? this.#search.found?.find(isOpen)) : undefined;
    const focusId = this.#rows.tabStop(
      threads.map((t) => t._id),
      this.thread,
    );
    return html`<div class="console${this.thread ? " open" : ""}">
      <section part="sidebar" class="sidebar" aria-label=${strings.heading}>
        <header part="header" class="header">
          ${sidebarHeader(strings, {
            loaded: all.length,
            waiting: waiting.size,
            operatorName: this._operatorName,
            usage: this.#session.usage,
            locale: this._locale.value,
            onSignOut: () => this.signOut(),
          })}
          ${listFilters(strings, {
            filter: this._filter,
            onFilter: (filter) => (this._filter = filter),
            onSearch: (text) => (this._search = text),
          })}
        </header>
        ${threadList(threads, strings, {
          loaded: all.length,
          row: (t) => ({
            selected: t._id === this.thread,
            tabbable: t._id === focusId,
            waiting: waiting.has(t._id),
            age: relativeAge(t.lastMessageAt, this._clock.now, this._locale.value, strings.justNow),
            locale: this._locale.value,
          }),
          onClick: (e) => this._onListClick(e),
          onKeydown: (e) => this._onListKeydown(e),
        })}
        ${loadMoreButton(strings, this._list)}
      </section>
      <div part="viewer" class="viewer">
        ${this.thread ? this.#actions.render(strings) : nothing}
        ${this.thread ? handoffBar(this, this.#handoff, strings) : nothing}
        ${open ? visitorDetails(open, strings, this._locale.value) : nothing}
        ${observedChat(this, strings, { open, token: this.#session.token })}
      </div>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "ai-chat-console": AiChatConsole;
  }
}
