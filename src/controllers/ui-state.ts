// What the visitor leaves on screen survives a reload: whether the launcher's panel is open and
// the text not sent yet, per deployment URL in sessionStorage (this tab only: another tab starts
// closed and empty). The controller owns the draft; the host reads and sets it through here.
import type { ReactiveController, ReactiveControllerHost } from "lit";
import { loadUiState, saveUiState } from "../storage.js";

export interface UiStateHost extends ReactiveControllerHost {
  convexUrl: string;
  launcher: boolean;
  open: boolean;
}

export class UiStateController implements ReactiveController {
  /** The text in the message box, not sent yet. */
  draft = "";
  private _url = "";
  private _saved = "";

  constructor(private readonly _host: UiStateHost) {
    _host.addController(this);
  }

  /** Restores what this tab stored for the host's deployment; call before rendering a new `convexUrl`. */
  restore(): void {
    const url = this._host.convexUrl;
    if (url === this._url) return;
    this._url = url;
    const saved = url ? loadUiState(url) : null;
    this._saved = JSON.stringify(saved);
    if (!saved) return;
    if (!this.draft) this.draft = saved.draft;
    if (saved.open && this._host.launcher) this._host.open = true;
  }

  setDraft(text: string): void {
    if (text === this.draft) return;
    this.draft = text;
    this._host.requestUpdate();
  }

  hostUpdated(): void {
    if (!this._url) return;
    const state = { open: this._host.launcher && this._host.open, draft: this.draft };
    const key = JSON.stringify(state);
    if (key === this._saved) return;
    this._saved = key;
    saveUiState(this._url, state);
  }
}
