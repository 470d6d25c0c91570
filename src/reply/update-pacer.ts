// How often a growing reply re-renders: at most one host update per painted frame, however many
// chunks arrive in it. The first growth after a quiet frame renders at once (a reply's first
// words should not wait for a frame); growth that follows it in the same frame waits for the
// next one. A hidden page gets no frames, so there a short timer paces it instead: a reply keeps
// following in a background tab.
import type { ReactiveControllerHost } from "lit";

/** How often a hidden page renders a growing reply (it paints no frames to pace it). */
const HIDDEN_UPDATE_MS = 250;

export class UpdatePacer {
  /** Cancels the frame (or hidden-page timer) that is armed, if any. */
  private _cancel?: () => void;
  /** Growth is waiting for a later frame. */
  private _pending = false;
  /** An update went out at once, before the frame now armed is painted: that frame has its update. */
  private _renderedEarly = false;

  constructor(private readonly _host: ReactiveControllerHost) {}

  /** The reply grew: renders now if nothing rendered since the last frame, else on a later frame. */
  schedule(): void {
    if (this._cancel) {
      this._pending = true;
      return;
    }
    this._renderedEarly = true;
    this._host.requestUpdate();
    this._arm();
  }

  /** Drops what is waiting (the owner stops, or rendered anyway). */
  cancel(): void {
    this._cancel?.();
    this._cancel = undefined;
    this._pending = false;
    this._renderedEarly = false;
  }

  private _arm(): void {
    const tick = () => {
      this._cancel = undefined;
      if (this._renderedEarly) {
        // This frame paints the early update; growth since then goes on the next one.
        this._renderedEarly = false;
        if (this._pending) this._arm();
        return;
      }
      if (!this._pending) return; // a quiet frame: the next growth renders at once
      this._pending = false;
      this._host.requestUpdate();
      this._arm();
    };
    if (document.hidden) {
      const timer = setTimeout(tick, HIDDEN_UPDATE_MS);
      this._cancel = () => clearTimeout(timer);
    } else {
      const frame = requestAnimationFrame(tick);
      this._cancel = () => cancelAnimationFrame(frame);
    }
  }
}
