// One MarkdownStream per reply, so a reply that grows re-renders only its unfinished last block
// and finished blocks keep their elements from one render to the next. The rendered blocks
// depend on the options (labels, allowed image hosts): new options start a fresh cache.
import { MarkdownStream, type MarkdownOptions } from "./markdown.js";

export class MarkdownCache {
  private readonly _streams = new Map<string, MarkdownStream>();
  private _optionsKey = "";

  /** The Markdown blocks of message `messageId` showing `text`. */
  blocks(messageId: string, text: string, options: MarkdownOptions): HTMLElement[] {
    const optionsKey = JSON.stringify(options);
    if (optionsKey !== this._optionsKey) {
      this._streams.clear();
      this._optionsKey = optionsKey;
    }
    let stream = this._streams.get(messageId);
    if (!stream) {
      stream = new MarkdownStream(options);
      this._streams.set(messageId, stream);
    }
    return stream.update(text);
  }

  /** Forgets every reply (another transcript is shown). */
  clear(): void {
    this._streams.clear();
  }
}
