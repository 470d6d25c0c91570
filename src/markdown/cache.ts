// One MarkdownStream per reply, so a reply that grows re-renders only its unfinished last block
// and finished blocks keep their elements from one render to the next. The streams share one
// MarkdownRenderer (a marked and a DOMPurify instance), made for the options in effect: new
// options start a fresh cache.
//
// A stream lives as long as its reply is on screen. Every render of the transcript asks for the
// blocks of every reply it shows, synchronously (Lit's `repeat` runs the template of each item
// on each render); so at the microtask after a render, a stream nobody asked for belongs to a
// message that left the transcript (a reply `messages:retry` replaced, a row gone), and is
// dropped then rather than kept until the thread changes. The worst a wrong guess costs is one
// reply's blocks built again at its next render.
import { MarkdownRenderer, MarkdownStream, type MarkdownOptions } from "./index.js";

export class MarkdownCache {
  private readonly _streams = new Map<string, MarkdownStream>();
  private _optionsKey = "";
  private _renderer: MarkdownRenderer | null = null;
  /** Replies asked for since the last sweep; `null` when no sweep is scheduled. */
  private _shown: Set<string> | null = null;

  /** The Markdown blocks of message `messageId` showing `text` (`streaming`: more may come). */
  blocks(messageId: string, text: string, options: MarkdownOptions, streaming?: boolean): HTMLElement[] {
    const optionsKey = JSON.stringify(options);
    if (!this._renderer || optionsKey !== this._optionsKey) {
      this._streams.clear();
      this._optionsKey = optionsKey;
      this._renderer = new MarkdownRenderer(options);
    }
    if (!this._shown) {
      this._shown = new Set();
      queueMicrotask(this._sweep);
    }
    this._shown.add(messageId);
    let stream = this._streams.get(messageId);
    if (!stream) {
      stream = new MarkdownStream(this._renderer);
      this._streams.set(messageId, stream);
    }
    return stream.update(text, streaming);
  }

  /** How many replies it keeps a stream for. */
  get size(): number {
    return this._streams.size;
  }

  /** Forgets every reply (another transcript is shown). */
  clear(): void {
    this._streams.clear();
  }

  /** After a render: forgets the replies it did not show. */
  private readonly _sweep = (): void => {
    const shown = this._shown;
    this._shown = null;
    if (!shown) return;
    for (const id of this._streams.keys()) if (!shown.has(id)) this._streams.delete(id);
  };
}
