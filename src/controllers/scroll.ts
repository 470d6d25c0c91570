// Keeps the transcript pinned to its newest message while the reader is at the bottom, and
// leaves it alone once they scroll up to read. `atBottom` is what a "new messages" pill
// would watch.
import type { ReactiveController, ReactiveControllerHost } from "lit";

/** Closer than this to the end (px) counts as at the bottom. */
const STICK_THRESHOLD_PX = 32;

export class ScrollController implements ReactiveController {
  /** The reader is at (or near) the newest message, so new content scrolls into view. */
  atBottom = true;

  constructor(
    host: ReactiveControllerHost,
    private readonly _scroller: () => HTMLElement | null | undefined,
  ) {
    host.addController(this);
  }

  /** The scroller's `scroll` listener. */
  readonly onScroll = (): void => {
    const el = this._scroller();
    if (el) this.atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_THRESHOLD_PX;
  };

  hostUpdated(): void {
    const el = this._scroller();
    if (this.atBottom && el) el.scrollTop = el.scrollHeight;
  }
}
