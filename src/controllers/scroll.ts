// Where the transcript is scrolled. Three ways to hold it:
// - following: pinned to the newest message while the reader is at the bottom;
// - anchored: one row held at the top, the question just sent (its reply grows below it and
//   nothing scrolls it away, as in ChatGPT and Claude) or the start of a reply that finished
//   unseen while the launcher was closed. A blank "room" after the last row lets that row reach
//   the top while the reply is still short; it shrinks as the reply fills it, and grows back if
//   something below the row gets shorter, so nothing arriving late moves the row;
// - left alone: once the reader scrolls themselves.
// Content that arrives below a reader who is not following raises `hasNewBelow` (the "new
// messages" pill); `jumpToLatest()` (the pill) goes back to the bottom and follows again, as
// does scrolling there by hand. A change of size (the composer growing with a long paste or a
// hint that wraps) keeps the bottom or the anchored row where it was. Another thread starts
// over: following, no pill, no room. Scrolls are instant: a smooth scroll still under way when
// the reply grows would read as "the reader scrolled".
import type { ReactiveController, ReactiveControllerHost } from "lit";

/** Closer than this to the end (px) counts as at the bottom. */
const STICK_THRESHOLD_PX = 32;
/** A scroll position this far (px) from the one set here was the reader's. */
const MOVED_PX = 2;

/** The element after the last row that gives an anchored row room to reach the top. */
const ROOM_SELECTOR = ".scroll-room";

export class ScrollController implements ReactiveController {
  /** The reader is at (or near) the newest message, so new content scrolls into view. */
  atBottom = true;
  /** Content arrived below while the reader was not following. */
  hasNewBelow = false;
  private _lastHeight = 0;
  /** scrollTop as this controller last left it (or saw it). */
  private _lastTop = 0;
  /** The next update scrolls to the end whatever the position (the pill). */
  private _jumping = false;
  /** The row held at the top, found again at each update (a pending question becomes the sent one). */
  private _anchor: (() => HTMLElement | null) | null = null;
  /** The anchor was just set: the position it moves from was not left by the reader. */
  private _newAnchor = false;
  /** Content offset of the last anchored row: the room is measured from it. */
  private _roomFrom: number | null = null;
  private _key: unknown = undefined;
  private _resizeObserver?: ResizeObserver;
  private _observed: HTMLElement | null = null;

  constructor(
    private readonly _host: ReactiveControllerHost,
    private readonly _scroller: () => HTMLElement | null | undefined,
    /** What the transcript shows (the thread): scroll state belongs to one. */
    private readonly _shows: () => unknown = () => null,
  ) {
    _host.addController(this);
  }

  /** The scroller's `scroll` listener. */
  readonly onScroll = (): void => {
    const el = this._scroller();
    if (!el) return;
    if (this._anchor) {
      // Our own scrolls report too, a frame later: only a position we did not set is the reader's.
      if (Math.abs(el.scrollTop - this._lastTop) < MOVED_PX) return;
      // Content below the held row shrank between updates (a part's style sheet, an image): hold it again.
      if (clamped(el, this._lastTop)) return this._place(el, false);
    }
    this._anchor = null;
    this._lastTop = el.scrollTop;
    this.atBottom = gapBelow(el) < STICK_THRESHOLD_PX;
    if (this.atBottom && this.hasNewBelow) {
      this.hasNewBelow = false;
      this._host.requestUpdate();
    }
  };

  /** Shows the newest message and follows again (the pill). */
  readonly jumpToLatest = (): void => {
    this._anchor = null;
    this.atBottom = true;
    this._jumping = true;
    this.hasNewBelow = false;
    this._host.requestUpdate();
  };

  /** After Send: the question (the last visitor row) goes to the top and its reply grows below it. */
  showQuestion(): void {
    this._anchorTo(() => [...(this._scroller()?.querySelectorAll<HTMLElement>(".row.user") ?? [])].at(-1) ?? null);
  }

  /** Opening on `count` replies that finished unseen: the first of them starts at the top. */
  showReplyStart(count: number): void {
    if (count < 1) return;
    this._anchorTo(
      () => [...(this._scroller()?.querySelectorAll<HTMLElement>(".row.assistant") ?? [])].at(-count) ?? null,
    );
  }

  private _anchorTo(row: () => HTMLElement | null): void {
    this._anchor = row;
    this._newAnchor = true;
    this.atBottom = false;
    this.hasNewBelow = false;
    this._host.requestUpdate();
  }

  hostUpdate(): void {
    const key = this._shows();
    // Another thread, not the first one a send creates (the question sent stays anchored).
    if (key !== this._key && this._key !== undefined && this._key !== null) this._reset();
    this._key = key;
  }

  hostUpdated(): void {
    const el = this._scroller();
    if (el !== this._observed) this._observe(el);
    if (!el) return;
    this._place(el, true);
  }

  hostDisconnected(): void {
    this._resizeObserver?.disconnect();
    this._resizeObserver = undefined;
    this._observed = null;
  }

  private _reset(): void {
    this.atBottom = true;
    this.hasNewBelow = false;
    this._jumping = false;
    this._anchor = null;
    this._roomFrom = null;
    this._lastHeight = 0;
    this._lastTop = 0;
    const room = this._scroller()?.querySelector<HTMLElement>(ROOM_SELECTOR);
    if (room) room.style.height = "";
  }

  /** Puts the transcript where it is held; `content` when the content may have changed (an update). */
  private _place(el: HTMLElement, content: boolean): void {
    // Hidden (a closed launcher's panel): it has no positions to read, and its scrollTop reads 0
    // there. The ResizeObserver places it again when it shows.
    if (!el.clientHeight) return;
    // A reader's scroll fires its event only at the next frame; an update before then (a chunk
    // arriving) must not pull them back. They moved if the position is not the one left here:
    // up from the end when following (the end itself moves down as content grows, and a
    // smaller box does not move scrollTop), anywhere when a row is anchored.
    const moved = el.scrollTop < this._lastTop - MOVED_PX;
    if (
      this._anchor &&
      !this._newAnchor &&
      Math.abs(el.scrollTop - this._lastTop) >= MOVED_PX &&
      !clamped(el, this._lastTop)
    )
      this._anchor = null;
    const before = Math.min(this._lastHeight, el.scrollHeight);
    const leftTheEnd = moved && before - el.scrollTop - el.clientHeight >= STICK_THRESHOLD_PX;
    if (this.atBottom && !this._jumping && this._lastHeight > 0 && leftTheEnd) this.atBottom = false;
    this._jumping = false;
    const row = this._anchor?.() ?? null;
    this._fitRoom(el, row);
    if (this._anchor) {
      // Held until its row is there (a question shows once the send has started).
      if (!row) return;
      el.scrollTo({ top: offsetIn(el, row) - paddingTop(el), behavior: "instant" });
      this._newAnchor = false;
      // The pill offers the reply's end while that end is below the visible part (measured, not
      // inferred from growth: text can also grow between updates, as the cursor is placed).
      const room = el.querySelector<HTMLElement>(ROOM_SELECTOR);
      const end = room ? offsetIn(el, room) : el.scrollHeight;
      const below = end - (el.scrollTop + el.clientHeight) >= STICK_THRESHOLD_PX;
      if (below !== this.hasNewBelow) {
        this.hasNewBelow = below;
        this._host.requestUpdate();
      }
    } else if (this.atBottom) {
      el.scrollTo({ top: el.scrollHeight, behavior: "instant" });
    } else if (content && el.scrollHeight > this._lastHeight && !this.hasNewBelow) {
      this.hasNewBelow = true;
      this._host.requestUpdate();
    }
    this._lastHeight = el.scrollHeight;
    this._lastTop = el.scrollTop;
  }

  /**
   * Room after the last row, enough for `row` (the row held) to reach the top: it grows back when
   * content below that row shrinks (a "Thinking…" row replaced by the reply's first line), which
   * would otherwise pull the end, and the row with it, down. Once no row is held it only shrinks
   * as the content fills it, so following the bottom never shows more blank than that row needed.
   */
  private _fitRoom(el: HTMLElement, row: HTMLElement | null): void {
    const room = el.querySelector<HTMLElement>(ROOM_SELECTOR);
    if (!room) return;
    if (row) this._roomFrom = offsetIn(el, row);
    if (this._roomFrom === null) return;
    const current = room.offsetHeight;
    const contentEnd = offsetIn(el, room);
    const padding = paddingTop(el) + parseFloat(getComputedStyle(el).paddingBottom);
    const wanted = Math.max(0, Math.ceil(el.clientHeight - padding - (contentEnd - this._roomFrom)));
    const next = row ? wanted : Math.min(current, wanted);
    if (next !== current) room.style.height = `${next}px`;
    if (next === 0 && !row) this._roomFrom = null;
  }

  /** The box changed size (the composer grew or shrank, the window resized): hold the same place. */
  private _observe(el: HTMLElement | null | undefined): void {
    this._resizeObserver?.disconnect();
    this._observed = el ?? null;
    if (!el) return;
    this._resizeObserver ??= new ResizeObserver(() => {
      const scroller = this._scroller();
      if (scroller) this._place(scroller, false);
    });
    this._resizeObserver.observe(el);
  }
}

/** How far (px) the scroller's visible part is from its end. */
const gapBelow = (el: HTMLElement): number => el.scrollHeight - el.scrollTop - el.clientHeight;

/**
 * The browser pulled scrollTop up to the end from `lastTop`, as it does when the content gets
 * shorter: not the reader, who scrolling up leaves the end.
 */
const clamped = (el: HTMLElement, lastTop: number): boolean => el.scrollTop < lastTop && gapBelow(el) < 1;

const paddingTop = (el: HTMLElement): number => parseFloat(getComputedStyle(el).paddingTop) || 0;

/** Where `child` starts inside the scroller's content (independent of the scroll position). */
const offsetIn = (el: HTMLElement, child: HTMLElement): number =>
  child.getBoundingClientRect().top - el.getBoundingClientRect().top + el.scrollTop - el.clientTop;
