// What the visitor leaves on screen survives a reload: whether the launcher's panel is open and
// the text not sent yet, per deployment URL and widget (its storage key) in sessionStorage (this tab only: another tab starts
// closed and empty). The controller owns the draft; the host reads and sets it through here.
import type { ReactiveController, ReactiveControllerHost } from "lit";
import { loadUiState, saveUiState } from "../storage.js";

export interface UiStateHost extends ReactiveControllerHost {
  convexUrl: string;
  launcher: boolean;
  open: boolean;
  /** Which widget of the deployment this is (`storage-key`, `id`, or a default). */
  readonly effectiveStorageKey: string;
}

export class UiStateController implements ReactiveController {
  /** The text in the message box, not sent yet. */
  draft = "";
  /** The deployment URL and storage key restored from. */
  private _url = "";
  private _widget = "";
  private _saved = "";

  constructor(private readonly _host: UiStateHost) {
    _host.addController(this);
  }

  /** Restores what this tab stored for the host's deployment and key; call before rendering a new `convexUrl` or `storageKey`. */
  restore(): void {
    const url = this._host.convexUrl;
    const widget = this._host.effectiveStorageKey;
    if (url === this._url && widget === this._widget) return;
    this._url = url;
    this._widget = widget;
    const saved = url ? loadUiState(url, widget) : null;
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
    saveUiState(this._url, this._widget, state);
  }
}
