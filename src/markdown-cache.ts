// One MarkdownStream per reply, so a reply that grows re-renders only its unfinished last block
// and finished blocks keep their elements from one render to the next. The streams share one
// MarkdownRenderer (a marked and a DOMPurify instance), made for the options in effect: new
// options start a fresh cache.
import { MarkdownRenderer, MarkdownStream, type MarkdownOptions } from "./markdown.js";

export class MarkdownCache {
  private readonly _streams = new Map<string, MarkdownStream>();
  private _optionsKey = "";
  private _renderer: MarkdownRenderer | null = null;

  /** The Markdown blocks of message `messageId` showing `text`. */
  blocks(messageId: string, text: string, options: MarkdownOptions): HTMLElement[] {
    const optionsKey = JSON.stringify(options);
    if (!this._renderer || optionsKey !== this._optionsKey) {
      this._streams.clear();
      this._optionsKey = optionsKey;
      this._renderer = new MarkdownRenderer(options);
    }
    let stream = this._streams.get(messageId);
    if (!stream) {
      stream = new MarkdownStream(this._renderer);
      this._streams.set(messageId, stream);
    }
    return stream.update(text);
  }

  /** Forgets every reply (another transcript is shown). */
  clear(): void {
    this._streams.clear();
  }
}
