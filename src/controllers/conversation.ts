// Owns what a thread's replies show. The messages come from `MessagePagesController` (history
// pages and the live end, where replies come without their text). For every reply still being
// generated that this element is not driving itself, a `StreamFollower` streams its text from
// `streams:tail` and reads any gap once. Keeps one text buffer per reply that only ever grows
// (drive and follow both feed it); a finished reply's text is whatever the buffer holds up to
// its persisted length, read once where it lacks some. Text that grows renders at the pace of
// `UpdatePacer`; anything else (a status change, the end of a reply) renders at once.
//
// It also owns the drive/follow handover: `drive()` sends a prompt and streams the reply over
// HTTP through its `DriverController`; when that body is unusable the same reply continues from
// the subscription. The host calls `drive()`, `abort()` and `loadEarlier()`, nothing in between.
import type { ReactiveController, ReactiveControllerHost } from "lit";
import {
  api,
  FINAL_STATUSES,
  isActive,
  toErrorInfo,
  type ChatErrorInfo,
  type MessageStatus,
  type MessageView,
} from "../api.js";
import { StreamFollower } from "../stream-follower.js";
import type { ChatClient } from "../convex-pool.js";
import { DriverController, type DriveRequest } from "./driver.js";
import { MessagePagesController, type MessagePagesTarget } from "./message-pages.js";
import { UpdatePacer } from "./update-pacer.js";

export type Reply = {
  /** Text shown so far; a prefix of the reply until `final`, then exactly the persisted text. */
  text: string;
  status: MessageStatus;
  streamId: string | null;
  final: boolean;
  started: boolean;
  ended: boolean;
  /** Set once `messages:live` says the reply finished: its persisted length and status. */
  end?: { status: MessageStatus; length: number; error: string | null };
};

export type ConversationTarget = MessagePagesTarget;

export interface ConversationCallbacks {
  onStreamStart(threadId: string, streamId: string, driven: boolean): void;
  onStreamEnd(threadId: string, streamId: string, status: MessageStatus, text: string): void;
  /** A subscription failed (the thread or reply could not be read). */
  onError(info: ChatErrorInfo): void;
  /** The server refused to stream a driven reply, with a reason; it continues from the subscription. */
  onDriveRefused(info: ChatErrorInfo): void;
}

/** What `drive()` needs besides the target: who sends, and where the HTTP actions live. */
export type DriveOptions = { prompt: string; token: string; siteUrl: string };
/** What `regenerate()` needs: the failed reply, who asks, and where the HTTP actions live. */
export type RegenerateOptions = { messageId: string; token: string; siteUrl: string };

export class ConversationController implements ReactiveController {
  private readonly _replies = new Map<string, Reply>();
  private readonly _follows = new Map<string, StreamFollower>();
  private readonly _driving = new Set<string>();
  private _target: ConversationTarget = null;
  private _key = "";
  private _connected = false;
  private _sendInFlight = false;
  /** Paces the host updates that text growth asks for. */
  private readonly _growth: UpdatePacer;
  private readonly _driver: DriverController;
  private readonly _pages: MessagePagesController;

  constructor(
    private readonly _host: ReactiveControllerHost,
    private readonly _cb: ConversationCallbacks,
  ) {
    _host.addController(this);
    this._growth = new UpdatePacer(_host);
    this._driver = new DriverController(_host, {
      onStart: (req) => this._markStarted(req.messageId),
      onText: (req, text) => this._applyDriven(req.messageId, text),
      onComplete: (req) => this._driveEnded(req.messageId),
      onHandover: (req, error) => {
        this._handOver(req.messageId);
        if (error) this._cb.onDriveRefused(error);
      },
    });
    this._pages = new MessagePagesController(_host, {
      onMessages: (messages) => this._reconcile(messages),
      isSettled: (messageId) => this._replies.get(messageId)?.final === true,
      onError: (info) => this._cb.onError(info),
    });
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

  /** True while this element streams a reply over HTTP. */
  get driving(): boolean {
    return this._driver.active !== null;
  }

  /** True while any reply in the thread is pending or streaming. */
  get hasActiveReply(): boolean {
    for (const r of this._replies.values()) if (!r.final && isActive(r.status)) return true;
    return false;
  }

  /** Points the controller at a thread (or at nothing). Same target: no-op. */
  setTarget(target: ConversationTarget): void {
    const key = target ? `${target.threadId}\u0000${target.token ?? ""}` : "";
    if (key === this._key && target?.client === this._target?.client) return;
    this._stopAll();
    // A reply driven for another thread must not land in this one.
    this._driver.abort();
    this._key = key;
    this._target = target;
    this._replies.clear();
    this._driving.clear();
    this._sendInFlight = false;
    this._pages.setTarget(target);
    this._host.requestUpdate();
  }

  /**
   * Sends `prompt` to the target thread (`messages:send`) and streams the reply over HTTP.
   * Resolves once the reply is being driven (it then shows and ends through the callbacks), or
   * without effect when the target changed meanwhile; rejects with the send's error.
   */
  async drive({ prompt, token, siteUrl }: DriveOptions): Promise<void> {
    await this._createAndDrive(token, siteUrl, (client, threadId) =>
      client.mutation(api.messages.send, { threadId, token, prompt }),
    );
  }

  /**
   * Generates the failed last reply `messageId` again (`messages:retry`, which replaces it with
   * a new pending reply to the same prompt) and streams the new one, like `drive()`.
   */
  async regenerate({ messageId, token, siteUrl }: RegenerateOptions): Promise<void> {
    await this._createAndDrive(token, siteUrl, async (client, threadId) => {
      const created = await client.mutation(api.messages.retry, { threadId, token, messageId });
      this._forget(messageId);
      return created;
    });
  }

  /**
   * Drops a message the server deleted (a reply `messages:retry` replaced). History pages are
   * read once and never re-sent, so no update would take it out of the transcript.
   */
  private _forget(messageId: string): void {
    this._stopFollow(messageId);
    this._replies.delete(messageId);
    this._pages.forget(messageId);
  }

  private async _createAndDrive(
    token: string,
    siteUrl: string,
    create: (client: ChatClient, threadId: string) => Promise<{ assistantMessageId: string; streamId: string }>,
  ): Promise<void> {
    const target = this._target;
    if (!target) throw new Error("drive() needs a thread to send to.");
    const key = this._key;
    // While the mutation is in flight, a new pending reply is about to be driven here: do not follow it yet.
    this._sendInFlight = true;
    let created;
    try {
      created = await create(target.client, target.threadId);
    } catch (err) {
      if (key === this._key) {
        this._sendInFlight = false;
        if (this.messages) this._reconcile(this.messages);
      }
      throw err;
    }
    if (key !== this._key) return;
    this._beginDrive(created.assistantMessageId, created.streamId);
    const request: DriveRequest = {
      siteUrl,
      token,
      threadId: target.threadId,
      streamId: created.streamId,
      messageId: created.assistantMessageId,
    };
    void this._driver.drive(request);
  }

  /**
   * Stops reading the driven reply's body now, for a host about to leave the thread (`setTarget`
   * aborts too, but only at the next update). The reply is not followed instead: it stays marked
   * as driven until the target changes.
   */
  abort(): void {
    this._driver.abort();
  }

  /**
   * Reads the page of history before the oldest message shown and puts it in front. Resolves
   * when it is shown; no-op while one is in flight.
   */
  loadEarlier(): Promise<void> {
    return this._pages.loadEarlier();
  }

  /** This element drives `messageId` over HTTP; the subscription must not follow it. */
  private _beginDrive(messageId: string, streamId: string): void {
    this._sendInFlight = false;
    this._driving.add(messageId);
    this._stopFollow(messageId);
    const r = this._ensureReply(messageId, streamId);
    if (!r.final) r.status = r.status === "streaming" ? r.status : "pending";
    this._host.requestUpdate();
  }

  /** The driven reply started streaming over HTTP. */
  private _markStarted(messageId: string): void {
    const r = this._replies.get(messageId);
    if (!r || r.started || !r.streamId || !this._target) return;
    r.started = true;
    if (!r.final) r.status = "streaming";
    this._cb.onStreamStart(this._target.threadId, r.streamId, true);
    this._host.requestUpdate();
  }

  /** Text from the HTTP body: the whole reply so far. Applied only where it adds characters. */
  private _applyDriven(messageId: string, text: string): void {
    const r = this._replies.get(messageId);
    if (!r || r.final || text.length <= r.text.length) return;
    r.text = text;
    if (!r.end || r.text.length < r.end.length) return this._growth.schedule();
    this._finalize(messageId, r, r.text.slice(0, r.end.length));
    this._pages.settle();
  }

  /** The HTTP body ended cleanly: a reply that finished with text the body did not carry reads it. */
  private _driveEnded(messageId: string): void {
    const r = this._replies.get(messageId);
    if (r?.end && !r.final) this._finishFromStream(messageId, r);
    this._host.requestUpdate();
  }

  /** The HTTP body is no longer usable (205, failed POST, dropped): continue from the subscription. */
  private _handOver(messageId: string): void {
    this._driving.delete(messageId);
    if (this.messages) this._reconcile(this.messages);
    else this._host.requestUpdate();
  }

  hostConnected(): void {
    this._connected = true;
  }

  hostDisconnected(): void {
    this._connected = false;
    // Nothing is driven once the element leaves the page (the driver aborts); on return, follow.
    this._driving.clear();
    this._stopAll();
  }

  private _reconcile(messages: MessageView[]): void {
    const target = this._target;
    if (!target) return;
    for (const m of messages) {
      if (m.role !== "assistant") continue;
      const r = this._ensureReply(m._id, m.streamId);
      if (r.final) continue;
      if (FINAL_STATUSES.has(m.status)) {
        r.status = m.status;
        r.end = { status: m.status, length: m.length, error: m.error };
        if (m.text.length >= m.length) this._finalize(m._id, r, m.text);
        else if (r.text.length >= m.length) this._finalize(m._id, r, r.text.slice(0, m.length));
        // A body still being read brings the rest; otherwise (handed over, aborted) read it once.
        else if (this._driver.active?.messageId !== m._id) this._finishFromStream(m._id, r);
        continue;
      }
      r.status = r.status === "streaming" && m.status === "pending" ? "streaming" : m.status;
      if (this._driving.has(m._id)) continue;
      if (this._sendInFlight && !this._follows.has(m._id)) continue;
      if (m.streamId) {
        this._follow(m._id, m.streamId).follow();
        if (!r.started) {
          r.started = true;
          this._cb.onStreamStart(target.threadId, m.streamId, false);
        }
      }
    }
    this._host.requestUpdate();
  }

  /** The reply ended with text this element lacks: read it once, then end it. */
  private _finishFromStream(messageId: string, r: Reply): void {
    if (!r.end || !r.streamId || !this._connected) return;
    const key = this._key;
    const length = r.end.length;
    void this._follow(messageId, r.streamId)
      .finish(length)
      .then((text) => {
        if (key !== this._key || r.final) return;
        this._finalize(messageId, r, text);
        this._pages.settle();
      });
  }

  /** The persisted text is the truth once a reply is over. */
  private _finalize(messageId: string, r: Reply, text: string): void {
    const target = this._target;
    if (!target || !r.end) return;
    r.text = text;
    r.status = r.end.status;
    r.final = true;
    this._stopFollow(messageId);
    this._driving.delete(messageId);
    if (r.started && !r.ended && r.streamId) {
      r.ended = true;
      this._cb.onStreamEnd(target.threadId, r.streamId, r.end.status, text);
    }
    this._host.requestUpdate();
  }

  private _ensureReply(messageId: string, streamId: string | null): Reply {
    let r = this._replies.get(messageId);
    if (!r) {
      r = { text: "", status: "pending", streamId, final: false, started: false, ended: false };
      this._replies.set(messageId, r);
    } else if (!r.streamId && streamId) {
      r.streamId = streamId;
    }
    return r;
  }

  /** The reply's follower, made on first use; it starts from the text already shown. */
  private _follow(messageId: string, streamId: string): StreamFollower {
    let follower = this._follows.get(messageId);
    if (follower) return follower;
    const target = this._target!;
    const key = this._key;
    const r = this._replies.get(messageId)!;
    follower = new StreamFollower({
      client: target.client,
      streamId,
      token: target.token,
      text: r.text,
      onText: (text) => {
        if (key !== this._key || r.final || text.length <= r.text.length) return;
        r.text = text;
        if (r.status === "pending") {
          r.status = "streaming";
          this._host.requestUpdate();
        } else {
          this._growth.schedule();
        }
      },
      onError: (err) => {
        if (key !== this._key) return;
        this._cb.onError(toErrorInfo(err, "The reply could not be followed."));
      },
    });
    this._follows.set(messageId, follower);
    return follower;
  }

  private _stopFollow(messageId: string): void {
    const f = this._follows.get(messageId);
    if (!f) return;
    f.stop();
    this._follows.delete(messageId);
  }

  private _stopAll(): void {
    this._growth.cancel();
    for (const id of [...this._follows.keys()]) this._stopFollow(id);
  }
}
