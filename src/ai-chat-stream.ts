import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from "lit";
import { property, query, state } from "lit/decorators.js";
import { repeat } from "lit/directives/repeat.js";
import {
  api,
  isActive,
  toErrorInfo,
  type ChatErrorInfo,
  type ErrorCode,
  type MessageStatus,
  type MessageView,
} from "./api.js";
import type { ChatClient } from "./convex-pool.js";
import { AnnouncerController } from "./controllers/announcer.js";
import { ClientController } from "./controllers/client.js";
import { ConnectionController } from "./controllers/connection.js";
import { ConversationController } from "./controllers/conversation.js";
import { EarlierController } from "./controllers/earlier.js";
import { CopyCodeController } from "./controllers/copy-code.js";
import { EscapeKeyController } from "./controllers/escape-key.js";
import { ModalController } from "./controllers/modal.js";
import { RateLimitController } from "./controllers/rate-limit.js";
import { ScrollController } from "./controllers/scroll.js";
import { HumanCheckController } from "./controllers/human-check.js";
import { SessionController } from "./controllers/session.js";
import { UiStateController } from "./controllers/ui-state.js";
import { UnreadController } from "./controllers/unread.js";
import { ViewportController } from "./controllers/viewport.js";
import { composerTemplate } from "./composer.js";
import { defineElement } from "./define.js";
import { AiChatErrorEvent, AiChatSendEvent, AiChatStreamEndEvent, AiChatStreamStartEvent } from "./events.js";
import { canResend, logFailure, visitorMessage } from "./error-messages.js";
import { iconChat, iconClose, iconNew } from "./icons.js";
import { MarkdownCache } from "./markdown-cache.js";
import { deriveSiteUrl } from "./site-url.js";
import { defaultStrings, format, type ChatStrings } from "./strings.js";
import { placeCursor } from "./streaming-cursor.js";
import { settledText } from "./streaming-text.js";
import { emptyState, replyRow, thinkingRow, userRow, type ReplyEnd } from "./transcript.js";
import { styles } from "./ai-chat-stream.styles.js";

export { deriveSiteUrl } from "./site-url.js";

export type ChatStatus = "idle" | "sending" | "streaming" | "error";
export type ChatMode = "chat" | "observe";
export type ChatTheme = "auto" | "light" | "dark";

/**
 * A chat with an AI model that streams replies live, backed by a Convex deployment. Drop it
 * on a page with a `convex-url`; it keeps the visitor's conversation across reloads, follows
 * replies being generated anywhere (another tab, an operator, an observer link) and renders
 * Markdown safely.
 *
 * @tagname ai-chat-stream
 * @summary Embeddable streaming AI chat backed by Convex.
 *
 * @fires {AiChatSendEvent} ai-chat-send - Before a prompt is sent; `event.prompt`. Cancelable: `preventDefault()` keeps it from being sent.
 * @fires {AiChatStreamStartEvent} ai-chat-stream-start - A reply started showing; `{ threadId, streamId, driven }` (`driven`: streamed over HTTP by this element rather than followed).
 * @fires {AiChatStreamEndEvent} ai-chat-stream-end - A reply reached a final status; `{ threadId, streamId, status, text }` with the persisted text.
 * @fires {AiChatErrorEvent} ai-chat-error - Something failed; `{ code, message }`: a contract error code (or `NETWORK`, `OFFLINE`, `REPLY_FAILED`, `REPLY_TIMEOUT`) and the developer-facing detail. The visitor sees a sentence from `strings` instead.
 *
 * @csspart panel - The box holding header, messages and composer (the floating panel in launcher mode).
 * @csspart header - The title bar.
 * @csspart messages - The scrolling transcript.
 * @csspart load-earlier - The "Earlier messages" button at the top of a long transcript (scrolling up to it loads the page before).
 * @csspart message - Every message row (also `user` or `assistant`).
 * @csspart user - A message the visitor sent.
 * @csspart assistant - A reply from the model.
 * @csspart composer - The form with the textbox and buttons.
 * @csspart input - The message textbox.
 * @csspart send-button - The Send button.
 * @csspart stop-button - The Stop button shown while a reply streams.
 * @csspart reply-error - The marker on a reply that failed or was cut off (with its Retry button).
 * @csspart retry-button - Retry on a failed reply: generates it again in place.
 * @csspart new-messages - The "New messages" button shown when a reply grows below a reader who scrolled up.
 * @csspart counter - The character counter near the prompt limit.
 * @csspart composer-hint - Why the text is not sent now (over the limit, a reply still being written).
 * @csspart ai-note - The empty state's note that replies come from an AI.
 * @csspart new-conversation - The "New chat" button.
 * @csspart launcher - The floating button that opens the panel (`launcher` only).
 * @csspart unread - The unread-reply count on the launcher.
 * @csspart unread-preview - The start of the newest unread reply, beside the launcher.
 * @csspart human-check - The box Cloudflare Turnstile's check renders into at a new visitor's first send (`turnstile-site-key` only).
 *
 * @cssproperty [--ai-chat-font=system-ui, -apple-system, "Segoe UI", Roboto, sans-serif] - Font family.
 * @cssproperty [--ai-chat-font-size=15px] - Base font size.
 * @cssproperty [--ai-chat-accent=#4f46e5] - Accent: send button, launcher, links, the visitor's bubbles (dark: #818cf8).
 * @cssproperty [--ai-chat-accent-text=#ffffff] - Text on the accent colour (dark: #0b0b1a).
 * @cssproperty [--ai-chat-bg=#ffffff] - Panel background (dark: #17181c).
 * @cssproperty [--ai-chat-text=#1f2328] - Text colour (dark: #e8e9ed).
 * @cssproperty [--ai-chat-muted=#59636e] - Secondary text (dark: #a2a8b3).
 * @cssproperty [--ai-chat-border=#e3e5e8] - Borders and dividers (dark: #2d3038).
 * @cssproperty [--ai-chat-assistant-bg=#f3f4f6] - Reply bubble background (dark: #23252b).
 * @cssproperty [--ai-chat-code-bg=#0f1117] - Code block background (dark: #0b0c10).
 * @cssproperty [--ai-chat-error=#b42318] - Error banner text and border (dark: #ffb4ab).
 * @cssproperty [--ai-chat-radius=16px] - Corner radius of bubbles and the panel.
 * @cssproperty [--ai-chat-shadow=0 12px 40px rgb(15 17 23 / 18%)] - Shadow of the floating panel and launcher.
 * @cssproperty [--ai-chat-height=560px] - Height of the element (inline) or of the floating panel.
 * @cssproperty [--ai-chat-z-index=2147483000] - Stacking order of the launcher and its panel.
 */
export class AiChatStream extends LitElement {
  static override styles = styles;

  /**
   * Registers the element under `tag` (default `ai-chat-stream`). Safe to call more than once;
   * a second name gets a subclass, since one class can back only one tag.
   */
  static define(tag = "ai-chat-stream", registry: CustomElementRegistry = customElements): typeof AiChatStream {
    return defineElement(this, tag, registry);
  }

  /** Deployment URL (required), e.g. `https://happy-otter-123.convex.cloud` or `http://127.0.0.1:3210`. */
  @property({ attribute: "convex-url" }) convexUrl = "";

  /** HTTP actions URL for `POST /chat-stream`. Derived from `convex-url` when empty (`.convex.site`, or local port + 1). */
  @property({ attribute: "site-url" }) siteUrl = "";

  /** Cloudflare Turnstile site key. When set, a new visitor's first send shows Turnstile's check (its script loads only then) before the deployment mints their token; needs `TURNSTILE_SECRET_KEY` on the deployment. */
  @property({ attribute: "turnstile-site-key" }) turnstileSiteKey = "";

  /** The conversation shown. Set by the element once one exists (and restored after a reload); set it to show another. */
  @property({ reflect: true }) thread: string | null = null;

  /** `chat` (default) to converse, `observe` for a read-only live view of `thread`. */
  @property() mode: ChatMode = "chat";

  /** A read-only token for one thread (from `shareToken()`); used with `mode="observe"`. */
  @property({ attribute: "observer-token" }) observerToken = "";

  /** Shows a floating button that opens the chat in a panel, for script-tag embeds. */
  @property({ type: Boolean, reflect: true }) launcher = false;

  /** Whether the launcher panel is open. Restored after a reload in the same tab. */
  @property({ type: Boolean, reflect: true }) open = false;

  /** Title in the header. Default: `strings.heading`. */
  @property() heading = "";

  /** First line of the empty state. Default: `strings.greeting`. */
  @property() greeting = "";

  /** The empty state's note that replies come from an AI. Default: `strings.aiNote`; `ai-note=""` keeps the default, `ai-note="-"` hides it. */
  @property({ attribute: "ai-note" }) aiNote = "";

  /** Placeholder of the message box. Default: `strings.placeholder`. */
  @property() placeholder = "";

  /** Space-separated image hosts whose Markdown images may load, or `*`. Default: none (images show as links). */
  @property({ attribute: "allow-images" }) allowImages = "";

  /** `auto` (follows the system), `light` or `dark`. */
  @property({ reflect: true }) theme: ChatTheme = "auto";

  /** Overrides for any user-visible text (see `strings.ts` for keys and defaults). */
  @property({ attribute: false }) strings: Partial<ChatStrings> = {};

  /** `idle`, `sending`, `streaming` or `error`. Reflected for styling; set by the element. */
  @property({ reflect: true }) status: ChatStatus = "idle";

  /** A send that failed: its code, and the text to send again when that may work. */
  @state() private _error: { code: ErrorCode; retryPrompt: string | null } | null = null;
  /** Enter was pressed while a reply was being written. */
  @state() private _waitAsked = false;

  @query("textarea") private _textarea?: HTMLTextAreaElement;
  @query("[part=launcher]") private _launcherButton?: HTMLButtonElement;

  private readonly _deployment = new ClientController(
    this,
    {
      onClient: (client, url) => this._onClient(client, url),
      onError: (err, url) => this._fail(toErrorInfo(err, `convex-url is not a deployment URL: ${url}`), null),
    },
    {
      // Connection wanted: while the chat is on screen, or a reply the visitor waits for is on its
      // way (so a launcher closed meanwhile can tell them it finished); released once idle after.
      // A closed launcher the visitor has not opened thus opens no socket and calls no function.
      wanted: () => this._visible || this._sending || this._streaming,
    },
  );

  private readonly _conversation = new ConversationController(this, {
    onStreamStart: (threadId, streamId, driven) => this._onStreamStart(threadId, streamId, driven),
    onStreamEnd: (threadId, streamId, status, text) => this._onStreamEnd(threadId, streamId, status, text),
    onError: (info) => this._onConversationError(info),
    onDriveRefused: (info) => this._fail(info, null),
  });

  private readonly _humanCheck = new HumanCheckController(this, {
    container: () => this.renderRoot?.querySelector<HTMLElement>("[part=human-check]") ?? null,
    strings: () => this.effectiveStrings,
  });

  private readonly _session = new SessionController(
    this,
    this._conversation,
    {
      onSendFailed: (err, prompt) => {
        const info = toErrorInfo(
          err,
          err instanceof TypeError ? "The request did not reach the server." : "The request failed.",
        );
        this._fail(info, prompt);
      },
    },
    this._humanCheck,
  );

  private readonly _connection = new ConnectionController(this);
  private readonly _rateLimit = new RateLimitController(this);
  private readonly _announcer = new AnnouncerController(this);
  private readonly _scroll = new ScrollController(this, () => this.renderRoot?.querySelector<HTMLElement>(".messages"));
  private readonly _earlier = new EarlierController(
    this,
    () => this.renderRoot?.querySelector<HTMLElement>(".messages"),
    () => this._conversation.loadEarlier(),
  );
  private readonly _copy = new CopyCodeController(this, () => this.effectiveStrings);
  private readonly _ui = new UiStateController(this);
  private readonly _unread = new UnreadController(this);
  private readonly _markdown = new MarkdownCache();

  constructor() {
    super();
    new ViewportController(this);
    new EscapeKeyController(this, {
      active: () => this.launcher && this.open,
      onEscape: () => this._close(),
    });
    new ModalController(this, {
      dialog: () => (this.launcher ? this.renderRoot?.querySelector<HTMLDialogElement>("dialog.panel") : null),
      shown: () => this.launcher && this.open,
    });
  }

  /** The merged strings in effect. */
  get effectiveStrings(): ChatStrings {
    return { ...defaultStrings, ...this.strings };
  }

  /** The HTTP actions URL in effect (`site-url`, or derived from `convex-url`). */
  get effectiveSiteUrl(): string {
    return this.siteUrl || deriveSiteUrl(this.convexUrl);
  }

  /**
   * Sends `prompt` as the visitor: creates the conversation if there is none, then streams the
   * reply. Resolves once the reply has started (or the send failed; failures also fire `ai-chat-error`).
   */
  async send(prompt: string): Promise<void> {
    if (!prompt.trim() || this.mode === "observe") return;
    const event = new AiChatSendEvent(prompt);
    this.dispatchEvent(event);
    if (event.defaultPrevented) return;
    this._error = null;
    this._rateLimit.clear();
    // Sending from script while the launcher is closed connects too.
    const client = this._deployment.client ?? this._deployment.connect();
    if (!client) {
      this._fail({ code: "NOT_CONFIGURED", message: "The element has no usable convex-url." }, prompt);
      return;
    }
    // A mutation sent while offline would wait silently for the connection: say so and keep the text.
    if (!this._connection.online) {
      this._fail(
        { code: "OFFLINE", message: "Not sent: the deployment is unreachable or the browser is offline." },
        prompt,
      );
      return;
    }
    this._scroll.jumpToLatest();
    await this._session.send(client, prompt);
  }

  /** Stops the reply in progress (the server keeps what was generated so far, status `stopped`). */
  async stop(): Promise<void> {
    const client = this._deployment.client;
    const threadId = this.thread;
    if (!client || !threadId) return;
    try {
      await client.mutation(api.messages.stop, { threadId, ...this._session.tokenArg });
    } catch (err) {
      this._fail(toErrorInfo(err, "messages:stop failed."), null);
    }
  }

  /** A read-only observer token for the current thread, for `mode="observe"` views. Rejects when there is no thread. */
  async shareToken(): Promise<string> {
    const client = this._deployment.client;
    const threadId = this.thread;
    if (!client || !threadId) throw new Error("There is no conversation to share yet.");
    const { observerToken } = await client.mutation(api.threads.share, { threadId, ...this._session.tokenArg });
    return observerToken;
  }

  /** Starts a fresh conversation; the visitor keeps their token, so earlier threads stay theirs. */
  newConversation(): void {
    this._conversation.abort();
    this._session.forgetThread();
    this._error = null;
    this._rateLimit.clear();
    this._unread.clear();
    this.thread = null;
    this._announcer.announce(this.effectiveStrings.newConversationStarted);
    this._textarea?.focus();
  }

  // ---- lifecycle -----------------------------------------------------------------------

  protected override willUpdate(changed: PropertyValues<this>): void {
    // Restored first: a launcher left open on the last page is wanted at once.
    if (changed.has("convexUrl")) this._ui.restore();
    // Follows the URL and whether the connection is wanted (opened, closed, a reply over).
    this._deployment.sync();
    // Tokens stay with the site that issued them: another site-url gets its own (or none yet).
    if (changed.has("siteUrl") && this._deployment.client) this._session.restore(this.convexUrl);
    // Rendered Markdown belongs to one transcript.
    if (changed.has("thread") || changed.has("convexUrl") || changed.has("observerToken")) this._markdown.clear();
    if (changed.has("open") && this.open) this._unread.clear();
    // Setting another thread aborts a reply driven for the old one.
    this._conversation.setTarget(
      this._deployment.client && this.thread
        ? { client: this._deployment.client, threadId: this.thread, ...this._session.tokenArg }
        : null,
    );
    if (!this._streaming) this._waitAsked = false;
    this.status = this._computeStatus();
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has("open") && this.launcher && this.open) this._textarea?.focus();
    const root = this.renderRoot as ShadowRoot;
    placeCursor(root, root.querySelector(".bubble.streaming"));
  }

  private _onClient(client: ChatClient | null, url: string): void {
    if (client) {
      this._session.restore(url);
    } else {
      this._conversation.abort();
      this._conversation.setTarget(null);
    }
    this._connection.setClient(client);
  }

  private _computeStatus(): ChatStatus {
    if (this._error || this._rateLimit.waiting || this._lastReplyFailed()) return "error";
    if (this._sending) return "sending";
    if (this._streaming) return "streaming";
    return "idle";
  }

  /** The last message is a reply that failed or timed out. */
  private _lastReplyFailed(): boolean {
    const last = this._conversation.messages?.at(-1);
    return (
      last?.role === "assistant" && (last.status === "error" || last.status === "timeout") && !this._session.retrying
    );
  }

  private _onConversationError(info: ChatErrorInfo): void {
    // A remembered thread that is gone (deleted, or the deployment was reset) must not leave
    // the visitor stuck: forget it quietly and start fresh on the next send.
    if (info.code === "UNAUTHORIZED" && this._session.remembers(this.thread)) {
      this.newConversation();
      return;
    }
    this._fail(info, null);
  }

  /** A failure: the visitor sees a sentence from `strings`; the detail goes to the console and the event. */
  private _fail(info: ChatErrorInfo, prompt: string | null): void {
    this._session.pendingPrompt = null;
    if (prompt && !this._ui.draft) this._ui.setDraft(prompt);
    if (info.code === "RATE_LIMITED") {
      this._rateLimit.start(info.retryAfterMs);
    } else {
      this._error = { code: info.code, retryPrompt: prompt && canResend(info.code) ? prompt : null };
    }
    this._report(info);
  }

  private _report(info: ChatErrorInfo): void {
    logFailure(info);
    this.dispatchEvent(new AiChatErrorEvent(info.code, info.message));
  }

  private _onStreamStart(threadId: string, streamId: string, driven: boolean): void {
    this._announcer.announce(this.effectiveStrings.responding);
    this.dispatchEvent(new AiChatStreamStartEvent(threadId, streamId, driven));
  }

  private _onStreamEnd(threadId: string, streamId: string, status: MessageStatus, text: string): void {
    const strings = this.effectiveStrings;
    const unseen = this.launcher && !this.open;
    if (unseen && status === "done") this._unread.add(text);
    if (status === "error" || status === "timeout") {
      const detail = this._conversation.messages?.find((m) => m.streamId === streamId)?.error;
      const code = status === "timeout" ? "REPLY_TIMEOUT" : "REPLY_FAILED";
      this._report({ code, message: detail || visitorMessage({ code }, strings) });
    }
    const said =
      status === "done"
        ? unseen
          ? format(strings.newReply, { preview: this._unread.preview })
          : strings.responseComplete
        : status === "stopped"
          ? strings.stopped
          : status === "timeout"
            ? strings.timeoutError
            : strings.replyError;
    this._announcer.announce(said);
    this.dispatchEvent(new AiChatStreamEndEvent(threadId, streamId, status, text));
  }

  // ---- events --------------------------------------------------------------------------

  private _onSubmit(e: Event): void {
    e.preventDefault();
    const prompt = this._ui.draft;
    if (!prompt.trim() || this._sending) return;
    if (this._streaming) {
      // The text stays in the box; the hint under it says why it waits.
      this._waitAsked = true;
      return;
    }
    const limit = this._connection.maxPromptChars;
    if (limit > 0 && prompt.length > limit) return;
    this._ui.setDraft("");
    this._textarea?.focus();
    void this.send(prompt);
  }

  private _onKeydown(e: KeyboardEvent): void {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this._onSubmit(e);
    }
  }

  private _onInput(e: Event): void {
    this._ui.setDraft((e.target as HTMLTextAreaElement).value);
  }

  private _onStopClick(): void {
    void this.stop();
    this._textarea?.focus();
  }

  /** Retry on the banner: sends the text of a send that failed again. */
  private _onResend(prompt: string): void {
    this._error = null;
    if (this._ui.draft === prompt) this._ui.setDraft("");
    void this.send(prompt);
    this._textarea?.focus();
  }

  /** Retry on a failed reply: generates it again in place (one question, one answer). */
  private _onRegenerate(messageId: string): void {
    this._error = null;
    this._scroll.jumpToLatest();
    void this._session.retry(messageId);
    this._textarea?.focus();
  }

  private _toggle(): void {
    if (this.open) this._close();
    else this.open = true;
  }

  private _close(): void {
    this.open = false;
    void this.updateComplete.then(() => this._launcherButton?.focus());
  }

  /** The chat is on screen: inline, an open launcher, or an observer view. */
  private get _visible(): boolean {
    return !this.launcher || this.open || this.mode === "observe";
  }

  private get _sending(): boolean {
    return this._session.pendingPrompt !== null || this._session.retrying !== null;
  }

  /** A reply is on its way: driven here, or pending/streaming in the transcript. */
  private get _streaming(): boolean {
    return this._conversation.driving || this._conversation.hasActiveReply;
  }

  // ---- rendering -----------------------------------------------------------------------------

  override render(): TemplateResult {
    const strings = this.effectiveStrings;
    if (!this.launcher) return this._renderPanel(strings);
    const unread = this.open ? 0 : this._unread.count;
    const unreadLabel = unread ? format(strings.unread, { count: unread }) : "";
    return html`
      <button
        part="launcher"
        class="launcher"
        type="button"
        aria-expanded=${this.open ? "true" : "false"}
        aria-controls="panel"
        aria-label=${this.open ? strings.closeChat : unread ? `${strings.openChat}, ${unreadLabel}` : strings.openChat}
        @click=${this._toggle}
      >
        ${this.open ? iconClose : iconChat}
        ${unread ? html`<span part="unread" class="unread" aria-hidden="true">${unread}</span>` : nothing}
      </button>
      ${
        unread && this._unread.preview
          ? html`<button part="unread-preview" class="unread-preview" type="button" dir="auto" @click=${this._toggle}>${this._unread.preview}</button>`
          : nothing
      }
      ${this._renderPanel(strings)}
      ${this.open ? nothing : this._renderLiveRegion()}
    `;
  }

  /** The polite live region: inside the panel while it shows, outside it (still heard) while it is closed. */
  private _renderLiveRegion(): TemplateResult {
    return html`<div class="sr-only" aria-live="polite" aria-atomic="true">${this._announcer.text}</div>`;
  }

  private _renderPanel(strings: ChatStrings): TemplateResult {
    const heading = this.heading || strings.heading;
    const messages = this._conversation.messages ?? [];
    const demo = this._connection.demo || messages.some((m) => m.model === "demo");
    const observe = this.mode === "observe";
    const aiNote = this.aiNote === "-" ? "" : this.aiNote || strings.aiNote;
    const content = html`
        <header part="header" class="header">
          <h2 class="title">${heading}</h2>
          ${demo ? html`<span class="badge" title=${strings.demoBadgeTitle}>${strings.demoBadge}</span>` : nothing}
          ${observe ? html`<span class="badge muted">${strings.readOnly}</span>` : nothing}
          <span class="spacer"></span>
          ${
            !observe && this.thread
              ? html`<button part="new-conversation" class="text-button" type="button" @click=${this.newConversation}>${iconNew}<span>${strings.newConversation}</span></button>`
              : nothing
          }
          ${
            this.launcher
              ? html`<button class="icon-button" type="button" aria-label=${strings.closeChat} title=${strings.closeChat} @click=${this._close}>
                ${iconClose}
              </button>`
              : nothing
          }
        </header>
        ${this._connection.online ? nothing : html`<div class="notice offline" role="status">${strings.offline}</div>`}
        <div class="transcript">
          <div
            part="messages"
            class="messages"
            role="region"
            aria-label=${strings.conversationLabel}
            tabindex="0"
            @click=${this._copy.onClick}
            @scroll=${this._onScroll}
          >
            ${
              this._conversation.hasEarlier
                ? html`<button type="button" part="load-earlier" class="earlier" ?disabled=${this._conversation.loadingEarlier} @click=${this._earlier.load}>
                  ${strings.loadEarlier}
                </button>`
                : nothing
            }
            ${messages.length === 0 && !this._sending ? emptyState(this.greeting || strings.greeting, observe ? "" : strings.emptyHint, aiNote) : nothing}
            ${repeat(
              messages,
              (m) => m._id,
              (m, i) => this._renderMessage(m, i === messages.length - 1, strings),
            )}
            ${this._session.showsPendingPrompt(messages) ? userRow(this._session.pendingPrompt!, strings, true) : nothing}
            ${this._sending && !this._conversation.hasActiveReply ? thinkingRow(strings) : nothing}
          </div>
          ${
            this._scroll.hasNewBelow
              ? html`<button part="new-messages" class="jump" type="button" @click=${this._scroll.jumpToLatest}>${strings.newMessages} ↓</button>`
              : nothing
          }
        </div>
        ${this._renderProblems(strings)}
        <div part="human-check" class="human-check" role="group" aria-label=${strings.humanCheck} ?hidden=${!this._humanCheck.active}></div>
        ${
          observe
            ? nothing
            : composerTemplate(
                {
                  text: this._ui.draft,
                  limit: this._connection.maxPromptChars,
                  sending: this._sending,
                  streaming: this._streaming,
                  waitAsked: this._waitAsked,
                  placeholder: this.placeholder || strings.placeholder,
                  strings,
                },
                {
                  onSubmit: (e) => this._onSubmit(e),
                  onInput: (e) => this._onInput(e),
                  onKeydown: (e) => this._onKeydown(e),
                  onStop: () => this._onStopClick(),
                },
              )
        }
        ${this.launcher && !this.open ? nothing : this._renderLiveRegion()}
    `;
    // In launcher mode the panel is a <dialog> (ModalController opens it, modal on small screens).
    return this.launcher
      ? html`<dialog id="panel" part="panel" class="panel" aria-label=${heading} @cancel=${this._onDialogCancel}>${content}</dialog>`
      : html`<section id="panel" part="panel" class="panel" aria-label=${heading}>${content}</section>`;
  }

  private _onDialogCancel(e: Event): void {
    // Escape on a modal dialog: close through `open`, so state and focus follow.
    e.preventDefault();
    this._close();
  }

  private readonly _onScroll = (): void => {
    this._scroll.onScroll();
    this._earlier.onScroll();
  };

  private _renderMessage(m: MessageView, last: boolean, strings: ChatStrings): TemplateResult {
    if (m.role === "user") return userRow(m.text, strings, false);
    // The controller's buffer runs ahead of the transcript while a reply streams.
    const reply = this._conversation.reply(m._id);
    const final = reply?.final ?? !isActive(m.status);
    const status = reply?.status ?? m.status;
    const streaming = !final && isActive(status);
    // Syntax still being written shows as plain text (or waits) until it is complete.
    const text = streaming ? settledText(reply?.text ?? m.text) : (reply?.text ?? m.text);
    if (streaming && !text) return thinkingRow(strings);
    const options = { allowImages: this.allowImages, copyLabel: strings.copy, imageLabel: strings.image };
    return replyRow(
      status,
      streaming,
      this._markdown.blocks(m._id, text, options),
      this._replyEnd(m, status, last, strings),
      strings,
    );
  }

  /** The marker on a reply that did not finish; the last failed one offers Retry. */
  private _replyEnd(m: MessageView, status: MessageStatus, last: boolean, strings: ChatStrings): ReplyEnd {
    if (status === "stopped") return { note: strings.stopped, failed: false };
    if (status !== "error" && status !== "timeout") return null;
    const note = visitorMessage({ code: status === "timeout" ? "REPLY_TIMEOUT" : "REPLY_FAILED" }, strings);
    if (!last || this.mode !== "chat") return { note, failed: true };
    return { note, failed: true, onRetry: () => this._onRegenerate(m._id), retrying: this._session.retrying === m._id };
  }

  private _renderProblems(strings: ChatStrings): TemplateResult | typeof nothing {
    const remaining = this._rateLimit.secondsLeft;
    if (remaining > 0) {
      return html`<div class="banner rate-limit" role="alert">${format(strings.rateLimited, { seconds: remaining })}</div>`;
    }
    const failure = this._error;
    if (!failure) return nothing;
    const prompt = failure.retryPrompt;
    return html`<div class="banner error" role="alert">
      <span class="reason">${visitorMessage(failure, strings)}</span>
      ${prompt ? html`<button type="button" class="retry" @click=${() => this._onResend(prompt)}>${strings.retry}</button>` : nothing}
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "ai-chat-stream": AiChatStream;
  }
}
