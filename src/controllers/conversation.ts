// Owns the thread's subscriptions: `messages:list` for the transcript and, for every assistant
// message still being generated that this element is not driving itself, `streams:read` from a
// cursor that advances with each result. Keeps one text buffer per reply that only ever grows
// (drive and follow both feed it) until the persisted final text replaces it. Text that grows
// renders at most once per animation frame, however many chunks arrive in it; anything else
// (a status change, the final text) renders at once.
//
// It also owns the drive/follow handover: `drive()` sends a prompt and streams the reply over
// HTTP through its `DriverController`; when that body is unusable the same reply continues from
// the subscription. The host calls `drive()` and `abort()`, nothing in between.
import type { ReactiveController, ReactiveControllerHost } from "lit";
import { api, FINAL_STATUSES, isActive, toErrorInfo, type ChatErrorInfo, type MessageStatus, type MessageView, type StreamSlice } from "../api.js";
import type { ChatClient } from "../convex-pool.js";
import { DriverController, type DriveRequest } from "./driver.js";

export type Reply = {
  /** Text shown so far; a prefix of the reply until `final`, then exactly the persisted text. */
  text: string;
  status: MessageStatus;
  streamId: string | null;
  final: boolean;
  started: boolean;
  ended: boolean;
};

export type ConversationTarget = { client: ChatClient; threadId: string; token?: string } | null;

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

type Follow = { streamId: string; cursor: number; unsubscribe?: () => void };

export class ConversationController implements ReactiveController {
  /** The transcript, oldest first; `undefined` until the first result (or with no thread). */
  messages: MessageView[] | undefined;
  private readonly _replies = new Map<string, Reply>();
  private readonly _follows = new Map<string, Follow>();
  private readonly _driving = new Set<string>();
  private _target: ConversationTarget = null;
  private _key = "";
  private _connected = false;
  private _sendInFlight = false;
  private _frame = 0;
  private _unsubscribeList?: () => void;
  private readonly _driver: DriverController;

  constructor(
    private readonly _host: ReactiveControllerHost,
    private readonly _cb: ConversationCallbacks,
  ) {
    _host.addController(this);
    this._driver = new DriverController(_host, {
      onStart: (req) => this._markStarted(req.messageId),
      onText: (req, text) => this._applyDriven(req.messageId, text),
      onComplete: () => this._host.requestUpdate(),
      onHandover: (req, error) => {
        this._handOver(req.messageId);
        if (error) this._cb.onDriveRefused(error);
      },
    });
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
    this.messages = undefined;
    this._replies.clear();
    this._driving.clear();
    this._sendInFlight = false;
    if (this._connected && target) this._subscribe();
    this._host.requestUpdate();
  }

  /**
   * Sends `prompt` to the target thread (`messages:send`) and streams the reply over HTTP.
   * Resolves once the reply is being driven (it then shows and ends through the callbacks), or
   * without effect when the target changed meanwhile; rejects with the send's error.
   */
  async drive({ prompt, token, siteUrl }: DriveOptions): Promise<void> {
    const target = this._target;
    if (!target) throw new Error("drive() needs a thread to send to.");
    const key = this._key;
    // While the send is in flight, a new pending reply is about to be driven here: do not follow it yet.
    this._sendInFlight = true;
    let sent;
    try {
      sent = await target.client.mutation(api.messages.send, { threadId: target.threadId, token, prompt });
    } catch (err) {
      if (key === this._key) {
        this._sendInFlight = false;
        if (this.messages) this._reconcile(this.messages);
      }
      throw err;
    }
    if (key !== this._key) return;
    this._beginDrive(sent.assistantMessageId, sent.streamId);
    const request: DriveRequest = { siteUrl, token, threadId: target.threadId, streamId: sent.streamId, messageId: sent.assistantMessageId };
    void this._driver.drive(request);
  }

  /** Stops reading the driven reply's body (it still shows through the subscription). */
  abort(): void {
    this._driver.abort();
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
    this._textGrew();
  }

  /** The HTTP body is no longer usable (205, failed POST, dropped): continue from the subscription. */
  private _handOver(messageId: string): void {
    this._driving.delete(messageId);
    if (this.messages) this._reconcile(this.messages);
    else this._host.requestUpdate();
  }

  hostConnected(): void {
    this._connected = true;
    if (this._target) this._subscribe();
  }

  hostDisconnected(): void {
    this._connected = false;
    // Nothing is driven once the element leaves the page (the driver aborts); on return, follow.
    this._driving.clear();
    this._stopAll();
  }

  private _subscribe(): void {
    const target = this._target!;
    const key = this._key;
    this._unsubscribeList = target.client.onUpdate(
      api.messages.list,
      { threadId: target.threadId, ...(target.token ? { token: target.token } : {}) },
      (messages) => {
        if (key !== this._key) return;
        this.messages = messages;
        this._reconcile(messages);
      },
      (err) => {
        if (key !== this._key) return;
        this._cb.onError(toErrorInfo(err, "The conversation could not be loaded."));
      },
    );
  }

  private _reconcile(messages: MessageView[]): void {
    const target = this._target;
    if (!target) return;
    for (const m of messages) {
      if (m.role !== "assistant") continue;
      const r = this._ensureReply(m._id, m.streamId);
      if (r.final) continue;
      if (FINAL_STATUSES.has(m.status)) {
        // The persisted text is the truth once a reply is over.
        r.text = m.text;
        r.status = m.status;
        r.final = true;
        this._stopFollow(m._id);
        this._driving.delete(m._id);
        if (r.started && !r.ended && r.streamId) {
          r.ended = true;
          this._cb.onStreamEnd(target.threadId, r.streamId, m.status, m.text);
        }
        continue;
      }
      r.status = r.status === "streaming" && m.status === "pending" ? "streaming" : m.status;
      if (this._driving.has(m._id)) continue;
      if (this._sendInFlight && !this._follows.has(m._id)) continue;
      if (m.streamId) {
        this._follow(m._id, m.streamId);
        if (!r.started) {
          r.started = true;
          this._cb.onStreamStart(target.threadId, m.streamId, false);
        }
      }
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

  private _follow(messageId: string, streamId: string): void {
    if (this._follows.has(messageId) || !this._connected) return;
    const follow: Follow = { streamId, cursor: 0 };
    this._follows.set(messageId, follow);
    this._subscribeStream(messageId, follow);
  }

  private _subscribeStream(messageId: string, follow: Follow): void {
    const target = this._target!;
    const key = this._key;
    follow.unsubscribe?.();
    follow.unsubscribe = target.client.onUpdate(
      api.streams.read,
      { streamId: follow.streamId, cursor: follow.cursor, ...(target.token ? { token: target.token } : {}) },
      (slice) => {
        if (key !== this._key || this._follows.get(messageId) !== follow) return;
        this._applySlice(messageId, slice);
        if (slice.cursor !== follow.cursor) {
          follow.cursor = slice.cursor;
          this._subscribeStream(messageId, follow);
        }
      },
      (err) => {
        if (key !== this._key) return;
        this._cb.onError(toErrorInfo(err, "The reply could not be followed."));
      },
    );
  }

  private _applySlice(messageId: string, slice: StreamSlice): void {
    const r = this._replies.get(messageId);
    if (!r || r.final) return;
    const shown = r.text.length;
    const end = slice.start + slice.text.length;
    // Only characters beyond what is already shown; a gap would mean lost text, so wait instead.
    if (end > shown && slice.start <= shown) {
      r.text += slice.text.slice(shown - slice.start);
      if (r.status === "pending") {
        r.status = "streaming";
        this._host.requestUpdate();
      } else {
        this._textGrew();
      }
    }
  }

  /** Coalesces text growth into one host update on the next animation frame. */
  private _textGrew(): void {
    if (this._frame) return;
    this._frame = requestAnimationFrame(() => {
      this._frame = 0;
      this._host.requestUpdate();
    });
  }

  private _stopFollow(messageId: string): void {
    const f = this._follows.get(messageId);
    if (!f) return;
    f.unsubscribe?.();
    this._follows.delete(messageId);
  }

  private _stopAll(): void {
    cancelAnimationFrame(this._frame);
    this._frame = 0;
    this._unsubscribeList?.();
    this._unsubscribeList = undefined;
    for (const id of [...this._follows.keys()]) this._stopFollow(id);
  }
}
