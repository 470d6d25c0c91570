// How often a growing reply re-renders: text that grows asks for at most one host update per
// animation frame, however many chunks arrive in it. A hidden page gets no frames, so there a
// short timer paces it instead: a reply keeps following in a background tab.
import type { ReactiveControllerHost } from "lit";

/** How often a hidden page renders a growing reply (it paints no frames to pace it). */
export const HIDDEN_UPDATE_MS = 250;

export class UpdatePacer {
  /** Cancels the host update that is scheduled, if any. */
  private _cancel?: () => void;

  constructor(private readonly _host: ReactiveControllerHost) {}

  /** Schedules one host update on the next frame (hidden page: in `HIDDEN_UPDATE_MS`); no-op if one is pending. */
  schedule(): void {
    if (this._cancel) return;
    const flush = () => {
      this._cancel = undefined;
      this._host.requestUpdate();
    };
    if (document.hidden) {
      const timer = setTimeout(flush, HIDDEN_UPDATE_MS);
      this._cancel = () => clearTimeout(timer);
    } else {
      const frame = requestAnimationFrame(flush);
      this._cancel = () => cancelAnimationFrame(frame);
    }
  }

  /** Drops the scheduled update (the owner stops, or rendered anyway). */
  cancel(): void {
    this._cancel?.();
    this._cancel = undefined;
  }
}
