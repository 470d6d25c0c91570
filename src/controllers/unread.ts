// Replies that finished while the launcher's panel was closed: how many, and the start of the
// newest, for the badge and preview on the launcher. Opening the panel reads them. They belong
// to the conversation they came from: when the host shows another thread (however `thread` was
// set: by the page, a new conversation, a restored session) they are dropped before it renders.
import type { ReactiveController, ReactiveControllerHost } from "lit";
import { displayClip } from "../display-text.js";

/** Characters of a reply shown on the launcher. */
const PREVIEW_CHARS = 80;

export class UnreadController implements ReactiveController {
  count = 0;
  /** The newest unread reply's first line, shortened. */
  preview = "";
  /** The thread the count belongs to, as of the last update. */
  private _thread: string | null = null;

  constructor(private readonly _host: ReactiveControllerHost & { readonly thread: string | null }) {
    _host.addController(this);
  }

  /** Runs after the host's `willUpdate`, before it renders: the badge never shows for another thread. */
  hostUpdate(): void {
    if (this._host.thread === this._thread) return;
    this._thread = this._host.thread;
    this.clear();
  }

  /** A reply arrived unseen; `text` is its plain text (not Markdown). */
  add(text: string): void {
    this.count++;
    this.preview = previewOf(text);
    this._host.requestUpdate();
  }

  /** The visitor has seen them (the panel opened, or another conversation shows). */
  clear(): void {
    if (!this.count) return;
    this.count = 0;
    this.preview = "";
    this._host.requestUpdate();
  }
}

/** The start of a reply's plain text (the chat renders it: plain-text.ts): one line, whole characters, no controls. */
function previewOf(text: string): string {
  return displayClip(text.replace(/\s+/g, " ").trim(), PREVIEW_CHARS);
}
