// A message's files in the transcript (`[part~="attachment"]`), the same for the visitor, observers
// and the operator console: an image is a thumbnail that opens full size, any other file a chip
// with its name and size that opens or downloads it. Loaded when the first message with files
// renders (src/chat/on-demand.ts), with its own styles. The chat hands in its own `html`, so the
// part carries no copy of Lit (a copy would make it 6.8 KB gzipped instead of under 1).
import type { html as Html, TemplateResult } from "lit";
import type { MessageView } from "../api.js";

type Attachment = NonNullable<MessageView["attachments"]>[number];

const STYLES = `
  .attachments {
    display: flex;
    flex-wrap: wrap;
    gap: 6px;
    margin-top: 6px;
  }
  [part~="attachment"] {
    display: inline-flex;
    align-items: center;
    gap: 6px;
    max-width: 100%;
    border: 1px solid var(--_border);
    border-radius: 8px;
    color: inherit;
    text-decoration: none;
    overflow: hidden;
  }
  [part~="attachment"]:focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }
  [part~="attachment"] img {
    display: block;
    max-width: 160px;
    max-height: 160px;
    object-fit: cover;
  }
  [part~="file"] {
    padding: 6px 10px;
    font-size: 0.85em;
    overflow-wrap: anywhere;
  }
`;

/** 11 bytes, 12.3 kB, 4.5 MB. */
export function fileSize(n: number): string {
  if (n < 1000) return `${n} B`;
  return n < 1_000_000 ? `${(n / 1000).toFixed(1)} kB` : `${(n / 1_000_000).toFixed(1)} MB`;
}

/** Only the deployment's http(s) URLs are followed: a URL is data from the server, not trusted markup. */
function safeUrl(url: string | null): string | null {
  if (!url) return null;
  try {
    const { protocol } = new URL(url);
    return protocol === "https:" || protocol === "http:" ? url : null;
  } catch {
    return null;
  }
}

function attachment(html: typeof Html, a: Attachment): TemplateResult {
  const url = safeUrl(a.url);
  const label = `${a.name}, ${fileSize(a.size)}`;
  if (url && a.contentType.startsWith("image/")) {
    return html`<a part="attachment image" href=${url} target="_blank" rel="noopener noreferrer" title=${label}
      ><img src=${url} alt=${label} loading="lazy"
    /></a>`;
  }
  return url
    ? html`<a part="attachment file" href=${url} target="_blank" rel="noopener noreferrer" download=${a.name}>${label}</a>`
    : html`<span part="attachment file">${label}</span>`;
}

/** The files of a message, under its text. */
export function attachmentsTemplate(html: typeof Html, list: Attachment[]): TemplateResult {
  return html`<div class="attachments">${list.map((a) => attachment(html, a))}</div>`;
}

let sheet: CSSStyleSheet | undefined;

/** Adds the part's styles to the widget's shadow root, once (a constructed sheet, as Lit's own: strict CSP allows it). */
export function adoptStyles(root: ShadowRoot): void {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLES);
  }
  if (!root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
}
