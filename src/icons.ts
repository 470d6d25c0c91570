// The element's icons: inline SVG paths (no icon font, no fetch), hidden from assistive
// technology; the buttons that hold them carry the accessible name.
import { html, type TemplateResult } from "lit";

const icon = (d: string): TemplateResult =>
  html`<svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"><path d=${d}></path></svg>`;

export const iconSend = icon("M3.4 20.4 21 12 3.4 3.6 3.4 10.1 15 12 3.4 13.9z");
export const iconStop = icon("M7 7h10v10H7z");
export const iconClose = icon(
  "M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19 12 13.4 17.6 19 19 17.6 13.4 12 19 6.4 17.6 5 12 10.6z",
);
export const iconChat = icon("M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z");
export const iconNew = icon("M19 13h-6v6h-2v-6H5v-2h6V5h2v6h6z");
/** The empty state's larger mark. */
export const iconSpark = html`<svg class="spark" viewBox="0 0 24 24" width="32" height="32" aria-hidden="true" focusable="false"><path d="M12 2l2.2 6.8L21 11l-6.8 2.2L12 20l-2.2-6.8L3 11l6.8-2.2z"></path></svg>`;
