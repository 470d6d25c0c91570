// Which messages a thread's transcript holds, and how they are read. History comes in pages
// (`messages:list`, one-shot, full text: older messages never change, so nothing re-sends them);
// the live end is one subscription, `messages:live`, cut after the newest settled message, so a
// status change re-sends only the messages after it, and replies come there without their text.
// Once everything in the live end is settled it joins the history and the live end restarts
// after it. What happens to each reply (its text, drive or follow) is the owner's business: it
// hears every new list through `onMessages` and says through `isSettled` which replies are done.
import type { ReactiveController, ReactiveControllerHost } from "lit";
import { api, FINAL_STATUSES, isFullPage, toErrorInfo, type ChatErrorInfo, type MessageView } from "../api.js";
import type { ChatClient } from "../convex-pool.js";

export type MessagePagesTarget = { client: ChatClient; threadId: string; token?: string } | null;

export interface MessagePagesCallbacks {
  /** The transcript changed (a page arrived, the live end updated or moved); oldest first. */
  onMessages(messages: MessageView[]): void;
  /** The reply `messageId` is final with all its text here: it may leave the live end. */
  isSettled(messageId: string): boolean;
  /** A read failed (the thread or an older page could not be read). */
  onError(info: ChatErrorInfo): void;
}

/** A settled message: final, and (a reply) with all its text here. It never changes again. */
function settledInPage(m: MessageView): boolean {
  return FINAL_STATUSES.has(m.status) && m.text.length >= m.length;
}

export class MessagePagesController implements ReactiveController {
  /** The transcript, oldest first; `undefined` until the first page arrived (or with no thread). */
  messages: MessageView[] | undefined;
  /** Older history may exist beyond the first message shown: `loadEarlier()` reads it. */
  hasEarlier = false;
  /** A `loadEarlier()` is in flight. */
  loadingEarlier = false;
  private _history: MessageView[] = [];
  private _live: MessageView[] = [];
  /** `messages:live` reads after this message position (`undefined`: from the thread's start). */
  private _anchor: number | undefined;
  private _loaded = false;
  private _target: MessagePagesTarget = null;
  private _connected = false;
  private _unsubscribeLive?: () => void;

  constructor(
    private readonly _host: ReactiveControllerHost,
    private readonly _cb: MessagePagesCallbacks,
  ) {
    _host.addController(this);
  }

  /**
   * Reads another thread (or none) from scratch; the owner has checked that it differs. A thread
   * this page just created (`fresh`) has no history to read: its live end is all of it.
   */
  setTarget(target: MessagePagesTarget, fresh = false): void {
    this._unsubscribe();
    this._target = target;
    this.messages = fresh ? [] : undefined;
    this.hasEarlier = false;
    this.loadingEarlier = false;
    this._history = [];
    this._live = [];
    this._anchor = undefined;
    this._loaded = fresh;
    if (this._connected && target) this._subscribe();
  }

  hostConnected(): void {
    this._connected = true;
    if (this._target) this._subscribe();
  }

  hostDisconnected(): void {
    this._connected = false;
    this._unsubscribe();
  }

  /**
   * Reads the page of history before the oldest message shown (once; finished messages never
   * change) and puts it in front. Resolves when it is shown; no-op while one is in flight.
   */
  async loadEarlier(): Promise<void> {
    const target = this._target;
    const oldest = this.messages?.[0];
    if (!target || !oldest || !this.hasEarlier || this.loadingEarlier) return;
    this.loadingEarlier = true;
    this._host.requestUpdate();
    try {
      const page = await target.client.query(api.messages.list, {
        ...threadArgs(target),
        before: oldest._creationTime,
      });
      if (target !== this._target) return;
      this._history = [...page, ...this._history];
      this.hasEarlier = isFullPage(page);
      this._compose();
    } catch (err) {
      if (target === this._target) this._cb.onError(toErrorInfo(err, "Earlier messages could not be loaded."));
    } finally {
      if (target === this._target) {
        this.loadingEarlier = false;
        this._host.requestUpdate();
      }
    }
  }

  /**
   * Drops a message the server deleted (a reply `messages:retry` replaced). History pages are
   * read once and never re-sent, so no update would take it out of the transcript.
   */
  forget(messageId: string): void {
    this._history = this._history.filter((m) => m._id !== messageId);
    this._live = this._live.filter((m) => m._id !== messageId);
    if (this.messages) this._compose();
  }

  /**
   * Once every message of the live end is settled (here, with all its text), they join the
   * history and the live end restarts after them: it then holds only what is still changing.
   * The owner calls it when a reply became final outside `onMessages`.
   */
  settle(): void {
    const live = this._live;
    if (live.length === 0 || !this._connected || !this._unsubscribeLive) return;
    // Prompts and operators' messages come whole; a reply is settled once it has all its text.
    if (!live.every((m) => m.role !== "assistant" || this._cb.isSettled(m._id))) return;
    this._history = [...this._history, ...live];
    this._live = [];
    this._anchor = live[live.length - 1]!._creationTime;
    this._subscribeLive();
  }

  /** First the newest page of history (once), then the live end after it. */
  private _subscribe(): void {
    const target = this._target!;
    if (this._loaded) {
      this._subscribeLive();
      return;
    }
    target.client.query(api.messages.list, threadArgs(target)).then(
      (page) => {
        if (target !== this._target || this._loaded) return;
        // Settled messages are history; the first unsettled one (a reply still streaming, or one
        // finished without its text) and everything after it come from the live end.
        let settled = 0;
        while (settled < page.length && settledInPage(page[settled]!)) settled++;
        this._history = page.slice(0, settled);
        this._anchor = settled > 0 ? page[settled - 1]!._creationTime : undefined;
        this.hasEarlier = isFullPage(page);
        this._loaded = true;
        // The live end starts with what the page already showed, so nothing blinks meanwhile.
        this._live = page.slice(settled);
        this._compose();
        if (this._connected) this._subscribeLive();
      },
      (err) => {
        if (target !== this._target) return;
        this._cb.onError(toErrorInfo(err, "The conversation could not be loaded."));
      },
    );
  }

  private _subscribeLive(): void {
    const target = this._target!;
    const anchor = this._anchor;
    this._unsubscribeLive?.();
    const unsubscribe = target.client.onUpdate(
      api.messages.live,
      { ...threadArgs(target), ...(anchor !== undefined ? { after: anchor } : {}) },
      (messages) => {
        if (target !== this._target || this._unsubscribeLive !== unsubscribe) return;
        this._live = messages;
        this._compose();
      },
      (err) => {
        if (target !== this._target) return;
        this._cb.onError(toErrorInfo(err, "The conversation could not be loaded."));
      },
    );
    this._unsubscribeLive = unsubscribe;
  }

  private _unsubscribe(): void {
    this._unsubscribeLive?.();
    this._unsubscribeLive = undefined;
  }

  private _compose(): void {
    this.messages = [...this._history, ...this._live];
    this._cb.onMessages(this.messages);
    this.settle();
  }
}

function threadArgs(target: NonNullable<MessagePagesTarget>) {
  return { threadId: target.threadId, ...(target.token ? { token: target.token } : {}) };
}
