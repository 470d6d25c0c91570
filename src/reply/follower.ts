// Follows one reply's persisted text for a viewer that is not driving it. One subscription,
// `streams:tail`, carries the newest flush and nothing else, so each flush reaches the viewer
// once, in one small update, and the subscription is never replaced. A subscription may skip
// results (several flushes between two updates, a dropped socket): an update that starts beyond
// the text shown reveals the gap, and a one-shot `streams:catchUp` from the shown length fills it
// (the whole gap in one read, however long the reply).
// The text only ever grows by the characters beyond what is shown, so nothing doubles.
import { api, type StreamDelta, type StreamSlice } from "../api.js";
import type { ChatClient } from "../convex-pool.js";

export type StreamFollowerOptions = {
  client: ChatClient;
  streamId: string;
  token?: string;
  /** Text the viewer already shows (a driven reply handed over): only what follows is read. */
  text?: string;
  /** The text grew (called with the whole text). */
  onText(text: string): void;
  onError(err: unknown): void;
};

export class StreamFollower {
  /** The reply's text as far as it is known: a prefix of the persisted text. */
  text: string;
  /** One-shot reads made to fill gaps. */
  reads = 0;
  /** The newest delta seen on the subscription. */
  private _latest: StreamDelta | null = null;
  /** Deltas from the subscription that start beyond the text shown, kept until the gap before them is read. */
  private _ahead: StreamDelta[] = [];
  /** A length the text must reach beyond the newest delta seen (the finished reply's). */
  private _goal = 0;
  private _finishing = false;
  private _reading = false;
  /** The last read found nothing new: wait for a newer delta before reading again. */
  private _stalledAt = -1;
  private _stopped = false;
  private _unsubscribe?: () => void;
  private _waiters: Array<() => void> = [];

  constructor(private readonly _opts: StreamFollowerOptions) {
    this.text = _opts.text ?? "";
  }

  private get _args() {
    const { streamId, token } = this._opts;
    return { streamId, ...(token ? { token } : {}) };
  }

  /** Subscribes to the reply's newest flush. */
  follow(): void {
    if (this._unsubscribe || this._stopped) return;
    this._unsubscribe = this._opts.client.onUpdate(
      api.streams.tail,
      this._args,
      (delta) => {
        if (this._stopped || !delta) return;
        this._latest = delta;
        if (delta.start > this.text.length) this._ahead.push(delta);
        this._advance();
      },
      (err) => this._opts.onError(err),
    );
  }

  /**
   * The reply finished with `length` characters: resolves with its text once that much is here,
   * reading what is missing once (or with what could be read, if the deltas hold less).
   */
  finish(length: number): Promise<string> {
    this._goal = Math.max(this._goal, length);
    this._finishing = true;
    return new Promise<string>((resolve) => {
      this._waiters.push(() => {
        this._unsubscribe?.();
        this._unsubscribe = undefined;
        resolve(this.text.slice(0, length));
      });
      // The status that ended the reply and its last flush come in the same update: let that
      // flush arrive on the subscription before reading anything.
      setTimeout(() => this._advance(), 0);
    });
  }

  stop(): void {
    this._stopped = true;
    this._unsubscribe?.();
    this._unsubscribe = undefined;
    this._waiters = [];
  }

  private _wanted(): number {
    const d = this._latest;
    return Math.max(this._goal, d ? d.start + d.text.length : 0);
  }

  private _advance(): void {
    if (this._stopped) return;
    this._applyReceived();
    const wanted = this._wanted();
    if (this.text.length < wanted && this._stalledAt !== wanted) {
      void this._fill();
      return;
    }
    if (!this._reading && this._finishing && (this.text.length >= this._goal || this._stalledAt === wanted)) {
      const waiters = this._waiters;
      this._waiters = [];
      for (const w of waiters) w();
    }
  }

  /** Applies what the subscription brought that now joins the text shown. */
  private _applyReceived(): void {
    const d = this._latest;
    if (d) this._apply(d.start, d.text);
    for (const a of this._ahead) this._apply(a.start, a.text);
    this._ahead = this._ahead.filter((a) => a.start + a.text.length > this.text.length);
  }

  /** Applies the characters of `text` (at offset `start`) beyond what is shown; a gap is left for the reads. */
  private _apply(start: number, text: string): void {
    const shown = this.text.length;
    const end = start + text.length;
    if (start > shown) return;
    if (end <= shown) return;
    this.text += text.slice(shown - start);
    this._opts.onText(this.text);
  }

  private async _fill(): Promise<void> {
    if (this._reading) return;
    this._reading = true;
    try {
      while (!this._stopped && this.text.length < this._wanted()) {
        const wanted = this._wanted();
        const before = this.text.length;
        this.reads++;
        // Only up to the first delta the subscription already brought beyond the gap.
        const next = this._ahead.reduce<StreamDelta | null>(
          (a, d) => (d.start > before && (!a || d.start < a.start) ? d : a),
          null,
        );
        const to = next ? { to: next.start } : {};
        const slice: StreamSlice = await this._opts.client.query(api.streams.catchUp, {
          ...this._args,
          from: before,
          ...to,
        });
        if (this._stopped) return;
        this._apply(slice.start, slice.text);
        this._applyReceived();
        if (this.text.length === before) {
          this._stalledAt = wanted;
          break;
        }
      }
    } catch (err) {
      // Not retried until a newer delta arrives (a refused read would only be refused again).
      this._stalledAt = this._wanted();
      if (!this._stopped) this._opts.onError(err);
    } finally {
      this._reading = false;
    }
    this._advance();
  }
}
