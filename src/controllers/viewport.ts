// Keeps the composer above mobile on-screen keyboards: follows `visualViewport` and exposes
// the part of the layout viewport it covers as `--_ai-chat-keyboard` on the host.
import type { ReactiveController, ReactiveControllerHost } from "lit";

export class ViewportController implements ReactiveController {
  private _frame = 0;

  constructor(private readonly _host: ReactiveControllerHost & HTMLElement) {
    _host.addController(this);
  }

  hostConnected(): void {
    const vv = window.visualViewport;
    if (!vv) return;
    vv.addEventListener("resize", this._schedule);
    vv.addEventListener("scroll", this._schedule);
    this._apply();
  }

  hostDisconnected(): void {
    const vv = window.visualViewport;
    vv?.removeEventListener("resize", this._schedule);
    vv?.removeEventListener("scroll", this._schedule);
    cancelAnimationFrame(this._frame);
  }

  private readonly _schedule = (): void => {
    cancelAnimationFrame(this._frame);
    this._frame = requestAnimationFrame(this._apply);
  };

  private readonly _apply = (): void => {
    const vv = window.visualViewport;
    if (!vv) return;
    const covered = Math.max(0, Math.round(window.innerHeight - vv.height - vv.offsetTop));
    this._host.style.setProperty("--_ai-chat-keyboard", `${covered}px`);
    this._host.style.setProperty("--_ai-chat-viewport-height", `${Math.round(vv.height)}px`);
  };
}
