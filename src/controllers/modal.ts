// The launcher's panel is a <dialog>. On a small screen it covers the page, so there it is
// modal (`showModal()`: focus stays inside and the page behind is inert); on a larger one it
// floats beside the page, which stays usable (`show()`). Follows the open state and the screen
// width, and switches between the two when either changes.
import type { ReactiveController, ReactiveControllerHost } from "lit";

/** Matches the stylesheet's full-screen panel breakpoint. */
const SMALL_SCREEN = "(max-width: 480px)";

export interface ModalOptions {
  /** The panel, when it is a dialog (launcher mode). */
  dialog(): HTMLDialogElement | null | undefined;
  /** Whether the panel should be showing. */
  shown(): boolean;
}

export class ModalController implements ReactiveController {
  private _media?: MediaQueryList;

  constructor(
    host: ReactiveControllerHost,
    private readonly _options: ModalOptions,
  ) {
    host.addController(this);
  }

  /** The panel is modal right now. */
  get modal(): boolean {
    return this._options.dialog()?.matches(":modal") ?? false;
  }

  hostConnected(): void {
    this._media = matchMedia(SMALL_SCREEN);
    this._media.addEventListener("change", this._sync);
    // Moved in the page: the dialog closed on leaving; open it again as it was.
    this._sync();
  }

  hostDisconnected(): void {
    this._media?.removeEventListener("change", this._sync);
    // A modal dialog left open would keep the page inert.
    this._options.dialog()?.close();
  }

  hostUpdated(): void {
    this._sync();
  }

  private readonly _sync = (): void => {
    const dialog = this._options.dialog();
    if (!dialog) return;
    const want = !this._options.shown() ? "closed" : this._media?.matches ? "modal" : "open";
    const now = !dialog.open ? "closed" : dialog.matches(":modal") ? "modal" : "open";
    if (want === now) return;
    if (dialog.open) dialog.close();
    if (want === "modal") dialog.showModal();
    else if (want === "open") dialog.show();
  };
}
