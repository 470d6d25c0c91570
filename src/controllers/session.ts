// The visitor's session, and sending as the visitor. The session is `{ threadId, token }`,
// stored per (deployment URL, site URL) pair (storage.ts) so a reload restores the conversation
// and a token is sent only to the site URL it was issued with. `send()`
// creates the thread the first time, then hands the prompt to the ConversationController, which
// sends it and drives the reply. Until the server has the prompt it is `pendingPrompt`, so the
// host can show it at once. It has nothing to start or stop with the host's lifecycle (the
// ClientController says when a deployment's session can be restored), so it registers no hooks.
import type { ReactiveControllerHost } from "lit";
import { api, type MessageView } from "../api.js";
import type { ChatClient } from "../convex-pool.js";
import { loadSession, saveSession, type StoredSession } from "../storage.js";
import type { ConversationController } from "./conversation.js";
import type { HumanCheckController } from "./human-check.js";

export interface SessionHost extends ReactiveControllerHost {
  convexUrl: string;
  thread: string | null;
  observerToken: string;
  /** Cloudflare Turnstile site key: a new visitor's token is minted only after the check. */
  turnstileSiteKey: string;
  readonly effectiveSiteUrl: string;
  /** Which widget of the deployment this is: each keeps its own conversation. */
  readonly effectiveStorageKey: string;
}

export interface SessionCallbacks {
  /** Creating the thread, sending or retrying failed (and the host still shows that deployment and thread). `prompt` is null for a retry. */
  onSendFailed(err: unknown, prompt: string | null): void;
}

export class SessionController {
  /** The prompt being sent, until the server has it (or the send failed). */
  pendingPrompt: string | null = null;
  /** The failed reply being generated again, until its replacement is being driven. */
  retrying: string | null = null;
  /** Transcript length when the pending prompt was sent: its echo can only come after. */
  private _countAtSend = 0;
  private _session: StoredSession | null = null;

  constructor(
    private readonly _host: SessionHost,
    private readonly _conversation: ConversationController,
    private readonly _cb: SessionCallbacks,
    private readonly _humanCheck: HumanCheckController,
  ) {}

  /** The token that reads this thread: the observer token if given, else the visitor's. */
  get tokenArg(): { token?: string } {
    const token = this._host.observerToken || this._session?.token;
    return token ? { token } : {};
  }

  /**
   * The client for `url` is ready (or the site URL changed): restore the stored session for the
   * pair, and its thread if the host shows none.
   */
  restore(url: string): void {
    this._session = loadSession(url, this._host.effectiveSiteUrl, this._host.effectiveStorageKey);
    const host = this._host;
    if (!host.thread && !host.observerToken && this._session?.threadId) host.thread = this._session.threadId;
  }

  /** Whether `threadId` is the visitor's own remembered thread (not one shared with them). */
  remembers(threadId: string | null): boolean {
    return !this._host.observerToken && threadId !== null && threadId === this._session?.threadId;
  }

  /**
   * The next send starts a new thread; the token is kept, so earlier threads stay the visitor's.
   * Written to storage even before the session was restored (a launcher not opened yet has no
   * client): otherwise connecting later would restore the thread the visitor left.
   */
  forgetThread(): void {
    const host = this._host;
    const session = this._session ?? loadSession(host.convexUrl, host.effectiveSiteUrl, host.effectiveStorageKey);
    if (!session) return;
    this._session = { ...session, threadId: null };
    saveSession(host.convexUrl, host.effectiveSiteUrl, this._session, host.effectiveStorageKey);
  }

  /** The pending prompt still needs its own bubble: the transcript does not show it yet. */
  showsPendingPrompt(messages: MessageView[]): boolean {
    const prompt = this.pendingPrompt;
    if (prompt === null) return false;
    if (messages.length <= this._countAtSend) return true;
    return !messages.slice(this._countAtSend).some((m) => m.role === "user" && m.text === prompt);
  }

  /** Sends `prompt` on `client`, creating the thread first if there is none. Failures go to `onSendFailed`. */
  async send(client: ChatClient, prompt: string): Promise<void> {
    const host = this._host;
    const url = host.convexUrl;
    this.pendingPrompt = prompt;
    this._countAtSend = this._conversation.messages?.length ?? 0;
    host.requestUpdate();
    let threadId = host.thread;
    try {
      let session = this._session;
      if (!session || !threadId) {
        const siteUrl = host.effectiveSiteUrl;
        const token =
          session?.token ??
          (host.turnstileSiteKey ? await this._humanCheck.visitorToken(siteUrl, host.turnstileSiteKey) : null);
        if (url !== host.convexUrl || siteUrl !== host.effectiveSiteUrl) return;
        const created = await client.mutation(api.threads.create, {
          ...(token ? { token } : {}),
          origin: location.origin,
        });
        if (url !== host.convexUrl) return;
        session = { threadId: created.threadId, token: created.token };
        this._session = session;
        saveSession(url, host.effectiveSiteUrl, session, host.effectiveStorageKey);
        host.thread = threadId = created.threadId;
        // The conversation follows the new thread before the reply is driven in it.
        await host.updateComplete;
      }
      await this._conversation.drive({ prompt, token: session.token, siteUrl: host.effectiveSiteUrl });
    } catch (err) {
      if (url !== host.convexUrl || threadId !== host.thread) return;
      this._cb.onSendFailed(err, prompt);
    } finally {
      if (url === host.convexUrl) {
        this.pendingPrompt = null;
        host.requestUpdate();
      }
    }
  }

  /** Generates the failed last reply `messageId` again, in place. Failures go to `onSendFailed`. */
  async retry(messageId: string): Promise<void> {
    const host = this._host;
    const url = host.convexUrl;
    const threadId = host.thread;
    const token = this._session?.token;
    if (!token || !threadId || this.retrying) return;
    this.retrying = messageId;
    host.requestUpdate();
    try {
      await this._conversation.regenerate({ messageId, token, siteUrl: host.effectiveSiteUrl });
    } catch (err) {
      if (url !== host.convexUrl || threadId !== host.thread) return;
      this._cb.onSendFailed(err, null);
    } finally {
      this.retrying = null;
      host.requestUpdate();
    }
  }
}
