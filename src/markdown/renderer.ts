// How Markdown is lexed and rendered with one set of options. Each `MarkdownRenderer` owns its
// options, its `Marked` instance and its DOMPurify instance: no module state. Raw HTML in the
// model's text is never interpreted (marked's `html` renderer escapes it, so `<script>` shows
// up as the literal characters); images outside the `allow-images` hosts become a link with
// their alt text; what is left goes through the sanitiser (sanitizer.ts).
import { Marked, type Token, type TokensList } from "marked";
import type { DOMPurify } from "dompurify";
import { createSanitizer, escapeHtml, isAllowedImage, SAFE_URL } from "./sanitizer.js";
import { depthLimitedTokenizers, isPathologicalInline, plainInline } from "./guard.js";
import { noLinks, recordingLookups, type Links, type Lookups } from "./links.js";

export type MarkdownOptions = {
  /** Space-separated image hosts allowed to load, or `*` for any http(s) host. Default: none. */
  allowImages?: string;
  /** Label of the copy button on code blocks. */
  copyLabel?: string;
  /** Link text for a blocked image without alt text. */
  imageLabel?: string;
  /**
   * Colours the tokens of a finished code block that names its language (the `highlight` part,
   * once loaded). Present or not, it changes the options' JSON (`{}` or nothing), so a cache
   * keyed by it renders again when it arrives.
   */
  highlighter?: Highlighter;
  /** Called when a code block names its language: the page loads the highlighter then. */
  onCode?: () => void;
};

export type Highlighter = { highlight(code: HTMLElement, purify: DOMPurify): void };

export const normalise = (text: string): string => text.replace(/\r\n?/g, "\n");

/** Lexes and renders with one set of options. Stateless between calls. */
export class MarkdownRenderer {
  private readonly _allowImages: string;
  private readonly _copyLabel: string;
  private readonly _imageLabel: string;
  private readonly _opts: MarkdownOptions;
  private readonly _marked: Marked;
  private readonly _purify: DOMPurify;

  constructor(opts: MarkdownOptions = {}) {
    this._allowImages = opts.allowImages ?? "";
    this._copyLabel = opts.copyLabel ?? "Copy";
    this._imageLabel = opts.imageLabel ?? "Image";
    this._opts = opts;
    this._marked = new Marked({
      gfm: true,
      breaks: false,
      tokenizer: depthLimitedTokenizers(),
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
    this._purify = createSanitizer(this._allowImages);
  }

  /** Block tokens of `src` without their inline content, and the definitions `src` adds to `links`. */
  lexBlocks(src: string, links: Links): { tokens: Token[]; links: Links } {
    const lexer = new this._marked.Lexer(this._marked.defaults);
    lexer.tokens.links = Object.assign(noLinks(), links);
    const tokens = lexer.blockTokens(src, []);
    return { tokens, links: lexer.tokens.links };
  }

  /**
   * Lexes `src` as a whole document whose link definitions are `links`, and records which
   * labels it looked up in `lookups` (so a caller can tell when a later definition changes its output).
   */
  lex(src: string, links: Links, lookups?: Lookups): TokensList {
    const lexer = new this._marked.Lexer(this._marked.defaults);
    lexer.tokens.links = lookups ? recordingLookups(links, lookups) : Object.assign(noLinks(), links);
    lexer.blockTokens(src, lexer.tokens);
    // What `lexer.lex` does after the blocks, with the guard against quadratic inline input.
    for (const { src: inline, tokens } of lexer.inlineQueue) {
      lexer.state.inRawBlock = false;
      if (isPathologicalInline(inline)) tokens.push(plainInline(inline));
      else lexer.inlineTokens(inline, tokens);
    }
    lexer.inlineQueue = [];
    return lexer.tokens;
  }

  /**
   * Renders tokens (from `lex`) to a sanitised fragment owned by an inert document until inserted.
   * `finished`: no text will be added to these blocks, so their code may be highlighted.
   */
  render(tokens: TokensList, finished = true): DocumentFragment {
    const frag = this._purify.sanitize(this._marked.parser(tokens) as string) as unknown as DocumentFragment;
    this._decorateCodeBlocks(frag, finished);
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

  /** Adds a copy button above every code block (the element handles its clicks by delegation) and highlights finished ones. */
  private _decorateCodeBlocks(frag: DocumentFragment, finished: boolean): void {
    const { highlighter, onCode } = this._opts;
    for (const pre of Array.from(frag.querySelectorAll("pre"))) {
      // marked writes `class="language-x"` on the code only when the fence names a language.
      const code = pre.firstElementChild as HTMLElement | null;
      if (code?.className) {
        if (finished && highlighter) highlighter.highlight(code, this._purify);
        else onCode?.();
      }
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
  const { links } = renderer.lexBlocks(src, noLinks());
  return renderer.render(renderer.lex(src, links));
}
