// Starter prompts (part `suggestions`, loaded when the empty state first shows with the
// `suggestions` property or attribute): one button per prompt; a click sends it. The attribute is
// a JSON array of strings; anything else in it is left out, with one console warning per element,
// never an error. At most MAX_SUGGESTIONS, each at most MAX_SUGGESTION_CHARS characters (a longer
// one is left out rather than sent cut). Templates take Lit's `html` from the chat, so this part
// carries no Lit of its own.
import type { TemplateResult, html as litHtml } from "lit";
import type { ChatView } from "./chat-view.js";

export const MAX_SUGGESTIONS = 6;
export const MAX_SUGGESTION_CHARS = 300;

const warned = new WeakSet<HTMLElement>();
const styled = new WeakSet<ShadowRoot>();

/** The prompts to offer: strings only, trimmed, not empty, capped. Warns once per element about the rest. */
export function validSuggestions(host: HTMLElement & { suggestions: unknown }): string[] {
  const value = host.suggestions;
  const list = Array.isArray(value) ? value : [];
  const valid = list.filter(
    (s): s is string => typeof s === "string" && s.trim() !== "" && s.length <= MAX_SUGGESTION_CHARS,
  );
  // Lit reads an attribute that is not JSON as null.
  const bad = !Array.isArray(value) || valid.length < list.length || valid.length > MAX_SUGGESTIONS;
  if (bad && !warned.has(host)) {
    warned.add(host);
    console.warn(
      `<ai-chat-stream> suggestions: expected a JSON array of at most ${MAX_SUGGESTIONS} non-empty strings of at most ${MAX_SUGGESTION_CHARS} characters; the rest is ignored.`,
    );
  }
  return valid.slice(0, MAX_SUGGESTIONS).map((s) => s.trim());
}

/** The buttons, under the empty state's greeting. */
export function render(chat: ChatView, html: typeof litHtml): TemplateResult | string {
  const root = chat.host.renderRoot as ShadowRoot;
  if (!styled.has(root)) {
    styled.add(root);
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, styles];
  }
  const prompts = validSuggestions(chat.host as unknown as HTMLElement & { suggestions: unknown });
  if (prompts.length === 0) return "";
  return html`<div class="suggestions">
    ${prompts.map(
      (prompt) =>
        html`<button type="button" part="suggestion" class="suggestion" dir="auto" @click=${() => void chat.send(prompt)}>${prompt}</button>`,
    )}
  </div>`;
}

const styles = new CSSStyleSheet();
styles.replaceSync(`
  .suggestions { display: flex; flex-wrap: wrap; justify-content: center; gap: 8px; margin-block-start: 12px; max-width: 100%; }
  .suggestion { max-width: 100%; padding: 6px 12px; border: 1px solid var(--_border); border-radius: 999px;
    background: var(--_bg); color: var(--_text); font: inherit; font-size: 0.9em; text-align: start;
    overflow-wrap: anywhere; cursor: pointer; }
  .suggestion:hover { border-color: var(--_accent); }
`);
