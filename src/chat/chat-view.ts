// The chat inside <ai-chat-stream>: the controllers that connect to the deployment, send, drive
// and follow replies, and what they mean for the visitor (status, failures, announcements,
// events). The element is a light shell that loads this module when the chat is wanted and
// hands itself over as the host: every controller here is added to the element, so it renders
// and updates as one component. The templates are in chat-panel.ts.
//
// Whether the connection is wanted is one explicit state, given to the ClientController: while
// the chat is on screen, or a reply the visitor waits for is on its way (so a launcher closed
// meanwhile can tell them it finished). A closed launcher the visitor has not opened therefore
// opens no socket and calls no function, and one closed again releases its client once idle.
import { html, type PropertyValues, type TemplateResult } from "lit";
import { api, toErrorInfo, type ChatErrorInfo, type ErrorCode, type MessageStatus } from "../api.js";
import type { ChatHost, ChatStatus } from "./host.js";
import { chatPanelTemplate, liveRegionTemplate } from "./chat-panel.js";
import type { ChatClient } from "../convex-pool.js";
import { AnnouncerController } from "../controllers/announcer.js";
import { ClientController } from "../controllers/client.js";
import { ConnectionController } from "../controllers/connection.js";
import { ConversationController } from "../reply/conversation.js";
import { CopyCodeController } from "../controllers/copy-code.js";
import { RateLimitController } from "../controllers/rate-limit.js";
import { ScrollController } from "../controllers/scroll.js";
import { SessionController } from "../reply/session.js";
import { canResend, logFailure, visitorMessage } from "../error-messages.js";
import { AiChatErrorEvent, AiChatSendEvent, AiChatStreamEndEvent, AiChatStreamStartEvent } from "../events.js";
import { MarkdownCache } from "../markdown/cache.js";
import { format, type ChatStrings } from "../strings.js";
import { placeCursor } from "./streaming-cursor.js";
import { warmConnection } from "../reply/warm.js";
import { OnDemandControllers } from "./on-demand.js";
import { MessageFiles } from "../attach/files.js";
import { TranslationController } from "./translation.js";
import { plainText } from "../plain-text.js";

/** A send that failed: its code, and the text to send again when that may work. */
export type SendFailure = { code: ErrorCode; retryPrompt: string | null };

export class ChatView {
  private _error: SendFailure | null = null;
  /** Enter was pressed while a reply was being written. */
  private _waitAsked = false;
  /** The composer takes the focus at the first render when the panel was opened before the chat loaded. */
  private _focusPending: boolean;

  readonly conversation: ConversationController;
  readonly session: SessionController;
  readonly connection: ConnectionController;
  readonly rateLimit: RateLimitController;
  readonly announcer: AnnouncerController;
  readonly scroll: ScrollController;
  /** The Turnstile check and the history pager, made when first needed. */
  readonly onDemand: OnDemandControllers;
  readonly copy: CopyCodeController;
  readonly markdown = new MarkdownCache();
  private readonly _deployment: ClientController;
  readonly translation: TranslationController;
  /** The files of the message being written (their part loads at the first attach, drop or paste). */
  readonly files: MessageFiles;

  constructor(readonly host: ChatHost) {
    this.translation = new TranslationController(host);
    const messages = () => host.renderRoot?.querySelector<HTMLElement>(".messages");
    this.conversation = new ConversationController(host, {
      onStreamStart: (threadId, streamId, driven) => this._onStreamStart(threadId, streamId, driven),
      onStreamEnd: (threadId, streamId, status, text) => this._onStreamEnd(threadId, streamId, status, text),
      onError: (info) => this._onConversationError(info),
      client: () => this._deployment.client,
    });
    this.onDemand = new OnDemandControllers(host, () => this.conversation.loadEarlier(), this);
    this.session = new SessionController(
      host,
      this.conversation,
      {
        onSendFailed: (err, prompt) => {
          const fallback = err instanceof TypeError ? "The request did not reach the server." : "The request failed.";
          this._fail(toErrorInfo(err, fallback), prompt);
        },
      },
      () => this.onDemand.humanCheckController(),
    );
    this.connection = new ConnectionController(host);
    this.rateLimit = new RateLimitController(host);
    this.announcer = new AnnouncerController(host);
    this.scroll = new ScrollController(host, messages, () => host.thread);
    this.copy = new CopyCodeController(host, () => host.effectiveStrings);
    // Last, so the others exist when it connects at once (the host may already be on the page).
    this._deployment = new ClientController(
      host,
      {
        onClient: (client, url) => this._onClient(client, url),
        onError: (err, url) => this._fail(toErrorInfo(err, `convex-url is not a deployment URL: ${url}`), null),
      },
      { wanted: () => host.visible || this.sending || this.streaming },
    );
    this._focusPending = host.launcher && host.open;
    this.files = new MessageFiles(this);
  }

  /** For the handoff and action-row parts (src/handoff, src/actions): the chat's Lit and function references, so their files carry no copy. */
  readonly html = html;
  readonly api = api;

  /** The deployment's client, once connected. */
  get client(): ChatClient | null {
    return this._deployment.client;
  }

  get error(): SendFailure | null {
    return this._error;
  }

  get waitAsked(): boolean {
    return this._waitAsked;
  }

  get sending(): boolean {
    return this.session.sending || this.session.retrying !== null;
  }

  /** A reply is on its way: driven here, or pending/streaming in the transcript. */
  get streaming(): boolean {
    return this.conversation.driving || this.conversation.hasActiveReply;
  }

  // ---- the element's methods -----------------------------------------------------------

  async send(prompt: string): Promise<void> {
    const host = this.host;
    const files = this.files.part;
    if (!(prompt.trim() || files?.items.length) || host.mode === "observe") return;
    // One send at a time: a second one before the first's answer would start a second thread.
    if (this.sending) {
      this._fail({ code: "REPLY_IN_PROGRESS", message: "A message is still being sent." }, prompt, false);
      return;
    }
    const event = new AiChatSendEvent(prompt);
    host.dispatchEvent(event);
    if (event.defaultPrevented) return;
    this._setError(null);
    this.rateLimit.clear();
    // Sending from script while the launcher is closed connects too.
    const client = this._deployment.client ?? this._deployment.connect();
    if (!client) {
      this._fail({ code: "NOT_CONFIGURED", message: "The element has no usable convex-url." }, prompt);
      return;
    }
    // A mutation sent while offline would wait silently for the connection: say so and keep the text.
    if (!this.connection.online) {
      const message = "Not sent: the deployment is unreachable or the browser is offline.";
      this._fail({ code: "OFFLINE", message }, prompt);
      return;
    }
    // Uploads on their way are waited for; null: one was refused (reported, text and chips kept).
    const ids = await files?.ids(prompt);
    if (ids === null) return;
    this.scroll.showQuestion();
    if (await this.session.send(prompt, ids)) files?.clear();
  }

  async stop(): Promise<void> {
    const client = this._deployment.client;
    const threadId = this.host.thread;
    if (!client || !threadId) return;
    try {
      await client.mutation(api.messages.stop, { threadId, ...this.session.tokenArg });
    } catch (err) {
      this._fail(toErrorInfo(err, "messages:stop failed."), null);
    }
  }

  async shareToken(): Promise<string> {
    const client = this._deployment.client;
    const threadId = this.host.thread;
    if (!client || !threadId) throw new Error("There is no conversation to share yet.");
    const { observerToken } = await client.mutation(api.threads.share, { threadId, ...this.session.tokenArg });
    return observerToken;
  }

  readonly newConversation = (): void => {
    const host = this.host;
    this.conversation.abort();
    this.session.forgetThread();
    this._setError(null);
    this.rateLimit.clear();
    host.unread.clear();
    host.thread = null;
    this.announcer.announce(host.effectiveStrings.newConversationStarted);
    this.focusInput();
  };

  focusInput(): void {
    this.host.renderRoot.querySelector("textarea")?.focus();
  }

  // ---- lifecycle (called by the element) ------------------------------------------------

  willUpdate(changed: PropertyValues<ChatHost>): void {
    const host = this.host;
    // Follows the URL and whether the connection is wanted (opened, closed, a reply over).
    this._deployment.sync();
    // Tokens stay with the site that issued them: another site-url gets its own (or none yet).
    if ((changed.has("siteUrl") || changed.has("storageKey")) && this._deployment.client)
      this.session.restore(host.convexUrl);
    // Rendered Markdown belongs to one transcript.
    if (changed.has("thread") || changed.has("convexUrl") || changed.has("observerToken")) this.markdown.clear();
    // Setting another thread aborts a reply driven for the old one.
    const client = this._deployment.client;
    this.conversation.setTarget(
      client && host.thread ? { client, threadId: host.thread, ...this.session.tokenArg } : null,
    );
    if (!this.streaming) this._waitAsked = false;
    this.session.settlePending(this.conversation.messages);
    this.onDemand.wantEarlier(this.conversation.hasEarlier);
    if (host.humanHandoff || this.conversation.messages?.some((m) => m.role === "operator"))
      void this.onDemand.handoffController().catch(() => {});
    // Back online: "you are offline" no longer holds; the text kept in the box sends with one Send.
    if (this._error?.code === "OFFLINE" && this.connection.online) this._error = null;
    host.status = this._computeStatus();
    // The send goes out on a connection opened while the visitor reads and types.
    if (host.visible && host.mode === "chat") warmConnection(host.effectiveSiteUrl);
  }

  updated(changed: PropertyValues<ChatHost>): void {
    const host = this.host;
    if ((changed.has("open") || this._focusPending) && host.launcher && host.open) this.focusInput();
    this._focusPending = false;
    const root = host.renderRoot as ShadowRoot;
    placeCursor(root, root.querySelector(".bubble.streaming"));
  }

  render(strings: ChatStrings, heading: string): TemplateResult {
    return chatPanelTemplate(this, strings, heading);
  }

  /** The polite live region, heard while the launcher's panel is closed. */
  renderLiveRegion(): TemplateResult {
    return liveRegionTemplate(this.announcer.text);
  }

  // ---- what happened -------------------------------------------------------------------

  private _onClient(client: ChatClient | null, url: string): void {
    if (client) {
      this.session.restore(url);
    } else {
      // Also aborts a reply being driven: the client it streams for is closing.
      this.conversation.setTarget(null);
    }
    this.connection.setClient(client);
  }

  private _computeStatus(): ChatStatus {
    if (this._error || this.rateLimit.waiting || this._lastReplyFailed()) return "error";
    if (this.sending) return "sending";
    if (this.streaming) return "streaming";
    return "idle";
  }

  /** The last message is a reply that failed or timed out. */
  private _lastReplyFailed(): boolean {
    const last = this.conversation.messages?.at(-1);
    return (
      last?.role === "assistant" && (last.status === "error" || last.status === "timeout") && !this.session.retrying
    );
  }

  private _onConversationError(info: ChatErrorInfo): void {
    // A remembered thread that is gone (deleted, or the deployment was reset) must not leave
    // the visitor stuck: forget it quietly and start fresh on the next send.
    if (info.code === "UNAUTHORIZED" && this.session.remembers(this.host.thread)) {
      this.newConversation();
      return;
    }
    this._fail(info, null);
  }

  /**
   * A failure: the visitor sees a sentence from `strings`; the detail goes to the console and the
   * event. `endsSend`: the failure ends the send in flight (not so for a second send refused meanwhile).
   * Not private: the attach part fails a send whose upload was refused through it.
   */
  _fail(info: ChatErrorInfo, prompt: string | null, endsSend = true): void {
    const ui = this.host.ui;
    if (endsSend) this.session.dropPending();
    if (prompt && !ui.draft) ui.setDraft(prompt);
    if (info.code === "RATE_LIMITED") {
      this.rateLimit.start(info.retryAfterMs);
    } else {
      this._setError({ code: info.code, retryPrompt: prompt && canResend(info.code) ? prompt : null });
    }
    this._report(info);
  }

  /** Not private: the attach and action-row parts report failures through it. */
  _report(info: ChatErrorInfo): void {
    logFailure(info);
    this.host.dispatchEvent(new AiChatErrorEvent(info.code, info.message));
  }

  private _setError(error: SendFailure | null): void {
    this._error = error;
    this.host.requestUpdate();
  }

  private _onStreamStart(threadId: string, streamId: string, driven: boolean): void {
    this.announcer.announce(this.host.effectiveStrings.responding);
    this.host.dispatchEvent(new AiChatStreamStartEvent(threadId, streamId, driven));
  }

  private _onStreamEnd(threadId: string, streamId: string, status: MessageStatus, text: string): void {
    const host = this.host;
    const strings = host.effectiveStrings;
    const unseen = host.launcher && !host.open;
    if (unseen && status === "done") host.unread.add(plainText(text));
    if (status === "error" || status === "timeout") {
      const detail = this.conversation.messages?.find((m) => m.streamId === streamId)?.error;
      const code = status === "timeout" ? "REPLY_TIMEOUT" : "REPLY_FAILED";
      this._report({ code, message: detail || visitorMessage({ code }, strings) });
    }
    const said =
      status === "done"
        ? unseen
          ? format(strings.newReply, { preview: host.unread.preview })
          : strings.responseComplete
        : status === "stopped"
          ? strings.stopped
          : status === "timeout"
            ? strings.timeoutError
            : strings.replyError;
    this.announcer.announce(said);
    host.dispatchEvent(new AiChatStreamEndEvent(threadId, streamId, status, text));
  }

  // ---- the visitor's input (bound by chat-panel.ts) -------------------------------------

  readonly onSubmit = (e: Event): void => {
    e.preventDefault();
    const ui = this.host.ui;
    const prompt = ui.draft;
    if (!(prompt.trim() || this.files.part?.items.length) || this.sending) return;
    if (this.streaming) {
      // The text stays in the box; the hint under it says why it waits.
      this._waitAsked = true;
      this.host.requestUpdate();
      return;
    }
    const limit = this.connection.maxPromptChars;
    if (limit > 0 && prompt.length > limit) return;
    ui.setDraft("");
    this.focusInput();
    void this.send(prompt);
  };

  readonly onKeydown = (e: KeyboardEvent): void => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.onSubmit(e);
    }
  };

  readonly onInput = (e: Event): void => {
    this.host.ui.setDraft((e.target as HTMLTextAreaElement).value);
    warmConnection(this.host.effectiveSiteUrl);
  };

  readonly onStop = (): void => {
    void this.stop();
    this.focusInput();
  };

  /** Retry on the banner: sends the text of a send that failed again. */
  readonly onResend = (prompt: string): void => {
    const ui = this.host.ui;
    this._setError(null);
    if (ui.draft === prompt) ui.setDraft("");
    void this.send(prompt);
    this.focusInput();
  };

  /** Retry on a failed reply: generates it again in place (one question, one answer). */
  readonly onRegenerate = (messageId: string): void => {
    this._setError(null);
    this.scroll.jumpToLatest();
    void this.session.retry(messageId);
    this.focusInput();
  };

  readonly onScroll = (): void => {
    this.scroll.onScroll();
    this.onDemand.earlier?.onScroll();
  };
}
