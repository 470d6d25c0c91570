// What the polite live region says: only the start and the end of a reply, never its tokens.
// The same text twice in a row must be heard twice, so each announcement clears the region
// first and sets the text on the next frame.
import type { ReactiveController, ReactiveControllerHost } from "lit";

export class AnnouncerController implements ReactiveController {
  /** The live region's text. */
  text = "";
  private _frame = 0;

  constructor(private readonly _host: ReactiveControllerHost) {
    _host.addController(this);
  }

  announce(text: string): void {
    this._set("");
    cancelAnimationFrame(this._frame);
    this._frame = requestAnimationFrame(() => {
      this._frame = 0;
      this._set(text);
    });
  }

  /** Silences the region (a new conversation). */
  clear(): void {
    cancelAnimationFrame(this._frame);
    this._frame = 0;
    this._set("");
  }

  hostDisconnected(): void {
    cancelAnimationFrame(this._frame);
    this._frame = 0;
  }

  private _set(text: string): void {
    if (text === this.text) return;
    this.text = text;
    this._host.requestUpdate();
  }
}
