// One reply, from the moment this page knows it to its end: its one text buffer, its status,
// and where its text comes from. The page that sent the prompt drives it (reads the POST's body);
// anyone else, or the sender once that body is gone, follows it (`ReplyFollower`: `streams:tail`
// plus one-shot reads of any gap). Both feed the same buffer, which only grows by characters
// beyond what it holds, so a handover mid-sentence neither repeats nor drops text. Once
// `messages:live` says the reply ended, the persisted text is the truth: the buffer is cut to
// its length, or what it lacks is read once. The `ConversationController` keeps one per reply.
import { FINAL_STATUSES, toErrorInfo, type ChatErrorInfo, type MessageStatus, type MessageView } from "../api.js";
import type { ChatClient } from "../convex-pool.js";
import { StreamFollower } from "./follower.js";

/** Where a reply's persisted text can be read: the client and token of the thread shown. */
export type ReplySource = { client: ChatClient; token?: string };

/** What a reply tells the conversation that keeps it. */
export interface ReplyOwner {
  /** The text grew: render at the growth's pace. */
  grew(): void;
  /** Something else changed (status, the end): render now. */
  changed(): void;
  /** The reply started streaming here: over this page's POST (`driven`) or the subscription. */
  started(reply: Reply, driven: boolean): void;
  /** The reply ended and shows its persisted text. */
  ended(reply: Reply): void;
  /** The reply's body broke off before its end: it should continue from the subscription. */
  handedOver(reply: Reply): void;
  /** Where to read the reply's persisted text, or null while this page does not show its thread. */
  source(reply: Reply): ReplySource | null;
  /** Reading the reply failed (the thread or the reply could not be read). */
  failed(info: ChatErrorInfo): void;
}

export class Reply {
  /** Text shown so far; a prefix of the reply until `final`, then exactly the persisted text. */
  text = "";
  status: MessageStatus = "pending";
  /** Over, with its persisted text: it never changes again. */
  final = false;
  started = false;
  ended = false;
  /** Set once `messages:live` says the reply finished: its persisted length and status. */
  end?: { status: MessageStatus; length: number; error: string | null };
  /** The POST whose body this page reads, while it does. */
  private _body: AbortController | null = null;
  private _follower: StreamFollower | null = null;
  private _disposed = false;

  constructor(
    readonly messageId: string,
    readonly threadId: string,
    public streamId: string | null,
    private readonly _owner: ReplyOwner,
  ) {}

  /** This page is reading the reply's text from its own POST. */
  get driving(): boolean {
    return this._body !== null;
  }

  /** The subscription is reading the reply's text. */
  get following(): boolean {
    return this._follower !== null;
  }

  /** Reads the reply's text from the POST that started it; `request` aborts that POST. */
  drive(body: ReadableStream<Uint8Array>, request: AbortController): void {
    this._stopFollowing();
    this._body = request;
    if (!this.final) this.status = "streaming";
    this._markStarted(true);
    void this._read(body, request);
  }

  /**
   * What `messages:live` says of the reply. A reply that ended takes its persisted text; one
   * still running is followed unless this page drives it (or `mayFollow` is false: a send whose
   * reply this may be is still in flight).
   */
  update(m: MessageView, mayFollow: boolean): void {
    if (this.final) return;
    if (!this.streamId && m.streamId) this.streamId = m.streamId;
    if (FINAL_STATUSES.has(m.status)) {
      this.status = m.status;
      this.end = { status: m.status, length: m.length, error: m.error };
      if (m.text.length >= m.length) this._finalize(m.text);
      else if (this.text.length >= m.length) this._finalize(this.text.slice(0, m.length));
      // A body still being read brings the rest; otherwise read it once.
      else if (!this.driving) this._finishFromStream();
      return;
    }
    this.status = this.status === "streaming" && m.status === "pending" ? "streaming" : m.status;
    if (this.driving || !mayFollow || !this.streamId) return;
    const follower = this._followerFor();
    if (!follower) return;
    follower.follow();
    this._markStarted(false);
  }

  /** Stops reading (body and subscription); the text shown stays. Following may resume later. */
  detach(): void {
    this._body?.abort();
    this._body = null;
    this._stopFollowing();
  }

  /** Stops everything for good: the reply is no longer shown here. */
  dispose(): void {
    this._disposed = true;
    this.detach();
  }

  private async _read(body: ReadableStream<Uint8Array>, request: AbortController): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let text = "";
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (this._body !== request) {
          void reader.cancel().catch(() => {});
          return;
        }
        if (done) break;
        const chunk = decoder.decode(value, { stream: true });
        if (!chunk) continue;
        text += chunk;
        this._grow(text);
      }
    } catch {
      if (this._body !== request) return;
      this._body = null;
      this._owner.handedOver(this);
      return;
    }
    if (this._body !== request) return;
    this._body = null;
    // The body ended with the reply: a reply that finished with text the body did not carry reads it.
    if (this.end && !this.final) this._finishFromStream();
    this._owner.changed();
  }

  /** Text from the body: the whole reply so far. Applied only where it adds characters. */
  private _grow(text: string): void {
    if (this.final || text.length <= this.text.length) return;
    this.text = text;
    if (!this.end || this.text.length < this.end.length) return this._owner.grew();
    this._finalize(this.text.slice(0, this.end.length));
  }

  private _markStarted(driven: boolean): void {
    if (this.started || !this.streamId) return;
    this.started = true;
    this._owner.started(this, driven);
    this._owner.changed();
  }

  /** The reply ended with text this page lacks: read it once, then end it. */
  private _finishFromStream(): void {
    if (!this.end) return;
    const follower = this._followerFor();
    if (!follower) return;
    const length = this.end.length;
    void follower.finish(length).then((text) => {
      if (this._disposed || this.final) return;
      this._finalize(text);
    });
  }

  /** The persisted text is the truth once a reply is over. */
  private _finalize(text: string): void {
    if (!this.end) return;
    this.text = text;
    this.status = this.end.status;
    this.final = true;
    this._stopFollowing();
    this._body = null;
    if (this.started && !this.ended && this.streamId) {
      this.ended = true;
      this._owner.ended(this);
    }
    this._owner.changed();
  }

  /** The reply's follower, made on first use from the text already shown; null while its thread is not shown. */
  private _followerFor(): StreamFollower | null {
    if (this._follower) return this._follower;
    const source = this._owner.source(this);
    if (!source || !this.streamId || this._disposed) return null;
    const follower: StreamFollower = new StreamFollower({
      client: source.client,
      streamId: this.streamId,
      token: source.token,
      text: this.text,
      onText: (text) => {
        if (this._follower !== follower || this.final || text.length <= this.text.length) return;
        this.text = text;
        if (this.status === "pending") {
          this.status = "streaming";
          this._owner.changed();
        } else {
          this._owner.grew();
        }
      },
      onError: (err) => {
        if (this._follower !== follower) return;
        this._owner.failed(toErrorInfo(err, "The reply could not be followed."));
      },
    });
    this._follower = follower;
    return follower;
  }

  private _stopFollowing(): void {
    this._follower?.stop();
    this._follower = null;
  }
}
