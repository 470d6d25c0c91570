// <ai-chat-stream> itself is a light shell: its properties, the launcher, the panel's frame, the
// open state and the tag registration, which is all a page with a closed launcher loads and runs.
// The chat (chat-view.ts: controllers, transcript, composer, Markdown, Convex client) loads on
// intent (pointer over or focus on the launcher, a click) or at once when it is on screen (inline,
// open, observing), and then renders inside the panel as part of this element.
import { LitElement, type PropertyValues, type TemplateResult } from "lit";
import { property, query, state } from "lit/decorators.js";
import type { ChatView } from "../chat/chat-view.js";
import type { ChatMode, ChatStatus } from "../chat/host.js";
import type { VisitorClaim } from "../../convex/lib/chatProtocol.js";
import { EscapeKeyController } from "../controllers/escape-key.js";
import { ModalController } from "../controllers/modal.js";
import { UiStateController } from "../controllers/ui-state.js";
import { UnreadController } from "../controllers/unread.js";
import { ViewportController } from "../controllers/viewport.js";
import { defineElement } from "../define.js";
import { AiChatErrorEvent } from "../events.js";
import { launcherTemplate, loadingTemplate, panelFrame } from "./launcher.js";
import { loadChatView, loadedChatView } from "./load-chat-view.js";
import { deriveSiteUrl } from "../site-url.js";
import { defaultStrings, type ChatStrings } from "../strings.js";
import { styles } from "../styles/ai-chat-stream.styles.js";

export { deriveSiteUrl } from "../site-url.js";

export type { ChatMode, ChatStatus };
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
 * @fires {AiChatHandoffEvent} ai-chat-handoff - Who answers changed: `{ threadId, state: "requested" | "operator" | "ai", operatorName? }`.
 * @fires {AiChatErrorEvent} ai-chat-error - Something failed; `{ code, message }`: a contract error code (or `NETWORK`, `OFFLINE`, `REPLY_FAILED`, `REPLY_TIMEOUT`) and the developer-facing detail. The visitor sees a sentence from `strings` instead.
 * @fires {AiChatFeedbackEvent} ai-chat-feedback - A rating was stored; `{ threadId, messageId, rating, comment }` (`rating` null: taken back).
 *
 * @csspart panel - The box holding header, messages and composer (the floating panel in launcher mode).
 * @csspart header - The title bar.
 * @csspart messages - The scrolling transcript.
 * @csspart load-earlier - The "Earlier messages" button at the top of a long transcript (scrolling up to it loads the page before).
 * @csspart message - Every message row (also `user` or `assistant`).
 * @csspart user - A message the visitor sent.
 * @csspart assistant - A reply from the model.
 * @csspart operator - A message from an operator (a person who took the chat over), under their name.
 * @csspart handoff-button - "Talk to a person" (`human-handoff` only).
 * @csspart handoff-status - Above the composer: a person was asked for, or who answers now.
 * @csspart handoff-typing - The operator is typing.
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
 * @csspart suggestion - A starter prompt button in the empty state (`suggestions`).
 * @csspart history-button - The header's button that opens the list of the visitor's past conversations.
 * @csspart history - The list of past conversations.
 * @csspart history-item - One past conversation in that list: open it, or delete it after a confirmation.
 * @csspart new-conversation - The "New chat" button.
 * @csspart launcher - The floating button that opens the panel (`launcher` only).
 * @csspart unread - The unread-reply count on the launcher.
 * @csspart unread-preview - The start of the newest unread reply, beside the launcher.
 * @csspart human-check - The box Cloudflare Turnstile's check renders into at a new visitor's first send (`turnstile-site-key` only).
 * @csspart copy-button - Under a finished reply: copies its Markdown source.
 * @csspart feedback-up - Under a finished reply: rates it good (`aria-pressed` when rated so; again takes it back).
 * @csspart feedback-down - Under a finished reply: rates it bad.
 * @csspart feedback-form - The optional comment after a rating (`feedback-comment` its box, `feedback-send` its button).
 * @csspart regenerate-button - Under the last reply: generates it again for the same prompt.
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
 * @cssproperty [--ai-chat-code-keyword=#ff7b72] - Highlighted code: keywords (the code colours suit the dark code background; set them with a light `--ai-chat-code-bg`).
 * @cssproperty [--ai-chat-code-string=#a5d6ff] - Highlighted code: strings.
 * @cssproperty [--ai-chat-code-comment=#9198a1] - Highlighted code: comments (italic).
 * @cssproperty [--ai-chat-code-number=#79c0ff] - Highlighted code: numbers, literals, attributes, properties.
 * @cssproperty [--ai-chat-code-title=#d2a8ff] - Highlighted code: function, class and tag names.
 * @cssproperty [--ai-chat-code-type=#ffa657] - Highlighted code: types, built-ins, parameters.
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

  /**
   * Separates the saved state of widgets of one deployment on a page: the conversation, the open
   * state and the unsent text are restored to the widget with the same key and to no other.
   * Default: the element's `id`, else `launcher` for a launcher and `inline` for an inline chat.
   * Give two inline chats of one deployment different keys (or ids), or one key to share a conversation.
   */
  @property({ attribute: "storage-key" }) storageKey = "";

  /** Where a host app exposes the chat's functions: `aiChat:` when one module `convex/aiChat.ts` re-exports `ai-chat-stream/functions` (`aiChat:threadsCreate`, ...), `aiChat/` for a folder of per-module files. Default: the app's root, as the standalone app has them (`threads:create`). */
  @property({ attribute: "functions-path" }) functionsPath = "";

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

  /**
   * Starter prompts shown as buttons in the empty state; a click sends one. The attribute is a
   * JSON array of strings (`suggestions='["What can you do?", "Pricing"]'`). At most 6, each at most
   * 300 characters; anything else is left out with one console warning.
   */
  @property({ type: Array }) suggestions: string[] | null = null;

  /** Space-separated image hosts whose Markdown images may load, or `*`. Default: none (images show as links). */
  @property({ attribute: "allow-images" }) allowImages = "";

  /** `auto` (follows the system), `light` or `dark`. */
  @property({ reflect: true }) theme: ChatTheme = "auto";

  /** Offers "Talk to a person" (part `handoff-button`): the visitor can ask for an operator (human handoff). */
  @property({ attribute: "human-handoff", type: Boolean }) humanHandoff = false;

  /**
   * Who the visitor is, from the host page: `{ id, name?, email?, signature?, ...up to 10 more }`,
   * sent with each message and shown to operators, marked verified only when `signature` is the
   * site server's HMAC-SHA256 (hex) of `id` ([docs/visitor-identity.md](docs/visitor-identity.md)).
   * A property only: it never shows in the DOM.
   */
  visitor?: VisitorClaim;

  /** Overrides for any user-visible text (see `strings.ts` for keys and defaults); wins over the built-in translation chosen by `lang`. */
  @property({ attribute: false }) strings: Partial<ChatStrings> = {};

  /** `idle`, `sending`, `streaming` or `error`. Reflected for styling; set by the element. */
  @property({ reflect: true }) status: ChatStatus = "idle";

  /** The chat, once its code has loaded. */
  @state() private _chat: ChatView | null = null;
  /** Loading the chat's code failed (offline, blocked): the panel says so; Retry or opening again retries. */
  @state() private _loadFailed = false;

  @query("[part=launcher]") private _launcherButton?: HTMLButtonElement;

  /** @internal The open state and the unsent text, kept across reloads in this tab. */
  readonly ui = new UiStateController(this);
  /** @internal Replies that finished while the launcher was closed. */
  readonly unread = new UnreadController(this);

  constructor() {
    super();
    new ViewportController(this);
    new EscapeKeyController(this, {
      active: () => this.launcher && this.open,
      onEscape: () => this.close(),
    });
    new ModalController(this, {
      dialog: () => (this.launcher ? this.renderRoot?.querySelector<HTMLDialogElement>("dialog.panel") : null),
      shown: () => this.launcher && this.open,
    });
  }

  /** The merged strings in effect: English, the built-in translation for the element's `lang` (or the page's) once the chat has loaded it, then `strings`. */
  get effectiveStrings(): ChatStrings {
    // A lazy part's English texts are in the part, not here: it reads `effectiveStrings[key] ?? english[key]`.
    return { ...defaultStrings, ...this._chat?.translation.strings, ...this.strings } as ChatStrings;
  }

  /** The HTTP actions URL in effect (`site-url`, or derived from `convex-url`). */
  get effectiveSiteUrl(): string {
    return this.siteUrl || deriveSiteUrl(this.convexUrl);
  }

  /** @internal The key this widget's saved state is stored under (`storageKey`, else `id`, else `launcher` or `inline`). */
  get effectiveStorageKey(): string {
    return this.storageKey || this.id || (this.launcher ? "launcher" : "inline");
  }

  /** @internal The chat is on screen: inline, an open launcher, or an observer view. */
  get visible(): boolean {
    return !this.launcher || this.open || this.mode === "observe";
  }

  /**
   * Sends `prompt` as the visitor: creates the conversation if there is none, then streams the
   * reply. Resolves once the reply has started (or the send failed; failures also fire `ai-chat-error`).
   */
  async send(prompt: string): Promise<void> {
    await (await this._chatView())?.send(prompt);
  }

  /**
   * Adds `file` to the message being written, as a chip, and starts its upload; `send()` sends it.
   * Resolves once it is added (checked, and scaled down if it is a large image); a refused file
   * fires `ai-chat-error` (`FILE_TOO_LARGE`, `FILE_TYPE_NOT_ALLOWED`, `TOO_MANY_FILES`).
   */
  async attach(file: File): Promise<void> {
    await (await this._chatView())?.files.attach(file);
  }

  /** Stops the reply in progress (the server keeps what was generated so far, status `stopped`). */
  async stop(): Promise<void> {
    await this._chat?.stop();
  }

  /**
   * Asks for a person (human handoff), as the `handoff-button` does: the thread is flagged for
   * the operators, and the visitor is told whether one is online. Before the first message, the
   * request goes out once the conversation exists.
   */
  async requestHuman(): Promise<void> {
    await (await (await this._chatView())?.onDemand.handoffController())?.request();
  }

  /** A read-only observer token for the current thread, for `mode="observe"` views. Rejects when there is no thread. */
  async shareToken(): Promise<string> {
    if (!this._chat) throw new Error("There is no conversation to share yet.");
    return this._chat.shareToken();
  }

  /** Rates reply `messageId` "up" or "down" (replacing an earlier rating), with an optional comment; fires `ai-chat-feedback`. */
  async rate(messageId: string, rating: "up" | "down", comment?: string): Promise<void> {
    await (await (await this._chatView())?.onDemand.actions())?.rate(messageId, rating, comment);
  }

  /** Generates the last reply again for the same prompt; the new one replaces it in the transcript. */
  async regenerate(): Promise<void> {
    await (await (await this._chatView())?.onDemand.actions())?.regenerate();
  }

  /** Starts a fresh conversation; the visitor keeps their token, so earlier threads stay theirs. */
  newConversation(): void {
    if (this._chat) this._chat.newConversation();
    else void this._chatView().then((chat) => chat?.newConversation());
  }

  /** @internal Closes the launcher's panel and gives the focus back to the launcher. */
  close(): void {
    this.open = false;
    void this.updateComplete.then(() => this._launcherButton?.focus());
  }

  // ---- lifecycle -----------------------------------------------------------------------

  protected override willUpdate(changed: PropertyValues<this>): void {
    // Restored first: a launcher left open on the last page is wanted at once.
    if (changed.has("convexUrl") || changed.has("storageKey")) this.ui.restore();
    if (changed.has("open") && this.open) {
      // Reopening on replies that finished unseen shows where the first of them starts.
      this._chat?.scroll.showReplyStart(this.unread.count);
      this.unread.clear();
    }
    if (!this._chat) {
      // Code already here (hovered before, or another element loaded it): the chat starts now,
      // and connects only when it is wanted.
      const loaded = loadedChatView();
      if (loaded) this._chat = new loaded.ChatView(this);
      else if (this.visible && !this._loadFailed) void this._chatView();
    }
    this._chat?.willUpdate(changed);
  }

  protected override updated(changed: PropertyValues<this>): void {
    this._chat?.updated(changed);
  }

  /** Loads the chat's code (once per page) and starts the chat; null when the code could not load. */
  private async _chatView(): Promise<ChatView | null> {
    if (this._chat) return this._chat;
    try {
      const { ChatView } = await loadChatView();
      this._loadFailed = false;
      this._chat ??= new ChatView(this);
      return this._chat;
    } catch (err) {
      if (!this._loadFailed) {
        this._loadFailed = true;
        this.dispatchEvent(new AiChatErrorEvent("NETWORK", err instanceof Error ? err.message : String(err)));
      }
      return null;
    }
  }

  /** Pointer over or focus on the closed launcher: fetch the chat's code, but connect to nothing yet. */
  private readonly _onIntent = (): void => void this._chatView();

  private readonly _toggle = (): void => {
    if (this.open) {
      this.close();
    } else {
      this.open = true;
      // Opening again tries again to load a chat that failed to.
      this._loadFailed = false;
    }
  };

  private readonly _onDialogCancel = (e: Event): void => {
    // Escape on a modal dialog: close through `open`, so state and focus follow.
    e.preventDefault();
    this.close();
  };

  // ---- rendering -----------------------------------------------------------------------------

  override render(): TemplateResult {
    const strings = this.effectiveStrings;
    const heading = this.heading || strings.heading;
    const content = this._chat
      ? this._chat.render(strings, heading)
      : loadingTemplate({
          heading,
          failed: this._loadFailed,
          launcher: this.launcher,
          strings,
          onClose: () => this.close(),
          // willUpdate loads again once the failure is cleared.
          onRetry: () => (this._loadFailed = false),
        });
    const panel = panelFrame({
      launcher: this.launcher,
      heading,
      busy: !this._chat && !this._loadFailed,
      dir: this._chat?.translation.direction ?? undefined,
      content,
      onCancel: this._onDialogCancel,
    });
    if (!this.launcher) return panel;
    return launcherTemplate({
      open: this.open,
      unread: this.open ? 0 : this.unread.count,
      preview: this.unread.preview,
      strings,
      panel,
      liveRegion: this.open ? undefined : this._chat?.renderLiveRegion(),
      onToggle: this._toggle,
      onIntent: this._onIntent,
    });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "ai-chat-stream": AiChatStream;
  }
}
