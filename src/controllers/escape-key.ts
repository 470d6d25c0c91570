// Escape closes the launcher's panel, but only when focus is inside the widget: the host page's
// own menus and dialogs keep their Escape. Keyboard events from the shadow root reach the host,
// so the listener sits on the host and lives exactly as long as it is on the page.
import type { ReactiveController, ReactiveControllerHost } from "lit";

export interface EscapeKeyOptions {
  /** Whether Escape should do anything now (e.g. the panel is open). */
  active(): boolean;
  onEscape(): void;
}

export class EscapeKeyController implements ReactiveController {
  constructor(
    private readonly _host: ReactiveControllerHost & HTMLElement,
    private readonly _options: EscapeKeyOptions,
  ) {
    _host.addController(this);
  }

  hostConnected(): void {
    this._host.addEventListener("keydown", this._onKeydown);
  }

  hostDisconnected(): void {
    this._host.removeEventListener("keydown", this._onKeydown);
  }

  private readonly _onKeydown = (e: KeyboardEvent): void => {
    if (e.key !== "Escape" || e.defaultPrevented || !this._options.active()) return;
    // Also keeps a modal <dialog> from closing itself behind the host's back.
    e.preventDefault();
    this._options.onEscape();
  };
}
