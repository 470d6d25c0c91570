// The visitor's session, and sending as the visitor. The session is `{ threadId, token }`,
// stored per (deployment URL, site URL) pair (storage.ts) so a reload restores the conversation
// and a token is sent only to the site URL it was issued with. `send()` hands the prompt to the
// ConversationController, which sends it in one request and drives the reply; a first message
// also creates the thread, and a new visitor's token, which are stored as soon as the answer
// begins. Until the transcript shows the prompt it is `pendingPrompt`, so the host can show it
// at once. It has nothing to start or stop with the host's lifecycle (the
// ClientController says when a deployment's session can be restored), so it registers no hooks.
import type { ReactiveControllerHost } from "lit";
import type { MessageView } from "../api.js";
import type { ReplyIds, VisitorClaim } from "../../convex/lib/chatProtocol.js";
import { newRequestId } from "./post.js";
import { prepareProofOfWork, takeProofOfWork } from "./pow.js";
import { loadSession, saveSession, type StoredSession } from "../storage.js";
import type { ConversationController } from "./conversation.js";
import type { HumanCheckController } from "./human-check.js";

export interface SessionHost extends ReactiveControllerHost {
  convexUrl: string;
  thread: string | null;
  observerToken: string;
  /** Cloudflare Turnstile site key: a new visitor's token is minted only after the check. */
  turnstileSiteKey: string;
  /** Who the host page says the visitor is, sent with each message (docs/visitor-identity.md). */
  visitor?: VisitorClaim;
  readonly effectiveSiteUrl: string;
  /** Which widget of the deployment this is: each keeps its own conversation. */
  readonly effectiveStorageKey: string;
}

export interface SessionCallbacks {
  /** Creating the thread, sending or retrying failed (and the host still shows that deployment and thread). `prompt` is null for a retry. */
  onSendFailed(err: unknown, prompt: string | null): void;
}

/** A prompt sent from here that the transcript does not show yet. */
type PendingPrompt = {
  prompt: string;
  /** The thread it went to, once known (a first message's thread is known when the answer begins). */
  threadId: string | null;
  /** Its message, once the answer said which. */
  userMessageId: string | null;
  /** Transcript length when it was sent: until its message is known, its echo can only come after. */
  countAtSend: number;
};

export class SessionController {
  /** A POST is waiting for its answer (the prompt is not known to be stored yet). */
  sending = false;
  /** The failed reply being generated again, until its replacement is being driven. */
  retrying: string | null = null;
  private _pending: PendingPrompt | null = null;
  /** Counts sends, so only the latest settles `sending` (another deployment's may still settle). */
  private _generation = 0;
  private _session: StoredSession | null = null;

  constructor(
    private readonly _host: SessionHost,
    private readonly _conversation: ConversationController,
    private readonly _cb: SessionCallbacks,
    /** The Turnstile check, loaded when a new visitor's first send needs it. */
    private readonly _humanCheck: () => Promise<HumanCheckController>,
  ) {}

  /** The prompt being sent, shown as its own bubble until the transcript holds it. */
  get pendingPrompt(): string | null {
    return this._pending?.prompt ?? null;
  }

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
    // A new visitor's first message will carry proof of work: solve it while they type.
    if (!this._session?.token && !host.turnstileSiteKey && !host.observerToken)
      prepareProofOfWork(host.effectiveSiteUrl);
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

  /** The pending prompt still needs its own bubble: the thread shown is its own, and its transcript does not show it yet. */
  showsPendingPrompt(messages: MessageView[]): boolean {
    const pending = this._pending;
    if (!pending || pending.threadId !== this._host.thread) return false;
    if (pending.userMessageId !== null) return !messages.some((m) => m._id === pending.userMessageId);
    if (messages.length <= pending.countAtSend) return true;
    return !messages.slice(pending.countAtSend).some((m) => m.role === "user" && m.text === pending.prompt);
  }

  /** Forgets the pending prompt once the transcript holds it (called before each render). */
  settlePending(messages: MessageView[] | undefined): void {
    if (!this.sending && this._pending && messages && !this.showsPendingPrompt(messages)) this._pending = null;
  }

  /** A failure took the pending prompt back (into the message box). */
  dropPending(): void {
    this._pending = null;
    this.sending = false;
  }

  /**
   * Sends `prompt` in one request (src/reply/post.ts): to the visitor's thread, or a new one (and
   * as a new visitor, whose token the answer brings). Failures go to `onSendFailed`. One send at
   * a time (the host refuses a second while `sending`): it would start a second thread.
   * `attachments`: upload IDs sent with it. Resolves whether the prompt was stored.
   */
  async send(prompt: string, attachments?: string[]): Promise<boolean> {
    const host = this._host;
    const url = host.convexUrl;
    const siteUrl = host.effectiveSiteUrl;
    const generation = ++this._generation;
    const threadAtSend = host.thread;
    const session = this._session;
    // A thread shown without a stored session (set from outside) is not the visitor's to write in.
    const own = session?.token && threadAtSend && session.threadId === threadAtSend ? threadAtSend : null;
    const pending: PendingPrompt = {
      prompt,
      threadId: own,
      userMessageId: null,
      countAtSend: own ? (this._conversation.messages?.length ?? 0) : 0,
    };
    this._pending = pending;
    this.sending = true;
    let stored = false;
    host.requestUpdate();
    try {
      const token = session?.token ?? null;
      const turnstileToken =
        token === null && host.turnstileSiteKey
          ? await (await this._humanCheck()).challenge(host.turnstileSiteKey)
          : null;
      const pow = token === null && !turnstileToken ? await takeProofOfWork(siteUrl) : null;
      if (url !== host.convexUrl || siteUrl !== host.effectiveSiteUrl) return stored;
      await this._conversation.send({
        siteUrl,
        body: {
          prompt,
          // Absent (undefined) from the JSON without files, or without a `visitor` set.
          attachments,
          visitor: host.visitor,
          ...(own ? { threadId: own, requestId: newRequestId() } : {}),
          ...(token ? { token } : {}),
          ...(turnstileToken ? { turnstileToken } : {}),
          ...(pow ? { pow } : {}),
        },
        onIds: (ids) => {
          stored = true;
          const shown = this._adopt(ids, url, siteUrl, threadAtSend, own);
          if (generation === this._generation) {
            // The prompt is stored: it shows until the transcript has it, and no longer blocks sending.
            pending.threadId = ids.threadId;
            pending.userMessageId = ids.userMessageId ?? null;
            this.sending = false;
          }
          return shown;
        },
      });
    } catch (err) {
      if (url !== host.convexUrl || threadAtSend !== host.thread || isAbort(err)) return stored;
      this._cb.onSendFailed(err, prompt);
    } finally {
      if (generation === this._generation) {
        if (this.sending) this._pending = null;
        this.sending = false;
        host.requestUpdate();
      }
    }
    return stored;
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
      await this._conversation.send({
        siteUrl: host.effectiveSiteUrl,
        body: { retry: messageId, threadId, token },
        onIds: (ids) => url === host.convexUrl && ids.threadId === host.thread,
      });
    } catch (err) {
      if (url !== host.convexUrl || threadId !== host.thread || isAbort(err)) return;
      this._cb.onSendFailed(err, null);
    } finally {
      this.retrying = null;
      host.requestUpdate();
    }
  }

  /**
   * A send's answer began. A new visitor's token and a new thread are stored at once (the token is
   * the only copy), and a new thread becomes the one shown, unless the visitor left for another
   * meanwhile. Returns whether the reply's thread is the one shown.
   */
  private _adopt(ids: ReplyIds, url: string, siteUrl: string, threadAtSend: string | null, own: string | null) {
    const host = this._host;
    if (url !== host.convexUrl || siteUrl !== host.effectiveSiteUrl) return false;
    if (own) return ids.threadId === host.thread;
    const token = ids.token ?? this._session?.token;
    if (!token) return false;
    const stays = host.thread === threadAtSend;
    this._session = { threadId: stays ? ids.threadId : (this._session?.threadId ?? null), token };
    saveSession(url, siteUrl, this._session, host.effectiveStorageKey);
    if (stays) host.thread = ids.threadId;
    return stays;
  }
}

function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === "AbortError";
}
