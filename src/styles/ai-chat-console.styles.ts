import { css } from "lit";
import { baseStyles, themeTokens } from "./theme.styles.js";

// Same `--ai-chat-*` knobs as the chat (themeTokens); the console's own are `--ai-chat-console-*`.
export const styles = [
  baseStyles,
  themeTokens,
  css`
    :host {
      --_list-width: var(--ai-chat-console-list-width, 320px);

      display: block;
      height: var(--ai-chat-console-height, 640px);
      container-type: inline-size;
    }

    button,
    input {
      font: inherit;
      color: inherit;
    }
    button {
      cursor: pointer;
    }
    button:disabled {
      cursor: default;
      opacity: 0.6;
    }
    button:focus-visible,
    input:focus-visible {
      outline: 2px solid var(--_accent);
      outline-offset: 2px;
    }

    .title {
      margin: 0;
      font-size: 1.05em;
      font-weight: 600;
      letter-spacing: -0.01em;
    }
    .hint {
      margin: 0;
      color: var(--_muted);
    }
    .small {
      font-size: 0.85em;
    }
    .primary,
    .secondary {
      padding: 7px 14px;
      border-radius: 10px;
      font-weight: 600;
      white-space: nowrap;
    }
    .primary {
      border: 0;
      background: var(--_accent);
      color: var(--_accent-text);
    }
    .secondary {
      border: 1px solid var(--_border);
      background: var(--_bg);
    }
    .secondary:not(:disabled):hover {
      background: var(--_assistant-bg);
    }

    /* ---- sign-in ---- */
    .sign-in-page {
      display: grid;
      place-items: center;
      height: 100%;
      padding: 16px;
      background: var(--_bg);
      border: 1px solid var(--_border);
      border-radius: var(--_radius);
    }
    .sign-in {
      display: flex;
      flex-direction: column;
      gap: 12px;
      width: min(360px, 100%);
    }
    .field {
      display: flex;
      flex-direction: column;
      gap: 4px;
    }
    .label {
      font-weight: 600;
      font-size: 0.9em;
    }
    input[type="text"],
    input[type="password"] {
      padding: 8px 12px;
      border: 1px solid var(--_border);
      border-radius: 10px;
      background: var(--_bg);
    }
    input[type="password"][aria-invalid="true"] {
      border-color: var(--_error);
    }
    .check {
      display: flex;
      align-items: center;
      gap: 8px;
    }
    .check input {
      width: 16px;
      height: 16px;
      margin: 0;
      accent-color: var(--_accent);
    }
    .check + .hint {
      margin-block-start: -8px;
      padding-inline-start: 24px;
    }
    .form-error {
      margin: 0;
      padding: 8px 12px;
      border-radius: 10px;
      border: 1px solid color-mix(in srgb, var(--_error) 35%, transparent);
      background: var(--_error-bg);
      color: var(--_error);
      font-size: 0.9em;
    }

    /* ---- console ---- */
    .console {
      display: grid;
      grid-template-columns: minmax(0, var(--_list-width)) minmax(0, 1fr);
      height: 100%;
      background: var(--_bg);
      border: 1px solid var(--_border);
      border-radius: var(--_radius);
      overflow: hidden;
    }
    .sidebar {
      display: flex;
      flex-direction: column;
      min-height: 0;
      border-inline-end: 1px solid var(--_border);
    }
    /* Two rows that wrap inside the list's column at any width: the title and Sign out, then
       who is signed in and today's usage. Nothing may spill under the thread pane. */
    .header {
      display: flex;
      flex-direction: column;
      justify-content: center;
      gap: 2px;
      padding: 8px 12px 8px 16px;
      min-height: 56px;
      min-width: 0;
      border-block-end: 1px solid var(--_border);
    }
    .header-row {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      column-gap: 8px;
      row-gap: 2px;
      min-width: 0;
    }
    .header-row.meta {
      color: var(--_muted);
      font-size: 0.8em;
    }
    .who {
      min-width: 0;
      overflow-wrap: anywhere;
    }
    .count {
      color: var(--_muted);
      font-size: 0.8em;
      white-space: nowrap;
    }
    .meta .count {
      font-size: 1em;
    }
    .spacer {
      flex: 1;
    }
    .header .secondary {
      padding: 4px 10px;
      font-size: 0.85em;
    }

    .list {
      flex: 1;
      min-height: 0;
      margin: 0;
      padding: 6px;
      list-style: none;
      overflow-y: auto;
      overscroll-behavior: contain;
    }
    .list li {
      /* Hundreds of rows: let the browser skip layout and paint of those off-screen. */
      content-visibility: auto;
      contain-intrinsic-size: auto 58px;
    }
    .row {
      display: flex;
      flex-direction: column;
      gap: 2px;
      width: 100%;
      padding: 8px 10px;
      border: 0;
      border-radius: 10px;
      background: transparent;
      text-align: start;
    }
    .row:hover {
      background: var(--_assistant-bg);
    }
    .row[aria-current="true"] {
      background: var(--_badge-bg);
      box-shadow: inset 3px 0 0 var(--_accent);
    }
    .row:focus-visible {
      outline-offset: -2px;
    }
    .row-title {
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
      font-weight: 500;
    }
    .row-preview {
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
      color: var(--_muted);
      font-size: 0.875em;
    }
    .row-meta {
      display: flex;
      align-items: center;
      gap: 8px;
      color: var(--_muted);
      font-size: 0.8em;
    }
    .row-meta .origin {
      min-width: 0;
      overflow: hidden;
      text-overflow: ellipsis;
      white-space: nowrap;
    }
    .status {
      padding: 0 7px;
      border-radius: 999px;
      font-weight: 600;
      background: var(--_assistant-bg);
      color: var(--_muted);
    }
    .status.streaming {
      background: var(--_badge-bg);
      color: var(--_badge-text);
    }
    .status.streaming::before {
      content: "";
      display: inline-block;
      width: 6px;
      height: 6px;
      margin-inline-end: 5px;
      vertical-align: middle;
      border-radius: 50%;
      background: currentColor;
      animation: pulse 1.2s infinite ease-in-out;
    }
    .status.error {
      background: var(--_error-bg);
      color: var(--_error);
    }
    @keyframes pulse {
      50% {
        opacity: 0.3;
      }
    }

    .more {
      padding: 8px 12px 12px;
      border-block-start: 1px solid var(--_border);
    }
    .more .secondary {
      width: 100%;
    }

    .empty,
    .placeholder {
      margin: auto;
      padding: 24px;
      text-align: center;
      color: var(--_muted);
    }
    .empty-title {
      margin: 0 0 4px;
      color: var(--_text);
      font-weight: 600;
    }

    .viewer {
      display: flex;
      flex-direction: column;
      min-width: 0;
      min-height: 0;
    }
    [part="filter"],
    [part="search"],
    [part="share-link"] {
      min-width: 0;
      font: inherit;
      color: inherit;
      background: var(--_bg);
      border: 1px solid var(--_border);
      border-radius: 8px;
      padding: 4px 8px;
    }
    [part="search"] {
      flex: 1;
    }
    .handoff {
      padding: 8px 12px;
      border-block-end: 1px solid var(--_border);
    }
    .visitor-info {
      display: flex;
      flex-wrap: wrap;
      gap: 2px 14px;
      margin: 0;
      font-size: 0.87em;
    }
    .visitor-info div {
      display: flex;
      gap: 6px;
      min-width: 0;
    }
    .visitor-info dt {
      color: var(--_muted);
    }
    .visitor-info dd {
      margin: 0;
      overflow-wrap: anywhere;
    }
    .handoff-row,
    .reply {
      display: flex;
      align-items: center;
      gap: 8px;
    }
    .handoff .who {
      font-weight: 600;
    }
    .reply {
      margin-block-start: 8px;
    }
    .reply textarea {
      flex: 1;
      font: inherit;
      color: inherit;
      background: var(--_bg);
      border: 1px solid var(--_border);
      border-radius: 10px;
      padding: 6px 10px;
      resize: vertical;
    }
    .viewer ai-chat-stream {
      flex: 1;
      height: 100%;
      min-width: 0;
    }
    .viewer ai-chat-stream::part(panel) {
      border: 0;
      border-radius: 0;
    }

    .back {
      display: none;
    }

    /* Narrow: the list above the conversation. */
    @container (max-width: 640px) {
      .console {
        grid-template-columns: minmax(0, 1fr);
        grid-template-rows: minmax(0, 2fr) minmax(0, 3fr);
      }
      .sidebar {
        border-inline-end: 0;
        border-block-end: 1px solid var(--_border);
      }
    }

    /* Phones: the list or the open thread, with a way back. */
    @container (max-width: 600px) {
      .console.open {
        grid-template-rows: auto minmax(0, 1fr);
      }
      /* The header stays: signing out and today's usage are reachable from a thread too. */
      .open .sidebar > :not(header),
      .open .filters {
        display: none;
      }
      .back {
        display: inline-flex;
      }
    }

    @media (prefers-reduced-motion: reduce) {
      .status.streaming::before {
        animation: none;
      }
    }
  `,
];
