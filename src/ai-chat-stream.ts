import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from "lit";
import { property, query, state } from "lit/decorators.js";
import { repeat } from "lit/directives/repeat.js";
import { api, isActive, toErrorInfo, type ChatErrorInfo, type MessageStatus, type MessageView } from "./api.js";
import type { ChatClient } from "./convex-pool.js";
import { AnnouncerController } from "./controllers/announcer.js";
import { ClientController } from "./controllers/client.js";
import { ConnectionController } from "./controllers/connection.js";
import { ConversationController } from "./controllers/conversation.js";
import { CopyCodeController } from "./controllers/copy-code.js";
import { EscapeKeyController } from "./controllers/escape-key.js";
import { RateLimitController } from "./controllers/rate-limit.js";
import { ScrollController } from "./controllers/scroll.js";
import { HumanCheckController } from "./controllers/human-check.js";
import { SessionController } from "./controllers/session.js";
import { ViewportController } from "./controllers/viewport.js";
import { defineElement } from "./define.js";
import { AiChatErrorEvent, AiChatSendEvent, AiChatStreamEndEvent, AiChatStreamStartEvent } from "./events.js";
import { iconChat, iconClose, iconNew, iconSend, iconStop } from "./icons.js";
import { MarkdownCache } from "./markdown-cache.js";
import { deriveSiteUrl } from "./site-url.js";
import { defaultStrings, format, type ChatStrings } from "./strings.js";
import { emptyState, replyRow, thinkingRow, userRow } from "./transcript.js";
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
  @state() private _error: (ChatErrorInfo & { retryPrompt: string | null }) | null = null;

  @query("textarea") private _textarea?: HTMLTextAreaElement;
  @query("[part=launcher]") private _launcherButton?: HTMLButtonElement;

  private readonly _deployment = new ClientController(this, {
    onClient: (client, url) => this._onClient(client, url),
    onError: (err, url) => this._fail(toErrorInfo(err, `convex-url is not a deployment URL: ${url}`), null),
  });

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
        const strings = this.effectiveStrings;
        this._fail(toErrorInfo(err, err instanceof TypeError ? strings.networkError : strings.genericError), prompt);
      },
    },
    this._humanCheck,
  );

  private readonly _connection = new ConnectionController(this);
  private readonly _rateLimit = new RateLimitController(this);
  private readonly _announcer = new AnnouncerController(this);
  private readonly _scroll = new ScrollController(this, () => this.renderRoot?.querySelector<HTMLElement>(".messages"));
  private readonly _copy = new CopyCodeController(this, () => this.effectiveStrings);
  private readonly _markdown = new MarkdownCache();

  constructor() {
    super();
    new ViewportController(this);
    new EscapeKeyController(this, {
      active: () => this.launcher && this.open,
      onEscape: () => {
        this.open = false;
        void this.updateComplete.then(() => this._launcherButton?.focus());
      },
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
    const client = this._deployment.client;
    if (!client) {
      this._fail({ code: "NOT_CONFIGURED", message: this.effectiveStrings.genericError }, prompt);
      return;
    }
    this._error = null;
    this._rateLimit.clear();
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
      this._fail(toErrorInfo(err, this.effectiveStrings.genericError), null);
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
    this._announcer.clear();
    this.thread = null;
    this._textarea?.focus();
  }

  // ---- lifecycle -----------------------------------------------------------------------

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has("convexUrl")) this._deployment.sync();
    // Tokens stay with the site that issued them: another site-url gets its own (or none yet).
    if (changed.has("siteUrl") && this._deployment.client) this._session.restore(this.convexUrl);
    // Rendered Markdown belongs to one transcript.
    if (changed.has("thread") || changed.has("convexUrl") || changed.has("observerToken")) this._markdown.clear();
    // Setting another thread aborts a reply driven for the old one.
    this._conversation.setTarget(
      this._deployment.client && this.thread ? { client: this._deployment.client, threadId: this.thread, ...this._session.tokenArg } : null,
    );
    this.status = this._computeStatus();
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has("open") && this.launcher && this.open) this._textarea?.focus();
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
    if (this._error || this._rateLimit.waiting || this._lastReplyFailure()) return "error";
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
    if (info.code === "UNAUTHORIZED" && this._session.remembers(this.thread)) {
      this.newConversation();
      return;
    }
    this._fail(info, null);
  }

  private _fail(info: ChatErrorInfo, prompt: string | null): void {
    this._session.pendingPrompt = null;
    if (prompt && !this._input) this._input = prompt;
    if (info.code === "RATE_LIMITED") {
      this._rateLimit.start(info.retryAfterMs);
    } else {
      this._error = { ...info, retryPrompt: prompt };
    }
    this.dispatchEvent(new AiChatErrorEvent(info.code, info.message));
  }

  private _onStreamStart(threadId: string, streamId: string, driven: boolean): void {
    this._announcer.announce(this.effectiveStrings.responding);
    this.dispatchEvent(new AiChatStreamStartEvent(threadId, streamId, driven));
  }

  private _onStreamEnd(threadId: string, streamId: string, status: MessageStatus, text: string): void {
    const strings = this.effectiveStrings;
    this._announcer.announce(status === "done" ? strings.responseComplete : status === "stopped" ? strings.stopped : strings.replyError);
    this.dispatchEvent(new AiChatStreamEndEvent(threadId, streamId, status, text));
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

  private _toggle(): void {
    this.open = !this.open;
  }

  private get _sending(): boolean {
    return this._session.pendingPrompt !== null;
  }

  /** A reply is on its way: driven here, or pending/streaming in the transcript. */
  private get _streaming(): boolean {
    return this._conversation.driving || this._conversation.hasActiveReply;
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
          @click=${this._copy.onClick}
          @scroll=${this._scroll.onScroll}
        >
          ${messages.length === 0 && !this._sending ? emptyState(this.heading ? heading : strings.emptyTitle, observe ? "" : strings.emptyHint) : nothing}
          ${repeat(messages, (m) => m._id, (m) => this._renderMessage(m, strings))}
          ${this._session.showsPendingPrompt(messages) ? userRow(this._session.pendingPrompt!, strings, true) : nothing}
          ${this._sending && !this._conversation.hasActiveReply ? thinkingRow(strings) : nothing}
        </div>
        ${this._renderProblems(strings)}
        <div part="human-check" class="human-check" role="group" aria-label=${strings.humanCheck} ?hidden=${!this._humanCheck.active}></div>
        ${observe ? nothing : this._renderComposer(strings)}
        <div class="sr-only" aria-live="polite" aria-atomic="true">${this._announcer.text}</div>
      </section>
    `;
  }

  private _renderMessage(m: MessageView, strings: ChatStrings): TemplateResult {
    if (m.role === "user") return userRow(m.text, strings, false);
    // The controller's buffer runs ahead of the transcript while a reply streams.
    const reply = this._conversation.reply(m._id);
    const final = reply?.final ?? !isActive(m.status);
    const text = reply?.text ?? m.text;
    const status = reply?.status ?? m.status;
    const streaming = !final && isActive(status);
    if (streaming && !text) return thinkingRow(strings);
    const options = { allowImages: this.allowImages, copyLabel: strings.copy, imageLabel: strings.image };
    return replyRow(status, streaming, this._markdown.blocks(m._id, text, options), strings);
  }

  private _renderProblems(strings: ChatStrings): TemplateResult | typeof nothing {
    const remaining = this._rateLimit.secondsLeft;
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


declare global {
  interface HTMLElementTagNameMap {
    "ai-chat-stream": AiChatStream;
  }
}
