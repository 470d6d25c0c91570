// Replies that finished while the launcher's panel was closed: how many, and the start of the
// newest, for the badge and preview on the launcher. Opening the panel reads them. Nothing to
// start or stop with the host, so it registers no hooks.
import type { ReactiveControllerHost } from "lit";

/** Characters of a reply shown on the launcher. */
const PREVIEW_CHARS = 80;

export class UnreadController {
  count = 0;
  /** The newest unread reply's first line, shortened. */
  preview = "";

  constructor(private readonly _host: ReactiveControllerHost) {}

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

/** The start of a reply's plain text (the chat renders it: plain-text.ts), on one line. */
function previewOf(text: string): string {
  const plain = text.replace(/\s+/g, " ").trim();
  return plain.length > PREVIEW_CHARS ? `${plain.slice(0, PREVIEW_CHARS - 1).trimEnd()}…` : plain;
}
