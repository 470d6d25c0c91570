import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from "lit";
import { property, query, state } from "lit/decorators.js";
import { repeat } from "lit/directives/repeat.js";
import { api, isActive, toErrorInfo, type ChatErrorInfo, type MessageStatus, type MessageView } from "./api.js";
import type { ChatClient } from "./convex-pool.js";
import { ClientController } from "./controllers/client.js";
import { ConnectionController } from "./controllers/connection.js";
import { defineElement } from "./define.js";
import { ConversationController } from "./controllers/conversation.js";
import { DriverController } from "./controllers/driver.js";
import { ViewportController } from "./controllers/viewport.js";
import { AiChatErrorEvent, AiChatSendEvent, AiChatStreamEndEvent, AiChatStreamStartEvent } from "./events.js";
import { MarkdownStream } from "./markdown.js";
import { loadSession, saveSession, type StoredSession } from "./storage.js";
import { defaultStrings, format, type ChatStrings } from "./strings.js";
import { styles } from "./ai-chat-stream.styles.js";

export type ChatStatus = "idle" | "sending" | "streaming" | "error";
export type ChatMode = "chat" | "observe";
export type ChatTheme = "auto" | "light" | "dark";

/**
 * The site URL (HTTP actions) for a deployment URL: `https://x.convex.cloud` ->
 * `https://x.convex.site`; a local or IP deployment on port N -> port N + 1.
 */
export function deriveSiteUrl(convexUrl: string): string {
  try {
    const url = new URL(convexUrl);
    if (url.hostname.endsWith(".convex.cloud")) {
      url.hostname = url.hostname.replace(/\.convex\.cloud$/, ".convex.site");
    } else if (url.port) {
      url.port = String(Number(url.port) + 1);
    }
    return url.origin;
  } catch {
    return convexUrl;
  }
}

const RATE_LIMIT_FALLBACK_MS = 10_000;

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
 * @fires {AiChatErrorEvent} ai-chat-error - Something failed that a person may need to act on; `{ code, message }` (contract error codes, plus `NETWORK`).
 *
 * @csspart panel - The box holding header, messages and composer (the floating panel in launcher mode).
 * @csspart header - The title bar.
 * @csspart messages - The scrolling transcript.
 * @csspart message - Every message row (also `user` or `assistant`).
 * @csspart user - A message the visitor sent.
 * @csspart assistant - A reply from the model.
 * @csspart composer - The form with the textbox and buttons.
 * @csspart input - The message textbox.
 * @csspart send-button - The Send button.
 * @csspart stop-button - The Stop button shown while a reply streams.
 * @csspart launcher - The floating button that opens the panel (`launcher` only).
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

  /** The conversation shown. Set by the element once one exists (and restored after a reload); set it to show another. */
  @property({ reflect: true }) thread: string | null = null;

  /** `chat` (default) to converse, `observe` for a read-only live view of `thread`. */
  @property() mode: ChatMode = "chat";

  /** A read-only token for one thread (from `shareToken()`); used with `mode="observe"`. */
  @property({ attribute: "observer-token" }) observerToken = "";

  /** Shows a floating button that opens the chat in a panel, for script-tag embeds. */
  @property({ type: Boolean, reflect: true }) launcher = false;

  /** Whether the launcher panel is open. */
  @property({ type: Boolean, reflect: true }) open = false;

  /** Title in the header and the empty state. Default: `strings.heading`. */
  @property() heading = "";

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

  @state() private _input = "";
  /** The prompt being sent, until the server has it (or the send failed). */
  @state() private _pendingPrompt: string | null = null;
  @state() private _error: (ChatErrorInfo & { retryPrompt: string | null }) | null = null;
  @state() private _rateLimitUntil = 0;
  @state() private _announcement = "";

  @query("textarea") private _textarea?: HTMLTextAreaElement;
  @query(".messages") private _messagesEl?: HTMLElement;
  @query("[part=launcher]") private _launcherButton?: HTMLButtonElement;

  private _session: StoredSession | null = null;
  private _countAtSend = 0;
  private _stickToBottom = true;
  private _markdown = new Map<string, MarkdownStream>();
  private _tick?: ReturnType<typeof setInterval>;

  private readonly _deployment = new ClientController(this, {
    onClient: (client, url) => this._onClient(client, url),
    onError: (err, url) => this._fail(toErrorInfo(err, `convex-url is not a deployment URL: ${url}`), null),
  });

  private readonly _conversation = new ConversationController(this, {
    onStreamStart: (threadId, streamId, driven) => this._onStreamStart(threadId, streamId, driven),
    onStreamEnd: (threadId, streamId, status, text) => this._onStreamEnd(threadId, streamId, status, text),
    onError: (info) => this._onConversationError(info),
  });

  private readonly _driver = new DriverController(this, {
    onStart: (req) => this._conversation.markStarted(req.messageId),
    onText: (req, text) => this._conversation.applyDriven(req.messageId, text),
    onComplete: () => this.requestUpdate(),
    onHandover: (req, error) => {
      this._conversation.handOver(req.messageId);
      if (error) this._fail(error, null);
    },
  });

  private readonly _connection = new ConnectionController(this);

  constructor() {
    super();
    new ViewportController(this);
  }

  /** The merged strings in effect. */
  get effectiveStrings(): ChatStrings {
    return { ...defaultStrings, ...this.strings };
  }

  /** The HTTP actions URL in effect (`site-url`, or derived from `convex-url`). */
  get effectiveSiteUrl(): string {
    return this.siteUrl || deriveSiteUrl(this.convexUrl);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this._tick);
    this._tick = undefined;
    document.removeEventListener("keydown", this._onDocumentKeydown);
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
    const strings = this.effectiveStrings;
    const client = this._deployment.client;
    const url = this.convexUrl;
    if (!client) {
      this._fail({ code: "NOT_CONFIGURED", message: strings.genericError }, prompt);
      return;
    }
    this._error = null;
    this._rateLimitUntil = 0;
    this._pendingPrompt = prompt;
    this._countAtSend = this._conversation.messages?.length ?? 0;
    let threadId = this.thread;
    try {
      let session = this._session;
      if (!session || !threadId) {
        const created = await client.mutation(api.threads.create, {
          ...(session ? { token: session.token } : {}),
          origin: location.origin,
        });
        if (url !== this.convexUrl) return;
        session = { threadId: created.threadId, token: created.token };
        this._session = session;
        saveSession(url, this.effectiveSiteUrl, session);
        this.thread = threadId = created.threadId;
        await this.updateComplete;
      }
      this._conversation.expectDrive(true);
      const sent = await client.mutation(api.messages.send, { threadId: threadId!, token: session.token, prompt });
      if (url !== this.convexUrl || threadId !== this.thread) return;
      this._conversation.beginDrive(sent.assistantMessageId, sent.streamId);
      this._pendingPrompt = null;
      void this._driver.drive({
        siteUrl: this.effectiveSiteUrl,
        token: session.token,
        threadId: threadId!,
        streamId: sent.streamId,
        messageId: sent.assistantMessageId,
      });
    } catch (err) {
      if (url !== this.convexUrl || threadId !== this.thread) return;
      this._conversation.expectDrive(false);
      this._fail(toErrorInfo(err, err instanceof TypeError ? strings.networkError : strings.genericError), prompt);
    } finally {
      if (url === this.convexUrl) this._pendingPrompt = null;
    }
  }

  /** Stops the reply in progress (the server keeps what was generated so far, status `stopped`). */
  async stop(): Promise<void> {
    const client = this._deployment.client;
    const threadId = this.thread;
    if (!client || !threadId) return;
    try {
      await client.mutation(api.messages.stop, { threadId, ...this._tokenArg() });
    } catch (err) {
      this._fail(toErrorInfo(err, this.effectiveStrings.genericError), null);
    }
  }

  /** A read-only observer token for the current thread, for `mode="observe"` views. Rejects when there is no thread. */
  async shareToken(): Promise<string> {
    const client = this._deployment.client;
    const threadId = this.thread;
    if (!client || !threadId) throw new Error("There is no conversation to share yet.");
    const { observerToken } = await client.mutation(api.threads.share, { threadId, ...this._tokenArg() });
    return observerToken;
  }

  /** Starts a fresh conversation; the visitor keeps their token, so earlier threads stay theirs. */
  newConversation(): void {
    this._driver.abort();
    if (this._session) {
      this._session = { ...this._session, threadId: null };
      saveSession(this.convexUrl, this.effectiveSiteUrl, this._session);
    }
    this._error = null;
    this._rateLimitUntil = 0;
    this._announcement = "";
    this.thread = null;
    this._textarea?.focus();
  }

  // ---- lifecycle -----------------------------------------------------------------------

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("convexUrl")) this._deployment.sync();
    // Tokens stay with the site that issued them: another site-url gets its own (or none yet).
    if (changed.has("siteUrl") && this._deployment.client) this._session = loadSession(this.convexUrl, this.effectiveSiteUrl);
    if (changed.has("thread") && this._driver.active && this._driver.active.threadId !== this.thread) {
      // Stale-stream guard: a reply driven for another thread must not land in this one.
      this._driver.abort();
    }
    // Rendered Markdown belongs to one transcript and is built with strings and allowImages.
    if (["thread", "convexUrl", "observerToken", "strings", "allowImages"].some((k) => changed.has(k as keyof AiChatStream))) {
      this._markdown.clear();
    }
    this._conversation.setTarget(
      this._deployment.client && this.thread ? { client: this._deployment.client, threadId: this.thread, ...this._tokenArg() } : null,
    );
    this.status = this._computeStatus();
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has("open") && this.launcher) {
      if (this.open) {
        document.addEventListener("keydown", this._onDocumentKeydown);
        this._textarea?.focus();
      } else {
        document.removeEventListener("keydown", this._onDocumentKeydown);
      }
    }
    if (this._stickToBottom && this._messagesEl) this._messagesEl.scrollTop = this._messagesEl.scrollHeight;
  }

  private _onClient(client: ChatClient | null, url: string): void {
    if (client) {
      this._session = loadSession(url, this.effectiveSiteUrl);
      if (!this.thread && !this.observerToken && this._session?.threadId) this.thread = this._session.threadId;
    } else {
      this._driver.abort();
      this._conversation.setTarget(null);
    }
    this._connection.setClient(client);
  }

  private _tokenArg(): { token?: string } {
    const token = this.observerToken || this._session?.token;
    return token ? { token } : {};
  }

  private _computeStatus(): ChatStatus {
    if (this._error || this._rateLimitUntil > Date.now() || this._lastReplyFailure()) return "error";
    if (this._sending) return "sending";
    if (this._streaming) return "streaming";
    return "idle";
  }

  /** The last message, when it is a reply that failed: `{ message, retryPrompt }`. */
  private _lastReplyFailure(): { message: string; retryPrompt: string | null } | null {
    const messages = this._conversation.messages;
    const last = messages?.[messages.length - 1];
    if (!messages || !last || last.role !== "assistant") return null;
    if (last.status !== "error" && last.status !== "timeout") return null;
    const strings = this.effectiveStrings;
    const prompt = [...messages].reverse().find((m) => m.role === "user")?.text ?? null;
    return {
      message: last.error || (last.status === "timeout" ? strings.timeoutError : strings.replyError),
      retryPrompt: this.mode === "chat" ? prompt : null,
    };
  }

  private _onConversationError(info: ChatErrorInfo): void {
    // A remembered thread that is gone (deleted, or the deployment was reset) must not leave
    // the visitor stuck: forget it quietly and start fresh on the next send.
    const remembered = !this.observerToken && this.thread !== null && this.thread === this._session?.threadId;
    if (info.code === "UNAUTHORIZED" && remembered) {
      this.newConversation();
      return;
    }
    this._fail(info, null);
  }

  private _fail(info: ChatErrorInfo, prompt: string | null): void {
    this._pendingPrompt = null;
    if (prompt && !this._input) this._input = prompt;
    if (info.code === "RATE_LIMITED") {
      this._rateLimitUntil = Date.now() + (info.retryAfterMs ?? RATE_LIMIT_FALLBACK_MS);
      this._startTick();
    } else {
      this._error = { ...info, retryPrompt: prompt };
    }
    this.dispatchEvent(new AiChatErrorEvent(info.code, info.message));
  }

  private _startTick(): void {
    clearInterval(this._tick);
    this._tick = setInterval(() => {
      if (this._rateLimitUntil <= Date.now()) {
        this._rateLimitUntil = 0;
        clearInterval(this._tick);
        this._tick = undefined;
      }
      this.requestUpdate();
    }, 1000);
  }

  private _onStreamStart(threadId: string, streamId: string, driven: boolean): void {
    this._announce(this.effectiveStrings.responding);
    this.dispatchEvent(new AiChatStreamStartEvent(threadId, streamId, driven));
  }

  private _onStreamEnd(threadId: string, streamId: string, status: MessageStatus, text: string): void {
    const strings = this.effectiveStrings;
    this._announce(status === "done" ? strings.responseComplete : status === "stopped" ? strings.stopped : strings.replyError);
    this.dispatchEvent(new AiChatStreamEndEvent(threadId, streamId, status, text));
  }

  private _announce(text: string): void {
    // Same text twice in a row is still announced: clear first, set on the next frame.
    this._announcement = "";
    requestAnimationFrame(() => {
      this._announcement = text;
    });
  }

  // ---- incremental rendering ----------------------------------------------------------------

  /** Markdown blocks of a reply; finished blocks keep their elements from one render to the next. */
  private _blocks(messageId: string, text: string): HTMLElement[] {
    let md = this._markdown.get(messageId);
    if (!md) {
      const strings = this.effectiveStrings;
      md = new MarkdownStream({ allowImages: this.allowImages, copyLabel: strings.copy, imageLabel: strings.image });
      this._markdown.set(messageId, md);
    }
    return md.update(text);
  }

  // ---- events --------------------------------------------------------------------------

  private _onSubmit(e: Event): void {
    e.preventDefault();
    const prompt = this._input;
    if (!prompt.trim() || this._sending || this._streaming) return;
    this._input = "";
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
    this._input = (e.target as HTMLTextAreaElement).value;
  }

  private _onStopClick(): void {
    void this.stop();
    this._textarea?.focus();
  }

  private _onRetry(prompt: string | null): void {
    this._error = null;
    if (prompt) {
      if (this._input === prompt) this._input = "";
      void this.send(prompt);
    }
    this._textarea?.focus();
  }

  private _onMessagesClick(e: Event): void {
    const button = (e.target as Element).closest?.("button[data-copy]") as HTMLButtonElement | null;
    const code = button?.parentElement?.querySelector("pre")?.textContent;
    if (!button || code == null) return;
    const strings = this.effectiveStrings;
    void navigator.clipboard?.writeText(code).then(
      () => {
        button.textContent = strings.copied;
        setTimeout(() => (button.textContent = strings.copy), 1500);
      },
      () => {},
    );
  }

  private _onScroll(): void {
    const el = this._messagesEl;
    if (el) this._stickToBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 32;
  }

  private _toggle(): void {
    this.open = !this.open;
  }

  private readonly _onDocumentKeydown = (e: KeyboardEvent): void => {
    if (e.key === "Escape" && this.open) {
      this.open = false;
      void this.updateComplete.then(() => this._launcherButton?.focus());
    }
  };

  private get _sending(): boolean {
    return this._pendingPrompt !== null;
  }

  /** A reply is on its way: driven here, or pending/streaming in the transcript. */
  private get _streaming(): boolean {
    return !!this._driver.active || this._conversation.hasActiveReply;
  }

  // ---- rendering -----------------------------------------------------------------------------

  override render(): TemplateResult {
    const strings = this.effectiveStrings;
    if (!this.launcher) return this._renderPanel(strings);
    return html`
      <button
        part="launcher"
        class="launcher"
        type="button"
        aria-expanded=${this.open ? "true" : "false"}
        aria-controls="panel"
        aria-label=${this.open ? strings.closeChat : strings.openChat}
        @click=${this._toggle}
      >
        ${this.open ? iconClose : iconChat}
      </button>
      ${this._renderPanel(strings)}
    `;
  }

  private _renderPanel(strings: ChatStrings): TemplateResult {
    const heading = this.heading || strings.heading;
    const messages = this._conversation.messages ?? [];
    const demo = this._connection.demo || messages.some((m) => m.model === "demo");
    const observe = this.mode === "observe";
    const hidden = this.launcher && !this.open;
    return html`
      <section
        id="panel"
        part="panel"
        class="panel"
        aria-label=${heading}
        ?hidden=${hidden}
        role=${this.launcher ? "dialog" : nothing}
      >
        <header part="header" class="header">
          <h2 class="title">${heading}</h2>
          ${demo ? html`<span class="badge" title=${strings.demoBadgeTitle}>${strings.demoBadge}</span>` : nothing}
          ${observe ? html`<span class="badge muted">${strings.readOnly}</span>` : nothing}
          <span class="spacer"></span>
          ${!observe && this.thread
            ? html`<button class="icon-button" type="button" aria-label=${strings.newConversation} title=${strings.newConversation} @click=${this.newConversation}>
                ${iconNew}
              </button>`
            : nothing}
          ${this.launcher
            ? html`<button class="icon-button" type="button" aria-label=${strings.closeChat} title=${strings.closeChat} @click=${this._toggle}>
                ${iconClose}
              </button>`
            : nothing}
        </header>
        ${this._connection.online ? nothing : html`<div class="notice offline" role="status">${strings.offline}</div>`}
        <div
          part="messages"
          class="messages"
          role="region"
          aria-label=${strings.conversationLabel}
          tabindex="0"
          @click=${this._onMessagesClick}
          @scroll=${this._onScroll}
        >
          ${messages.length === 0 && this._pendingPrompt === null ? this._renderEmpty(strings, heading) : nothing}
          ${repeat(messages, (m) => m._id, (m) => this._renderMessage(m, strings))}
          ${this._showPendingPrompt(messages) ? this._renderUser(this._pendingPrompt!, strings, true) : nothing}
          ${this._sending && !this._conversation.hasActiveReply ? this._renderThinking(strings) : nothing}
        </div>
        ${this._renderProblems(strings)}
        ${observe ? nothing : this._renderComposer(strings)}
        <div class="sr-only" aria-live="polite" aria-atomic="true">${this._announcement}</div>
      </section>
    `;
  }

  /** The prompt being sent shows at once, until the transcript has it (no double bubble). */
  private _showPendingPrompt(messages: MessageView[]): boolean {
    if (this._pendingPrompt === null) return false;
    if (messages.length <= this._countAtSend) return true;
    return !messages.slice(this._countAtSend).some((m) => m.role === "user" && m.text === this._pendingPrompt);
  }

  private _renderEmpty(strings: ChatStrings, heading: string): TemplateResult {
    return html`<div class="empty">
      ${iconSpark}
      <p class="empty-title">${this.heading ? heading : strings.emptyTitle}</p>
      <p class="empty-hint">${this.mode === "observe" ? "" : strings.emptyHint}</p>
    </div>`;
  }

  private _renderMessage(m: MessageView, strings: ChatStrings): TemplateResult {
    if (m.role === "user") return this._renderUser(m.text, strings, false);
    const reply = this._conversation.reply(m._id);
    const final = reply?.final ?? !isActive(m.status);
    const text = reply?.text ?? m.text;
    const status = reply?.status ?? m.status;
    const streaming = !final && isActive(status);
    if (streaming && !text) return this._renderThinking(strings);
    return html`
      <div part="message assistant" class="row assistant" data-status=${status}>
        <div class="bubble markdown ${streaming ? "streaming" : ""}">
          <span class="sr-only">${strings.assistant}:</span>
          ${this._blocks(m._id, text)}
          ${status === "stopped" ? html`<p class="note">${strings.stopped}</p>` : nothing}
        </div>
      </div>
    `;
  }

  private _renderUser(text: string, strings: ChatStrings, pending: boolean): TemplateResult {
    return html`<div part="message user" class="row user ${pending ? "pending" : ""}">
      <div class="bubble"><span class="sr-only">${strings.you}:</span>${text}</div>
    </div>`;
  }

  private _renderThinking(strings: ChatStrings): TemplateResult {
    return html`<div part="message assistant" class="row assistant">
      <div class="bubble thinking"><span class="dots" aria-hidden="true"><i></i><i></i><i></i></span>${strings.thinking}</div>
    </div>`;
  }

  private _renderProblems(strings: ChatStrings): TemplateResult | typeof nothing {
    const remaining = Math.ceil((this._rateLimitUntil - Date.now()) / 1000);
    if (remaining > 0) {
      return html`<div class="banner rate-limit" role="alert">${format(strings.rateLimited, { seconds: remaining })}</div>`;
    }
    const failure = this._error ?? this._lastReplyFailure();
    if (!failure) return nothing;
    return html`<div class="banner error" role="alert">
      <span class="reason">${failure.message}</span>
      ${failure.retryPrompt
        ? html`<button type="button" class="retry" @click=${() => this._onRetry(failure.retryPrompt)}>${strings.retry}</button>`
        : nothing}
    </div>`;
  }

  private _renderComposer(strings: ChatStrings): TemplateResult {
    return html`<form part="composer" class="composer" @submit=${this._onSubmit}>
      <textarea
        part="input"
        rows="1"
        aria-label=${strings.inputLabel}
        placeholder=${this.placeholder || strings.placeholder}
        .value=${this._input}
        @input=${this._onInput}
        @keydown=${this._onKeydown}
      ></textarea>
      ${this._streaming
        ? html`<button part="stop-button" class="stop" type="button" aria-label=${strings.stop} title=${strings.stop} @click=${this._onStopClick}>
            ${iconStop}
          </button>`
        : html`<button
            part="send-button"
            class="send"
            type="submit"
            aria-label=${strings.send}
            title=${strings.send}
            ?disabled=${!this._input.trim() || this._sending}
          >
            ${iconSend}
          </button>`}
    </form>`;
  }
}

const svg = (d: string) => html`<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path d=${d}></path></svg>`;
const iconSend = svg("M3.4 20.4 21 12 3.4 3.6 3.4 10.1 15 12 3.4 13.9z");
const iconStop = svg("M7 7h10v10H7z");
const iconClose = svg("M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19 12 13.4 17.6 19 19 17.6 13.4 12 19 6.4 17.6 5 12 10.6z");
const iconChat = svg("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z");
const iconNew = svg("M19 13h-6v6h-2v-6H5v-2h6V5h2v6h6z");
const iconSpark = html`<svg class="spark" viewBox="0 0 24 24" width="32" height="32" aria-hidden="true" focusable="false"><path d="M12 2l2.2 6.8L21 11l-6.8 2.2L12 20l-2.2-6.8L3 11l6.8-2.2z"></path></svg>`;

declare global {
  interface HTMLElementTagNameMap {
    "ai-chat-stream": AiChatStream;
  }
}
