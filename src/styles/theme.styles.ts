import { css } from "lit";

// Dark defaults, written once: applied by `theme="dark"` and, unless `theme="light"`, by a
// dark system preference.
const dark = css`
  --_accent: var(--ai-chat-accent, #818cf8);
  --_accent-text: var(--ai-chat-accent-text, #0b0b1a);
  --_bg: var(--ai-chat-bg, #17181c);
  --_text: var(--ai-chat-text, #e8e9ed);
  --_muted: var(--ai-chat-muted, #a2a8b3);
  --_border: var(--ai-chat-border, #2d3038);
  --_assistant-bg: var(--ai-chat-assistant-bg, #23252b);
  --_code-bg: var(--ai-chat-code-bg, #0b0c10);
  --_error: var(--ai-chat-error, #ffb4ab);
  --_shadow: var(--ai-chat-shadow, 0 12px 40px rgb(0 0 0 / 50%));
  color-scheme: dark;
`;

// The public `--ai-chat-*` knobs, resolved into private `--_*` ones with light and dark
// defaults. Shared by <ai-chat-stream> and <ai-chat-console>, so one set of properties themes both.
export const themeTokens = css`
  :host {
    --_accent: var(--ai-chat-accent, #4f46e5);
    --_accent-text: var(--ai-chat-accent-text, #ffffff);
    --_bg: var(--ai-chat-bg, #ffffff);
    --_text: var(--ai-chat-text, #1f2328);
    --_muted: var(--ai-chat-muted, #59636e);
    --_border: var(--ai-chat-border, #e3e5e8);
    --_assistant-bg: var(--ai-chat-assistant-bg, #f3f4f6);
    --_code-bg: var(--ai-chat-code-bg, #0f1117);
    --_error: var(--ai-chat-error, #b42318);
    --_error-bg: color-mix(in srgb, var(--_error) 8%, var(--_bg));
    --_badge-bg: color-mix(in srgb, var(--_accent) 10%, var(--_bg));
    --_badge-text: color-mix(in srgb, var(--_accent) 80%, var(--_text));
    --_radius: var(--ai-chat-radius, 16px);
    --_shadow: var(--ai-chat-shadow, 0 12px 40px rgb(15 17 23 / 18%));
    --_height: var(--ai-chat-height, 560px);
    color-scheme: light;
  }

  :host([theme="dark"]) {
    ${dark}
  }

  @media (prefers-color-scheme: dark) {
    :host(:not([theme="light"])) {
      ${dark}
    }
  }
`;

/**
 * Typography and resets both elements share; each element's own `:host` adds its display and
 * size. Goes first in `styles`: its `all: initial` would otherwise undo `:host` rules before it.
 */
export const baseStyles = css`
  /* The host page's inherited styles stop here: a theme's text-transform, letter- or
     word-spacing, weight, line height, alignment, indent, shadow, white-space, cursor,
     visibility... would otherwise reach every message through inheritance. "all" leaves
     custom properties (the --ai-chat-* theming API) and direction (dir and RTL pages) alone.
     Rules the page writes for the element itself still win over :host, as for any element. */
  :host {
    all: initial;
    color: var(--_text);
    font-family: var(--ai-chat-font, system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif);
    font-size: var(--ai-chat-font-size, 15px);
    line-height: 1.5;
    -webkit-text-size-adjust: 100%;
  }

  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }

  [hidden] {
    display: none !important;
  }
`;
