// The templates of <ai-chat-stream>'s shell, which a page with a closed launcher loads: the
// launcher button with its unread badge and preview, the panel's frame (a <dialog> in launcher
// mode, which ModalController opens, or a <section> inline), and what the panel shows while the
// chat's code loads. The chat renders inside the same frame, so the dialog stays the same element.
import { html, nothing, type TemplateResult } from "lit";
import { iconChat, iconClose } from "../icons.js";
import { format, type ChatStrings } from "../strings.js";

export interface LauncherView {
  open: boolean;
  /** Replies that finished unseen (0 while open). */
  unread: number;
  preview: string;
  strings: ChatStrings;
  panel: TemplateResult;
  /** The chat's live region while the panel is closed (still heard), if the chat is there. */
  liveRegion?: TemplateResult;
  onToggle(): void;
  /** The pointer is over the button or it has focus: the visitor may be about to open it. */
  onIntent(): void;
}

export function launcherTemplate(v: LauncherView): TemplateResult {
  const { strings, unread } = v;
  const unreadLabel = unread ? format(strings.unread, { count: unread }) : "";
  return html`
    <button
      part="launcher"
      class="launcher"
      type="button"
      aria-expanded=${v.open ? "true" : "false"}
      aria-controls="panel"
      aria-label=${v.open ? strings.closeChat : unread ? `${strings.openChat}, ${unreadLabel}` : strings.openChat}
      @click=${v.onToggle}
      @pointerenter=${v.onIntent}
      @focus=${v.onIntent}
    >
      ${v.open ? iconClose : iconChat}
      ${unread ? html`<span part="unread" class="unread" aria-hidden="true">${unread}</span>` : nothing}
    </button>
    ${
      unread && v.preview
        ? html`<button part="unread-preview" class="unread-preview" type="button" dir="auto" @click=${v.onToggle}><span class="unread-text">${v.preview}</span></button>`
        : nothing
    }
    ${v.panel} ${v.liveRegion ?? nothing}
  `;
}

export interface PanelFrame {
  launcher: boolean;
  heading: string;
  /** The chat's code is still loading (or failed to). */
  busy: boolean;
  /** `rtl` while a right-to-left translation is shown. */
  dir?: string;
  content: TemplateResult;
  onCancel(e: Event): void;
}

export function panelFrame(f: PanelFrame): TemplateResult {
  return f.launcher
    ? html`<dialog id="panel" part="panel" class="panel" dir=${f.dir ?? nothing} aria-label=${f.heading} aria-busy=${f.busy ? "true" : nothing} @cancel=${f.onCancel}>${f.content}</dialog>`
    : html`<section id="panel" part="panel" class="panel" dir=${f.dir ?? nothing} aria-label=${f.heading} aria-busy=${f.busy ? "true" : nothing}>${f.content}</section>`;
}

export interface LoadingView {
  heading: string;
  failed: boolean;
  launcher: boolean;
  strings: ChatStrings;
  onClose(): void;
  /** Tries to load the chat's code again. */
  onRetry(): void;
}

/** The panel while the chat's code loads, or after it failed to (Retry, or opening again, retries). */
export function loadingTemplate(v: LoadingView): TemplateResult {
  const { strings } = v;
  return html`
    <div part="header" class="header">
      <h2 class="title">${v.heading}</h2>
      <span class="spacer"></span>
      ${
        v.launcher
          ? html`<button class="icon-button" type="button" aria-label=${strings.closeChat} title=${strings.closeChat} @click=${v.onClose}>${iconClose}</button>`
          : nothing
      }
    </div>
    ${
      v.failed
        ? html`<div class="banner error" role="alert">
            <span class="reason">${strings.networkError}</span>
            <button type="button" class="retry" @click=${v.onRetry}>${strings.retry}</button>
          </div>`
        : html`<div class="loading" role="progressbar" aria-label=${strings.loadingChat}></div>`
    }
  `;
}
