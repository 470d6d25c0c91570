// How a reply that grows at the end is rendered without re-rendering all of it on every update.
// `MarkdownStream` renders each finished block once and keeps its DOM; only the growing tail is
// lexed and rendered again, and never more than `MAX_SEGMENT` characters of it, so an update
// costs about the same at 50 KB as at 1 KB, whatever the model writes (guard.ts). Link
// reference definitions apply to the whole reply, as in a whole render (links.ts).
import type { Token, Tokens } from "marked";
import { MAX_SEGMENT, plainPieceEnd, plainRunEnd, type PlainRun } from "./guard.js";
import { addDefs, collectDefs, lookupsChanged, noLinks, type Links, type Lookups } from "./links.js";
import { MarkdownRenderer, normalise, type MarkdownOptions } from "./renderer.js";

/** A finished piece of the reply: Markdown blocks rendered together, or plain text. */
type Segment = {
  src: string;
  plain: boolean;
  defs: Tokens.Def[];
  lookups: Lookups;
  el: HTMLElement;
};

/**
 * Markdown for a reply that grows at the end. `update(text)` returns one element per finished
 * segment plus one for the growing tail; finished segments are rendered once and the same
 * element is returned on every later call (unless a link definition they use changes), so a
 * renderer that diffs by identity leaves them alone. The last update's blocks, put together,
 * equal `renderMarkdown` of the same text, except where a block was too big for an update
 * (then it is plain text, the same whichever way the text arrived).
 */
export class MarkdownStream {
  /** How many times a block was rendered (marked parser + sanitiser). For tests and benchmarks. */
  parseCount = 0;
  private readonly _renderer: MarkdownRenderer;
  private _text = "";
  private _stableEnd = 0;
  private _stable: Segment[] = [];
  private _plain: PlainRun | null = null;
  private _tail: HTMLElement | null = null;
  private _linksKey = "";
  private _streaming = false;

  /** `opts`, or a renderer to share: it is stateless between calls, so one serves every reply with the same options. */
  constructor(opts: MarkdownOptions | MarkdownRenderer = {}) {
    this._renderer = opts instanceof MarkdownRenderer ? opts : new MarkdownRenderer(opts);
  }

  get blocks(): HTMLElement[] {
    const els = this._stable.map((s) => s.el);
    return this._tail ? [...els, this._tail] : els;
  }

  /**
   * `streaming`: more text may still come, so the growing tail is not highlighted yet (finished
   * segments are, once each); the update that ends the reply renders the tail with its colours.
   */
  update(input: string, streaming = false): HTMLElement[] {
    const text = normalise(input);
    if (text === this._text && streaming === this._streaming) return this.blocks;
    this._streaming = streaming;
    if (this._stableEnd > text.length || !text.startsWith(this._text.slice(0, this._stableEnd))) {
      this._stableEnd = 0;
      this._stable = [];
      this._plain = null;
      this._linksKey = "";
    }
    this._text = text;
    const fresh: Segment[] = [];
    let tail: { start: number; plain: boolean } | null = null;
    let links = this._stableLinks();
    // Finish what can be finished, one bounded window at a time.
    while (this._stableEnd < text.length) {
      const start = this._stableEnd;
      if (this._plain) {
        const end = plainPieceEnd(text, start, this._plain);
        if (end === null) {
          tail = { start, plain: true };
          break;
        }
        fresh.push(this._segment(text.slice(start, end), end, true));
        if (end === plainRunEnd(text, this._plain)) this._plain = null;
        continue;
      }
      const window = text.slice(start, start + MAX_SEGMENT);
      const { tokens, links: withWindow } = this._renderer.lexBlocks(window, links);
      const cuts = boundaries(window, tokens);
      const cut = cuts.at(-1) ?? 0;
      const complete = start + window.length === text.length && window.length < MAX_SEGMENT;
      if (cut === 0) {
        if (complete) {
          links = withWindow;
          tail = { start, plain: false };
          break;
        }
        // No end in sight within MAX_SEGMENT: too big to lex again on every update.
        this._plain = { searchFrom: start + MAX_SEGMENT };
        continue;
      }
      let from = 0;
      for (const tokensOfSegment of split(tokens, cuts)) {
        const defs = collectDefs(tokensOfSegment);
        addDefs(links, defs);
        const to = from + tokensOfSegment.reduce((n, t) => n + t.raw.length, 0);
        fresh.push(this._segment(window.slice(from, to), start + to, false, defs));
        from = to;
      }
      if (complete) {
        // The rest of this window is the tail; its definitions count too.
        links = withWindow;
        tail = { start: this._stableEnd, plain: false };
        break;
      }
    }
    // Definitions anywhere in the reply apply to all of it: render the new segments with all of
    // them, and render again finished segments whose definitions changed.
    const key = JSON.stringify(links);
    if (key !== this._linksKey) {
      this._linksKey = key;
      for (const s of this._stable) if (!s.plain && lookupsChanged(s.lookups, links)) this._renderSegment(s, links);
    }
    for (const s of fresh) if (!s.plain) this._renderSegment(s, links);
    this._stable.push(...fresh);
    this._tail = null;
    if (tail) {
      const src = text.slice(tail.start);
      this._tail = tail.plain ? this._plainBlock(src) : this._markdownBlock(src, links, new Map(), !streaming);
    }
    return this.blocks;
  }

  private _stableLinks(): Links {
    const links = noLinks();
    for (const s of this._stable) addDefs(links, s.defs);
    return links;
  }

  /** A finished segment ending at `end`; Markdown ones are rendered once all definitions are known. */
  private _segment(src: string, end: number, plain: boolean, defs: Tokens.Def[] = []): Segment {
    this._stableEnd = end;
    const el = plain ? this._plainBlock(src) : document.createElement("div");
    return { src, plain, defs, lookups: new Map(), el };
  }

  private _renderSegment(s: Segment, links: Links): void {
    s.lookups = new Map();
    // A new element, so a renderer that diffs by identity replaces the old one.
    s.el = this._markdownBlock(s.src, links, s.lookups);
  }

  private _markdownBlock(src: string, links: Links, lookups: Lookups, finished = true): HTMLElement {
    this.parseCount++;
    const el = document.createElement("div");
    el.className = "md-block";
    el.append(this._renderer.render(this._renderer.lex(src, links, lookups), finished));
    return el;
  }

  private _plainBlock(src: string): HTMLElement {
    this.parseCount++;
    const el = document.createElement("div");
    el.className = "md-block";
    el.append(this._renderer.renderPlain(src));
    return el;
  }
}

/** `tokens` cut at the offsets `cuts` (ascending), without what follows the last cut. */
function split(tokens: Token[], cuts: number[]): Token[][] {
  const out: Token[][] = [];
  let current: Token[] = [];
  let offset = 0;
  for (const t of tokens) {
    if (offset === cuts[out.length]) {
      out.push(current);
      current = [];
      if (out.length === cuts.length) break;
    }
    current.push(t);
    offset += t.raw.length;
  }
  return out;
}

/**
 * Offsets in `src` where what comes before is final whatever is appended: the start of a block
 * that follows a blank line and whose first line can no longer turn into the continuation of
 * the block before (a list item, say: `2` may still become `2. more`).
 */
function boundaries(src: string, tokens: Token[]): number[] {
  let offset = 0;
  const cuts: number[] = [];
  for (const t of tokens) {
    const start = offset;
    offset += t.raw.length;
    if (start === 0 || t.type === "space" || !/\n[ \t]*\n$/.test(src.slice(Math.max(0, start - 256), start))) continue;
    const firstLineDone = src.indexOf("\n", start) >= 0;
    const firstChar = /\S/.exec(t.raw)?.[0] ?? "";
    if (firstLineDone || !/[-+*0-9]/.test(firstChar)) cuts.push(start);
  }
  // The tokens must cover the text exactly for offsets to mean anything.
  return offset === src.length ? cuts : [];
}
