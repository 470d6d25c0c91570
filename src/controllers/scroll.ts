// Keeps the transcript pinned to its newest message while the reader is at the bottom, and
// leaves it alone once they scroll up to read. Content that arrives below a reader who scrolled
// up raises `hasNewBelow` (the "new messages" pill); `jumpToLatest()` (the pill, sending) goes
// back to the bottom and follows again, as does scrolling there by hand. Scrolls are instant:
// a smooth scroll still under way when the reply grows would read as "the reader scrolled up".
import type { ReactiveController, ReactiveControllerHost } from "lit";

/** Closer than this to the end (px) counts as at the bottom. */
const STICK_THRESHOLD_PX = 32;

export class ScrollController implements ReactiveController {
  /** The reader is at (or near) the newest message, so new content scrolls into view. */
  atBottom = true;
  /** Content arrived below while the reader was scrolled up. */
  hasNewBelow = false;
  private _lastHeight = 0;
  /** The next update scrolls to the end whatever the position (a send, the pill). */
  private _jumping = false;

  constructor(
    private readonly _host: ReactiveControllerHost,
    private readonly _scroller: () => HTMLElement | null | undefined,
  ) {
    _host.addController(this);
  }

  /** The scroller's `scroll` listener. */
  readonly onScroll = (): void => {
    const el = this._scroller();
    if (!el) return;
    this.atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_THRESHOLD_PX;
    if (this.atBottom && this.hasNewBelow) {
      this.hasNewBelow = false;
      this._host.requestUpdate();
    }
  };

  /** Shows the newest message and follows again (after sending, or from the pill). */
  readonly jumpToLatest = (): void => {
    this.atBottom = true;
    this._jumping = true;
    this.hasNewBelow = false;
    this._host.requestUpdate();
  };

  hostUpdated(): void {
    const el = this._scroller();
    if (!el) return;
    // A reader's scroll fires its event only at the next frame; an update before then (a chunk
    // arriving) must not pull them back down. Where they are now, against the content as it was
    // before this update (or as it is, if it shrank: another thread), says whether they left the end.
    const before = Math.min(this._lastHeight, el.scrollHeight);
    const leftTheEnd = before - el.scrollTop - el.clientHeight >= STICK_THRESHOLD_PX;
    if (this.atBottom && !this._jumping && this._lastHeight > 0 && leftTheEnd) this.atBottom = false;
    this._jumping = false;
    if (this.atBottom) {
      el.scrollTo({ top: el.scrollHeight, behavior: "instant" });
    } else if (el.scrollHeight > this._lastHeight && !this.hasNewBelow) {
      this.hasNewBelow = true;
      this._host.requestUpdate();
    }
    this._lastHeight = el.scrollHeight;
  }
}
