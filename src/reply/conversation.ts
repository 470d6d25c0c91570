// Owns what a thread's replies show. The messages come from `MessagePagesController` (history
// pages and the live end, where replies come without their text); each reply is one `Reply`
// (src/reply/reply.ts), which owns its text, its status and where that text comes from: the POST
// this page sent (it drives the reply) or the subscription (it follows one). Text that grows
// renders at the pace of `UpdatePacer`; anything else (a status change, the end of a reply)
// renders at once.
//
// `send()` is the one request from Send to the model (src/reply/post.ts): it resolves with the
// ids once the reply's answer has begun, and the reply is then driven from its body. The host
// calls `send()`, `abort()` and `loadEarlier()`, nothing in between.
import type { ReactiveController, ReactiveControllerHost } from "lit";
import { api, isActive, type ChatErrorInfo, type MessageStatus, type MessageView } from "../api.js";
import type { ChatStreamBody, ReplyIds } from "../../convex/lib/chatProtocol.js";
import { ChatRequestError, postChat, whileBusy } from "./post.js";
import { ticketFor } from "./warm.js";
import type { ChatClient } from "../convex-pool.js";
import { Reply, type ReplyOwner, type ReplySource } from "./reply.js";
import { MessagePagesController, type MessagePagesTarget } from "./message-pages.js";
import { UpdatePacer } from "./update-pacer.js";

export type { Reply };

export type ConversationTarget = MessagePagesTarget;

export interface ConversationCallbacks {
  onStreamStart(threadId: string, streamId: string, driven: boolean): void;
  onStreamEnd(threadId: string, streamId: string, status: MessageStatus, text: string): void;
  /** A subscription failed (the thread or reply could not be read). */
  onError(info: ChatErrorInfo): void;
  /** The deployment's client, for a new visitor's send queued over the socket (no thread shown yet). */
  client(): ChatClient | null;
}

/** What `send()` posts, and who decides whether its reply is shown here. */
export type SendOptions = {
  siteUrl: string;
  body: ChatStreamBody;
  /**
   * The answer began: `ids` say which thread, messages and stream (and, for a new visitor, the
   * token). Returns whether this page shows that thread (a new thread becomes the host's now).
   */
  onIds(ids: ReplyIds): boolean;
};

export class ConversationController implements ReactiveController {
  private readonly _replies = new Map<string, Reply>();
  private _target: ConversationTarget = null;
  private _key = "";
  private _connected = false;
  /** The thread the last send created: it has no history to read. */
  private _created: string | null = null;
  /** POSTs waiting for their answer; a new reply in the live end may be theirs: do not follow it yet. */
  private readonly _sends = new Set<AbortController>();
  /** Paces the host updates that text growth asks for. */
  private readonly _growth: UpdatePacer;
  private readonly _pages: MessagePagesController;
  private readonly _owner: ReplyOwner;

  constructor(
    private readonly _host: ReactiveControllerHost,
    private readonly _cb: ConversationCallbacks,
  ) {
    _host.addController(this);
    this._growth = new UpdatePacer(_host);
    this._pages = new MessagePagesController(_host, {
      onMessages: (messages) => this._reconcile(messages),
      isSettled: (messageId) => this._replies.get(messageId)?.final === true,
      onError: (info) => this._cb.onError(info),
    });
    this._owner = {
      grew: () => this._growth.schedule(),
      changed: () => {
        this._pages.settle();
        this._host.requestUpdate();
      },
      started: (reply, driven) => this._cb.onStreamStart(reply.threadId, reply.streamId!, driven),
      ended: (reply) => this._cb.onStreamEnd(reply.threadId, reply.streamId!, reply.status, reply.text),
      handedOver: () => {
        if (this.messages) this._reconcile(this.messages);
        else this._host.requestUpdate();
      },
      source: (reply) => this._sourceFor(reply),
      failed: (info) => this._cb.onError(info),
    };
  }

  /** The transcript, oldest first; `undefined` until the first page arrived (or with no thread). */
  get messages(): MessageView[] | undefined {
    return this._pages.messages;
  }

  /** Older history may exist beyond the first message shown: `loadEarlier()` reads it. */
  get hasEarlier(): boolean {
    return this._pages.hasEarlier;
  }

  /** A `loadEarlier()` is in flight. */
  get loadingEarlier(): boolean {
    return this._pages.loadingEarlier;
  }

  reply(messageId: string): Reply | undefined {
    return this._replies.get(messageId);
  }

  /**
   * Replies this page drives that `messages` does not list yet (a first message's thread is still
   * being read), as views to show after it: the reply's first words need not wait for the read.
   */
  unlisted(messages: readonly MessageView[]): MessageView[] {
    const views: MessageView[] = [];
    for (const r of this._replies.values()) {
      if (!r.driving || messages.some((m) => m._id === r.messageId)) continue;
      views.push({
        _id: r.messageId,
        _creationTime: 0,
        role: "assistant",
        status: r.status,
        text: "",
        streamId: r.streamId,
        error: null,
        model: null,
        createdAt: 0,
        updatedAt: 0,
        length: 0,
      });
    }
    return views;
  }

  /** True while this element streams a reply over HTTP. */
  get driving(): boolean {
    for (const r of this._replies.values()) if (r.driving) return true;
    return false;
  }

  /** True while any reply in the thread is pending or streaming. */
  get hasActiveReply(): boolean {
    for (const r of this._replies.values()) if (!r.final && isActive(r.status)) return true;
    return false;
  }

  /**
   * Points the controller at a thread (or at nothing). Same target: no-op. Replies of another
   * thread stop; a reply this page drives in the new thread (its own send just made it) stays.
   */
  setTarget(target: ConversationTarget): void {
    const key = target ? `${target.threadId}\u0000${target.token ?? ""}` : "";
    if (key === this._key && target?.client === this._target?.client) return;
    this._growth.cancel();
    for (const [id, reply] of this._replies) {
      if (target && reply.threadId === target.threadId && reply.driving) continue;
      reply.dispose();
      this._replies.delete(id);
    }
    this._key = key;
    this._target = target;
    this._pages.setTarget(target, target !== null && target.threadId === this._created);
    this._created = null;
    this._host.requestUpdate();
  }

  /**
   * Sends the request and drives its reply. Resolves with the ids once the answer has begun (the
   * reply then shows and ends through the callbacks); rejects with the refusal or the network
   * error. `abort()` and a change of client abandon it.
   */
  async send({ siteUrl, body, onIds }: SendOptions): Promise<ReplyIds> {
    const request = new AbortController();
    this._sends.add(request);
    let started;
    try {
      started = await postChat(siteUrl, body, request.signal).catch(async (err: unknown) => {
        // Every slot of the site busy: the same body over the socket, generated in the background
        // and followed like any reply (convex/chat.ts `queue`). A visitor in their thread, or a
        // new visitor with the warm-up's ticket (and the proof of work the refused POST carried).
        // The deployment refuses before the app's CORS headers are set, so a page on another
        // origin sees no 429, only a failed fetch: that queues too (with a request ID, a POST
        // that did land is found, not stored twice). With Turnstile on, the ticket is first
        // traded, with the token the refused POST carried, for a checked one.
        const client = this._target?.client ?? this._cb.client();
        const token = "token" in body ? body.token : undefined;
        const threadId = "threadId" in body ? body.threadId : undefined;
        const ticket = token ? undefined : ticketFor(siteUrl);
        if (!(
          ((err instanceof ChatRequestError && err.busy) || err instanceof TypeError) &&
          client &&
          (token ? threadId : ticket && "prompt" in body)
        ))
          throw err;
        const which =
          "retry" in body
            ? { retry: body.retry }
            : "prompt" in body
              ? {
                  prompt: body.prompt,
                  ...(body.requestId ? { requestId: body.requestId } : {}),
                  ...(body.pow ? { pow: body.pow } : {}),
                  ...(body.visitor ? { visitor: body.visitor } : {}),
                }
              : {};
        const turnstileToken = "turnstileToken" in body ? body.turnstileToken : undefined;
        const checked = turnstileToken
          ? (
              await whileBusy(
                () => client.action(api.chat.checkHuman, { ticket: ticket!, turnstileToken }),
                request.signal,
              )
            ).ticket
          : ticket;
        return {
          ids: await whileBusy(
            () =>
              client.mutation(api.chat.queue, token ? { token, threadId, ...which } : { ticket: checked, ...which }),
            request.signal,
          ),
          body: null,
        };
      });
    } catch (err) {
      this._sends.delete(request);
      if (this.messages) this._reconcile(this.messages);
      throw err;
    }
    this._sends.delete(request);
    const { ids } = started;
    if (request.signal.aborted || !onIds(ids)) {
      // Left behind (another thread shown meanwhile): the deployment finishes and keeps it.
      request.abort();
      return ids;
    }
    // The reply this regenerates is gone on the server; history pages are never re-sent.
    if ("retry" in body) this._forget(body.retry);
    if (!("threadId" in body) && this._target?.threadId !== ids.threadId) this._created = ids.threadId;
    // Held by an operator: the prompt is stored, no reply to follow.
    if ("streamId" in ids) {
      const reply = this._ensureReply(ids.assistantMessageId, ids.threadId, ids.streamId);
      if (started.body) reply.drive(started.body, request);
    }
    if (this.messages) this._reconcile(this.messages);
    this._host.requestUpdate();
    return ids;
  }

  /**
   * Abandons what this element reads for the thread shown, for a host about to leave it: POSTs
   * still waiting for their answer, and every reply's body and subscription.
   */
  abort(): void {
    for (const request of this._sends) request.abort();
    this._sends.clear();
    for (const reply of this._replies.values()) reply.detach();
  }

  /**
   * Reads the page of history before the oldest message shown and puts it in front. Resolves
   * when it is shown; no-op while one is in flight.
   */
  loadEarlier(): Promise<void> {
    return this._pages.loadEarlier();
  }

  hostConnected(): void {
    this._connected = true;
  }

  hostDisconnected(): void {
    this._connected = false;
    // Nothing is read once the element leaves the page; on return, the subscription follows.
    // Moved rather than removed (`otherParent.append(el)`: disconnected and connected again in
    // the same task), it keeps reading its body: the reply goes on streaming where it was.
    queueMicrotask(() => {
      if (this._connected) return;
      this.abort();
      this._growth.cancel();
    });
  }

  /** Drops a message the server deleted (a reply a retry replaced). */
  private _forget(messageId: string): void {
    this._replies.get(messageId)?.dispose();
    this._replies.delete(messageId);
    this._pages.forget(messageId);
  }

  private _reconcile(messages: MessageView[]): void {
    const target = this._target;
    if (!target) return;
    // While a POST waits for its answer, a new reply may be its own: only the answer says so.
    const sending = this._sends.size > 0;
    for (const m of messages) {
      if (m.role !== "assistant") continue;
      const reply = this._ensureReply(m._id, target.threadId, m.streamId);
      reply.update(m, !sending || reply.following);
    }
    this._host.requestUpdate();
  }

  private _ensureReply(messageId: string, threadId: string, streamId: string | null): Reply {
    let reply = this._replies.get(messageId);
    if (!reply) {
      reply = new Reply(messageId, threadId, streamId, this._owner);
      this._replies.set(messageId, reply);
    } else if (!reply.streamId && streamId) {
      reply.streamId = streamId;
    }
    return reply;
  }

  /** Replies of the thread shown read from its client, with its token, while on the page. */
  private _sourceFor(reply: Reply): ReplySource | null {
    const target = this._target;
    if (!target || !this._connected || target.threadId !== reply.threadId) return null;
    return { client: target.client, ...(target.token ? { token: target.token } : {}) };
  }
}
