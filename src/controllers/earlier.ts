// Pages in older history when the reader reaches the top of the transcript: the "earlier
// messages" button at the top is also an IntersectionObserver sentinel, so scrolling up loads
// the next page by itself and keyboard users can press it. The rows already shown stay where
// they are on screen: the distance from the scroller's bottom is kept across the update that
// puts the page in front. That distance belongs to the rows it was measured on: when they are
// gone by the time the page would show (another thread opened meanwhile, and the page was
// dropped), it is applied to nothing.
import type { ReactiveController, ReactiveControllerHost } from "lit";

export class EarlierController implements ReactiveController {
  private _observer?: IntersectionObserver;
  private _sentinel: Element | null = null;
  /**
   * The oldest row shown when the page in flight was asked for. Rows are keyed by message, so it
   * leaves the DOM with its transcript; while it is shown, that load is the one in flight.
   */
  private _loadingFrom: Element | null = null;
  private _visible = false;
  /** The last scroll went up: the reader is reading back (pinning to the end only scrolls down). */
  private _up = false;
  private _lastTop = 0;

  constructor(
    private readonly _host: ReactiveControllerHost,
    private readonly _scroller: () => HTMLElement | null | undefined,
    private readonly _load: () => Promise<void>,
  ) {
    _host.addController(this);
    // Made once the thread has older history (its code loads then): scrolling is measured from here.
    this._lastTop = _scroller()?.scrollTop ?? 0;
  }

  /** Loads the page before the oldest message shown, keeping the rows shown in place. */
  readonly load = async (): Promise<void> => {
    const el = this._scroller();
    const oldest = el?.querySelector(".row");
    // A load for rows no longer shown (another thread) does not hold up this thread's.
    if (!el || !oldest || this._loadingFrom?.isConnected) return;
    this._loadingFrom = oldest;
    const fromBottom = el.scrollHeight - el.scrollTop;
    this._up = false;
    try {
      await this._load();
      await this._host.updateComplete;
      if (el.contains(oldest)) this._restore(fromBottom);
    } finally {
      if (this._loadingFrom === oldest) this._loadingFrom = null;
    }
  };

  hostUpdated(): void {
    const root = this._scroller();
    const sentinel = root?.querySelector(".earlier") ?? null;
    if (sentinel === this._sentinel) return;
    this._observer?.disconnect();
    this._observer = undefined;
    this._sentinel = sentinel;
    this._visible = false;
    if (!sentinel || !root) return;
    this._observer = new IntersectionObserver(
      (entries) => {
        this._visible = entries[entries.length - 1]!.isIntersecting;
        this._maybeLoad();
      },
      { root },
    );
    this._observer.observe(sentinel);
  }

  /** The scroller's `scroll` listener: the sentinel may have been in view before the reader scrolled up. */
  readonly onScroll = (): void => {
    const el = this._scroller();
    if (!el) return;
    this._up = el.scrollTop < this._lastTop;
    this._lastTop = el.scrollTop;
    this._maybeLoad();
  };

  private _maybeLoad(): void {
    // Opening a thread scrolls down to its end past the sentinel: only a reader scrolling up loads.
    if (this._visible && this._up) void this.load();
  }

  hostDisconnected(): void {
    this._observer?.disconnect();
    this._observer = undefined;
    this._sentinel = null;
    this._visible = false;
  }

  /** Puts the rows back `fromBottom` (scrollHeight - scrollTop before the page) from the bottom. */
  private _restore(fromBottom: number): void {
    const el = this._scroller();
    if (!el) return;
    el.scrollTo({ top: el.scrollHeight - fromBottom, behavior: "instant" });
    this._lastTop = el.scrollTop;
  }
}
