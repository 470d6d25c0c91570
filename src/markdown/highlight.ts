// Token colours for fenced code with a language: a part of its own (src/parts.ts `highlight`),
// loaded when the first such block is rendered, never with the chat. highlight.js's core and
// the 20 languages models write most (36 KB gzipped; the comparison with Prism, Shiki, lowlight
// and others is in docs/architecture.md). The renderer calls `highlight` only for finished
// blocks (renderer.ts), so a block still streaming costs what it did before.
//
// highlight.js escapes the code and wraps tokens in `<span class="hljs-...">`; that HTML still
// goes through the renderer's own DOMPurify instance and allowlist, and then every class that is
// not one of highlight.js's token names is dropped. A language it does not know stays plain.
import type { DOMPurify } from "dompurify";
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import csharp from "highlight.js/lib/languages/csharp";
import css from "highlight.js/lib/languages/css";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import kotlin from "highlight.js/lib/languages/kotlin";
import markdown from "highlight.js/lib/languages/markdown";
import php from "highlight.js/lib/languages/php";
import python from "highlight.js/lib/languages/python";
import ruby from "highlight.js/lib/languages/ruby";
import rust from "highlight.js/lib/languages/rust";
import sql from "highlight.js/lib/languages/sql";
import swift from "highlight.js/lib/languages/swift";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";

// Each brings its aliases (js, ts, py, sh, html, yml, rs, rb, ...). `xml` is also HTML.
const LANGUAGES = {
  bash,
  c,
  cpp,
  csharp,
  css,
  go,
  java,
  javascript,
  json,
  kotlin,
  markdown,
  php,
  python,
  ruby,
  rust,
  sql,
  swift,
  typescript,
  xml,
  yaml,
};

// A private instance: a page's own highlight.js (or a second widget) never shares its languages.
const hl = hljs.newInstance();
for (const [name, language] of Object.entries(LANGUAGES)) hl.registerLanguage(name, language);

/**
 * A class highlight.js writes: `hljs-keyword`, a scope's sub-name such as `function_` in
 * `hljs-title function_`, or `language-css` on code of another language inside (CSS in HTML).
 */
const TOKEN_CLASS = /^(?:hljs-[a-z_]+(?:-[a-z_]+)*|[a-z]+_+|language-[a-z]+)$/;

/** The languages highlighted (their names; each also answers to its aliases). */
export const languages = Object.keys(LANGUAGES);

/**
 * Colours the tokens of a finished code block, in place: `code` is marked's
 * `<code class="language-x">`. Unknown languages, and code highlight.js gives up on, stay plain.
 */
export function highlight(code: HTMLElement, purify: DOMPurify): void {
  const lang = /^language-(\S+)/.exec(code.className)?.[1];
  if (!lang || !hl.getLanguage(lang)) return;
  const html = hl.highlight(code.textContent ?? "", { language: lang, ignoreIllegals: true }).value;
  const frag = purify.sanitize(html) as unknown as DocumentFragment;
  for (const el of Array.from(frag.querySelectorAll("*"))) {
    // Only spans with token classes: anything else keeps its text and loses its markup.
    if (el.tagName !== "SPAN") {
      el.replaceWith(...Array.from(el.childNodes));
      continue;
    }
    const classes = el.getAttribute("class")?.split(" ") ?? [];
    if (!classes.every((name) => TOKEN_CLASS.test(name))) el.removeAttribute("class");
    else colour(el as HTMLElement, classes[0]!.slice("hljs-".length));
  }
  code.replaceChildren(frag);
  code.classList.add("hljs");
}

// Colours by token class, set on each span through the CSSOM (allowed under a strict CSP, unlike
// a style attribute), so this part needs no stylesheet of its own. Each is a public custom
// property with a default that reads on the code block's dark background in both themes; a page
// that makes `--ai-chat-code-bg` light sets these too.
const keyword = "var(--ai-chat-code-keyword, #ff7b72)";
const string = "var(--ai-chat-code-string, #a5d6ff)";
const comment = "var(--ai-chat-code-comment, #9198a1)";
const number = "var(--ai-chat-code-number, #79c0ff)";
const title = "var(--ai-chat-code-title, #d2a8ff)";
const type = "var(--ai-chat-code-type, #ffa657)";
const COLOURS: Record<string, string> = {
  keyword,
  "selector-tag": keyword,
  doctag: keyword,
  deletion: keyword,
  string,
  regexp: string,
  char: string,
  "template-tag": string,
  addition: string,
  comment,
  quote: comment,
  meta: comment,
  number,
  literal: number,
  symbol: number,
  attr: number,
  attribute: number,
  variable: number,
  property: number,
  "selector-attr": number,
  "selector-class": number,
  "selector-id": number,
  title,
  section: title,
  name: title,
  "selector-pseudo": title,
  built_in: type,
  type,
  params: type,
  "template-variable": type,
  subst: type,
};

/** Colours one token span by its first class (`hljs-keyword`). */
function colour(span: HTMLElement, token: string): void {
  const colour = COLOURS[token];
  if (colour) span.style.color = colour;
  if (token === "comment" || token === "quote" || token === "emphasis") span.style.fontStyle = "italic";
  if (token === "strong") span.style.fontWeight = "600";
}
