import { css } from "lit";
import { baseStyles, themeTokens } from "./theme.styles.js";

// Public knobs are `--ai-chat-*` (documented on the class); private ones are `--_*`.
export const styles = [
  baseStyles,
  themeTokens,
  css`
    :host {
      display: block;
      height: var(--_height);
    }

    .sr-only {
      position: absolute;
      width: 1px;
      height: 1px;
      padding: 0;
      margin: -1px;
      overflow: hidden;
      clip: rect(0 0 0 0);
      white-space: nowrap;
      border: 0;
    }

    /* ---- panel ---- */
    .panel {
      display: flex;
      flex-direction: column;
      height: 100%;
      /* The launcher's panel is a <dialog>: none of the browser's dialog box styles. */
      margin: 0;
      padding: 0;
      max-width: none;
      max-height: none;
      color: inherit;
      background: var(--_bg);
      border: 1px solid var(--_border);
      border-radius: var(--_radius);
      /* clip, not hidden: a hidden box is still a scroll container, so scrollIntoView() on a
         message scrolled the panel itself and pushed its header out of view. */
      overflow: clip;
    }

    .header {
      display: flex;
      align-items: center;
      gap: 8px;
      padding: 12px 12px 12px 16px;
      padding-inline: 16px 12px;
      border-block-end: 1px solid var(--_border);
      min-height: 56px;
    }
    /* The title wraps rather than being cut ("Northwin…" on a phone); the spacer after it
       gives way first. */
    .title {
      flex: 0 1 auto;
      min-width: 0;
      margin: 0;
      font-size: 1.05em;
      font-weight: 600;
      letter-spacing: -0.01em;
      line-height: 1.25;
      overflow-wrap: anywhere;
      text-wrap: balance;
    }
    .spacer {
      flex: 1 1 0;
      min-width: 0;
    }
    .text-button {
      flex: none;
      display: inline-flex;
      align-items: center;
      gap: 4px;
      height: 36px;
      padding: 0 10px 0 6px;
      padding-inline: 6px 10px;
      border: 0;
      border-radius: 10px;
      background: transparent;
      color: var(--_muted);
      font-size: 0.9em;
      font-weight: 500;
    }
    .text-button:hover {
      background: var(--_assistant-bg);
      color: var(--_text);
    }
    .badge {
      flex: none;
      padding: 2px 8px;
      border-radius: 999px;
      background: var(--_badge-bg);
      color: var(--_badge-text);
      font-size: 0.75em;
      font-weight: 600;
    }
    .badge.muted {
      background: var(--_assistant-bg);
      color: var(--_muted);
    }

    button {
      font: inherit;
      color: inherit;
      cursor: pointer;
    }
    /* Every focusable part gets the same ring: buttons, links, code blocks (scrollable, so
     focusable), the transcript. The transcript's ring sits inside it, where the panel's
     rounded, clipped edge cannot cut it off. */
    :focus-visible {
      outline: 2px solid var(--_accent);
      outline-offset: 2px;
    }
    .messages:focus-visible {
      outline-offset: -3px;
      border-radius: 6px;
    }
    .icon-button {
      display: inline-grid;
      place-items: center;
      width: 36px;
      height: 36px;
      border: 0;
      border-radius: 10px;
      background: transparent;
      color: var(--_muted);
    }
    .icon-button:hover {
      background: var(--_assistant-bg);
      color: var(--_text);
    }
    svg {
      fill: currentColor;
    }

    /* ---- notices ---- */
    .notice,
    .banner {
      margin: 8px 12px 0;
      padding: 8px 12px;
      border-radius: 10px;
      font-size: 0.9em;
    }
    .notice.offline {
      background: var(--_assistant-bg);
      color: var(--_muted);
    }
    /* Turnstile's iframe is 300 x 65 px (flexible: 100% from 300 px up): centred, never clipped. */
    .human-check:not([hidden]) {
      display: flex;
      justify-content: center;
      margin: 8px 12px 0;
      min-height: 65px;
    }
    .banner {
      display: flex;
      align-items: center;
      gap: 12px;
      background: var(--_error-bg);
      color: var(--_error);
      border: 1px solid color-mix(in srgb, var(--_error) 35%, transparent);
      margin-block-end: 4px;
    }
    .banner .reason {
      flex: 1;
    }
    .retry {
      flex: none;
      padding: 4px 12px;
      border-radius: 8px;
      border: 1px solid currentColor;
      background: transparent;
      color: var(--_error);
      font-weight: 600;
    }

    /* ---- transcript ---- */
    .transcript {
      position: relative;
      flex: 1;
      min-height: 0;
      display: flex;
      flex-direction: column;
    }
    .messages {
      flex: 1;
      overflow-y: auto;
      overscroll-behavior: contain;
      padding: 16px 12px;
      display: flex;
      flex-direction: column;
      gap: 12px;
      scroll-behavior: smooth;
    }
    /* Room for a question just sent to reach the top (ScrollController sets its height); the
       negative margin cancels the row gap, so it adds nothing when empty. */
    .scroll-room {
      flex: none;
      margin-block-start: -12px;
    }
    .earlier {
      align-self: center;
      border: 1px solid var(--_border);
      border-radius: 999px;
      background: transparent;
      color: var(--_muted);
      font: inherit;
      font-size: 0.85em;
      padding: 4px 12px;
      cursor: pointer;
    }
    .empty {
      margin: auto;
      text-align: center;
      color: var(--_muted);
      padding: 24px;
    }
    .empty .spark {
      fill: var(--_accent);
      opacity: 0.9;
    }
    .empty-title {
      margin: 8px 0 4px;
      color: var(--_text);
      font-size: 1.15em;
      font-weight: 600;
    }
    .empty-hint {
      margin: 0;
    }
    .ai-note {
      margin: 12px 0 0;
      font-size: 0.8em;
    }
    .jump {
      position: absolute;
      inset-block-end: 8px;
      inset-inline: 0;
      width: fit-content;
      margin-inline: auto;
      padding: 4px 14px;
      border: 0;
      border-radius: 999px;
      background: var(--_accent);
      color: var(--_accent-text);
      font-size: 0.85em;
      font-weight: 600;
      box-shadow: var(--_shadow);
    }

    .row {
      display: flex;
    }
    /* Room for the action row under a reply that is not pending or streaming (src/actions, which
       loads after the chat and takes this room): its arrival moves nothing the reader sees. Not
       under "Thinking…" (no data-status), which the reply's first line replaces: it would shrink. */
    .row.assistant[data-status]:not([data-status$="ing"]) {
      padding-bottom: 34px;
    }
    .row.user {
      justify-content: flex-end;
    }
    .bubble {
      /* min-width: a wide code block scrolls inside the bubble instead of widening it. */
      min-width: 0;
      max-width: min(85%, 680px);
      padding: 8px 14px;
      border-radius: var(--_radius);
      overflow-wrap: anywhere;
    }
    .assistant .bubble {
      /* Replies get the width: code needs room to read. */
      max-width: min(100%, 760px);
    }
    /* A reply takes its full width from its first word, so it does not widen and narrow as
       words arrive (and "Thinking…" is replaced by a bubble that then only grows downwards). */
    .assistant .bubble.markdown {
      width: min(100%, 760px);
    }
    .user .bubble {
      background: var(--_accent);
      color: var(--_accent-text);
      border-end-end-radius: 6px;
      white-space: pre-wrap;
    }
    .user.pending .bubble {
      opacity: 0.85;
    }
    .assistant .bubble {
      background: var(--_assistant-bg);
      border-end-start-radius: 6px;
    }
    .note {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 6px 8px;
      margin: 8px 0 0;
      font-size: 0.85em;
      color: var(--_muted);
    }
    .note.failed {
      color: var(--_error);
      font-weight: 500;
    }
    .assistant.failed .bubble {
      box-shadow: inset 3px 0 0 var(--_error);
    }
    :host(:dir(rtl)) .assistant.failed .bubble {
      box-shadow: inset -3px 0 0 var(--_error);
    }
    .mark {
      display: inline-grid;
      place-items: center;
      width: 1.3em;
      height: 1.3em;
      border-radius: 50%;
      background: var(--_error);
      color: var(--_bg);
      font-weight: 700;
      font-size: 0.85em;
    }

    .thinking {
      display: inline-flex;
      align-items: center;
      gap: 8px;
      color: var(--_muted);
    }
    .dots {
      display: inline-flex;
      gap: 3px;
    }
    .dots i {
      width: 6px;
      height: 6px;
      border-radius: 50%;
      background: currentColor;
      animation: pulse 1.2s infinite ease-in-out;
    }
    .dots i:nth-child(2) {
      animation-delay: 0.15s;
    }
    .dots i:nth-child(3) {
      animation-delay: 0.3s;
    }
    @keyframes pulse {
      0%,
      80%,
      100% {
        opacity: 0.25;
        transform: scale(0.8);
      }
      40% {
        opacity: 1;
        transform: scale(1);
      }
    }

    /* Streaming cursor, placed right after the last character (streaming-cursor.ts). */
    .cursor {
      display: inline-block;
      width: 0.5em;
      height: 1.05em;
      margin-inline-start: 2px;
      vertical-align: text-bottom;
      background: var(--_accent);
      border-radius: 2px;
      animation: blink 1s steps(2, start) infinite;
    }
    @keyframes blink {
      to {
        visibility: hidden;
      }
    }

    /* ---- markdown ---- */
    .markdown p,
    .markdown ul,
    .markdown ol,
    .markdown pre,
    .markdown blockquote,
    .markdown table {
      margin: 0.5em 0;
    }
    .markdown .md-block:first-of-type > :first-child {
      margin-block-start: 0;
    }
    .markdown .md-block:last-of-type > :last-child {
      margin-block-end: 0;
    }
    .markdown h1,
    .markdown h2,
    .markdown h3,
    .markdown h4,
    .markdown h5,
    .markdown h6 {
      margin: 0.8em 0 0.4em;
      font-size: 1.05em;
      line-height: 1.3;
    }
    .markdown h1 {
      font-size: 1.25em;
    }
    .markdown h2 {
      font-size: 1.15em;
    }
    .markdown ul,
    .markdown ol {
      padding-inline-start: 1.4em;
    }
    .markdown a {
      color: var(--_accent);
      text-underline-offset: 2px;
    }
    .markdown blockquote {
      padding-inline-start: 12px;
      border-inline-start: 3px solid var(--_border);
      color: var(--_muted);
    }
    .markdown img {
      max-width: 100%;
      border-radius: 8px;
    }
    .markdown table {
      border-collapse: collapse;
      display: block;
      overflow-x: auto;
    }
    .markdown th,
    .markdown td {
      border: 1px solid var(--_border);
      padding: 4px 8px;
      text-align: start;
    }
    /* Identifiers in cells stay whole; a wide table scrolls instead of breaking them mid-word. */
    .markdown td code,
    .markdown th code {
      white-space: nowrap;
    }
    .markdown hr {
      border: 0;
      border-block-start: 1px solid var(--_border);
    }
    .markdown code {
      font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
      font-size: 0.9em;
      padding: 0.1em 0.35em;
      border-radius: 5px;
      background: color-mix(in srgb, var(--_text) 8%, transparent);
    }
    .code-block {
      position: relative;
      margin: 0.5em 0;
    }
    .markdown pre {
      margin: 0;
      padding: 12px 14px;
      tab-size: 2;
      padding-block-start: 34px;
      border-radius: 10px;
      background: var(--_code-bg);
      color: #e6edf3;
      overflow-x: auto;
      direction: ltr;
      text-align: left;
    }
    .markdown pre code {
      padding: 0;
      background: none;
      font-size: 0.85em;
      color: inherit;
    }
    .copy {
      position: absolute;
      top: 6px;
      inset-inline-end: 6px;
      padding: 2px 10px;
      border: 1px solid #3d444d;
      border-radius: 6px;
      background: #1f242c;
      color: #e6edf3;
      font-size: 0.75em;
    }
    .copy:hover {
      background: #2d333b;
    }

    /* ---- composer ---- */
    .composer {
      display: flex;
      align-items: flex-end;
      gap: 8px;
      margin: 8px 12px 12px;
      padding: 6px 6px 6px 14px;
      padding-inline: 14px 6px;
      border: 1px solid var(--_border);
      border-radius: calc(var(--_radius) + 4px);
      background: var(--_bg);
      box-shadow: 0 1px 2px rgb(15 17 23 / 6%);
    }
    .composer:focus-within {
      border-color: var(--_accent);
    }
    .composer-meta {
      display: flex;
      gap: 8px;
      margin: -4px 16px 8px;
      font-size: 0.8em;
      color: var(--_muted);
    }
    .composer-meta:not(:has(.counter)):has(.hint:empty) {
      display: none;
    }
    .composer-meta .hint {
      flex: 1;
    }
    .composer-meta .over {
      color: var(--_error);
      font-weight: 600;
    }
    textarea {
      flex: 1;
      min-height: 36px;
      max-height: 160px;
      padding: 7px 0;
      border: 0;
      outline: none;
      resize: none;
      background: transparent;
      color: inherit;
      font: inherit;
      /* Under 16px, iOS Safari zooms the page when the box gets focus. */
      font-size: max(16px, 1em);
      field-sizing: content;
    }
    textarea::placeholder {
      color: var(--_muted);
    }
    textarea:focus-visible {
      outline: none;
    }
    .send,
    .stop {
      flex: none;
      display: inline-grid;
      place-items: center;
      width: 36px;
      height: 36px;
      border: 0;
      border-radius: 12px;
      background: var(--_accent);
      color: var(--_accent-text);
      transition:
        opacity 0.15s,
        transform 0.15s;
    }
    .send:disabled {
      opacity: 0.4;
      cursor: default;
    }
    .send:not(:disabled):active,
    .stop:active {
      transform: scale(0.94);
    }
    .stop {
      background: var(--_text);
      color: var(--_bg);
    }
    :host(:dir(rtl)) .send svg {
      transform: scaleX(-1);
    }

    /* ---- launcher ---- */
    :host([launcher]) {
      height: auto;
    }
    .launcher {
      position: fixed;
      inset-block-end: calc(20px + env(safe-area-inset-bottom, 0px) + var(--_ai-chat-keyboard, 0px));
      inset-inline-end: calc(20px + env(safe-area-inset-right, 0px));
      z-index: var(--ai-chat-z-index, 2147483000);
      display: grid;
      place-items: center;
      width: 56px;
      height: 56px;
      border: 0;
      border-radius: 50%;
      background: var(--_accent);
      color: var(--_accent-text);
      box-shadow: var(--_shadow);
      transition: transform 0.2s;
    }
    .launcher:hover {
      transform: scale(1.05);
    }
    .launcher svg {
      width: 26px;
      height: 26px;
    }
    .unread {
      position: absolute;
      inset-block-start: -2px;
      inset-inline-end: -2px;
      min-width: 20px;
      height: 20px;
      padding: 0 5px;
      border-radius: 999px;
      background: var(--_error);
      color: #fff;
      border: 2px solid var(--_bg);
      font-size: 11px;
      font-weight: 700;
      line-height: 16px;
    }
    .unread-preview {
      position: fixed;
      inset-block-end: calc(84px + env(safe-area-inset-bottom, 0px) + var(--_ai-chat-keyboard, 0px));
      inset-inline-end: calc(20px + env(safe-area-inset-right, 0px));
      z-index: var(--ai-chat-z-index, 2147483000);
      max-width: min(280px, calc(100vw - 40px));
      padding: 10px 14px;
      border: 1px solid var(--_border);
      border-radius: var(--_radius);
      border-end-end-radius: 6px;
      background: var(--_bg);
      color: var(--_text);
      box-shadow: var(--_shadow);
      text-align: start;
      font-size: 0.9em;
    }
    /* Clamped inside the padding: on the padded button itself a third line shows in the padding. */
    .unread-text {
      display: -webkit-box;
      -webkit-line-clamp: 2;
      -webkit-box-orient: vertical;
      overflow: hidden;
    }
    :host([launcher]) .panel {
      position: fixed;
      /* A <dialog> is pinned to the start edge by the browser; undo it so it sits by the launcher. */
      inset-block-start: auto;
      inset-inline-start: auto;
      inset-block-end: calc(88px + var(--_ai-chat-keyboard, 0px));
      inset-inline-end: 20px;
      z-index: var(--ai-chat-z-index, 2147483000);
      width: min(400px, calc(100vw - 24px));
      height: min(var(--_height), calc(var(--_ai-chat-viewport-height, 100dvh) - 108px));
      box-shadow: var(--_shadow);
      animation: rise 0.18s ease-out;
    }
    dialog.panel:not([open]) {
      display: none;
    }
    .panel::backdrop {
      background: transparent;
    }
    @media (min-width: 1200px) {
      :host([launcher]) .panel {
        width: 440px;
      }
    }
    @keyframes rise {
      from {
        opacity: 0;
        transform: translateY(8px);
      }
    }
    @media (max-width: 480px) {
      :host([launcher]) .panel {
        inset: 0;
        inset-block-end: var(--_ai-chat-keyboard, 0px);
        width: 100%;
        height: auto;
        border-radius: 0;
        border: 0;
        /* Notches and home indicators: keep the header and composer clear of them. */
        padding: env(safe-area-inset-top, 0px) env(safe-area-inset-right, 0px) env(safe-area-inset-bottom, 0px)
          env(safe-area-inset-left, 0px);
      }
      :host([launcher][open]) .launcher {
        display: none;
      }
      .bubble {
        max-width: 90%;
      }
    }

    @media (prefers-reduced-motion: reduce) {
      *,
      *::before,
      *::after {
        animation: none !important;
        transition: none !important;
        scroll-behavior: auto !important;
      }
    }
  `,
];
