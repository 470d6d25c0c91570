// Escape anywhere on the page closes the launcher's panel (focus may be outside the element).
// The document listener lives exactly as long as the host is on the page, so a panel that is
// moved in the DOM (removed and appended again) still closes; whether Escape applies is asked
// when the key is pressed.
import type { ReactiveController, ReactiveControllerHost } from "lit";

export interface EscapeKeyOptions {
  /** Whether Escape should do anything now (e.g. the panel is open). */
  active(): boolean;
  onEscape(): void;
}

export class EscapeKeyController implements ReactiveController {
  constructor(
    host: ReactiveControllerHost,
    private readonly _options: EscapeKeyOptions,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    document.addEventListener("keydown", this._onKeydown);
  }

  hostDisconnected(): void {
    document.removeEventListener("keydown", this._onKeydown);
  }

  private readonly _onKeydown = (e: KeyboardEvent): void => {
    if (e.key === "Escape" && this._options.active()) this._options.onEscape();
  };
}
