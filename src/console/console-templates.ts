// The operator console's stateless templates: the sign-in form and one row of the thread list.
// The element (ai-chat-console.ts) owns the state and the events; these only draw them.
import { html, nothing, type TemplateResult } from "lit";
import type { ThreadView } from "../api.js";
import { displayLine } from "../display-text.js";
import { fullDate } from "./relative-age.js";
import { format, type ConsoleStrings } from "../strings.js";

export type SignInFormState = {
  /** A secret is being checked: the fields wait. */
  verifying: boolean;
  /** Why the last sign-in failed ("" for nothing to say). */
  error: string;
  onSubmit(e: Event): void;
};

export function signInForm(strings: ConsoleStrings, { verifying, error, onSubmit }: SignInFormState): TemplateResult {
  return html`<div class="sign-in-page">
      <form part="sign-in" class="sign-in" aria-labelledby="sign-in-title" @submit=${onSubmit}>
        <h2 id="sign-in-title" class="title">${strings.signInTitle}</h2>
        <p class="hint">${strings.signInHint}</p>
        <label class="field">
          <span class="label">${strings.nameLabel}</span>
          <input part="name-input" type="text" name="operator-name" autocomplete="name" maxlength="60" ?disabled=${verifying} />
        </label>
        <label class="field">
          <span class="label">${strings.secretLabel}</span>
          <input
            part="secret-input"
            type="password"
            name="operator-secret"
            autocomplete="current-password"
            spellcheck="false"
            required
            ?disabled=${verifying}
            aria-invalid=${error ? "true" : "false"}
            aria-describedby=${error ? "form-error" : nothing}
          />
        </label>
        <label class="check">
          <input type="checkbox" name="remember" ?disabled=${verifying} aria-describedby="remember-hint" />
          <span>${strings.remember}</span>
        </label>
        <p id="remember-hint" class="hint small">${strings.rememberHint}</p>
        ${error ? html`<p id="form-error" part="form-error" class="form-error" role="alert">${error}</p>` : nothing}
        <button part="sign-in-button" class="primary" type="submit" ?disabled=${verifying}>
          ${verifying ? strings.signingIn : strings.signIn}
        </button>
      </form>
    </div>`;
}

export type ThreadRowState = {
  selected: boolean;
  /** The one row in the Tab order (roving tabindex). */
  tabbable: boolean;
  /** "5 minutes ago", already in the console's locale. */
  age: string;
  locale: string | undefined;
  /** The visitor asked for a person and nobody took the thread yet. */
  waiting: boolean;
};

export function threadRow(t: ThreadView, strings: ConsoleStrings, row: ThreadRowState): TemplateResult {
  const label =
    t.status === "streaming"
      ? strings.statusStreaming
      : t.status === "error"
        ? strings.statusError
        : strings.statusIdle;
  return html`<li>
      <button
        part="thread${row.selected ? " selected" : ""}${row.waiting ? " needs-human" : ""}"
        class="row"
        type="button"
        data-id=${t._id}
        tabindex=${row.tabbable ? 0 : -1}
        aria-current=${row.selected ? "true" : nothing}
      >
        <span class="row-title" dir="auto">${displayLine(t.title) || strings.untitled}</span>
        ${t.preview ? html`<span part="preview" class="row-preview" dir="auto">${t.preview}</span>` : nothing}
        <span class="row-meta" title=${format(strings.firstSeen, { date: fullDate(t.createdAt, row.locale) })}>
          ${row.waiting ? html`<span class="status error">${strings.needsHuman}</span>` : nothing}
          ${t.heldBy ? html`<span class="status">${format(strings.heldBy, { name: t.heldBy })}</span>` : nothing}
          <span part="status ${t.status}" class="status ${t.status}">${label}</span>
          ${t.messageCount ? html`<span part="message-count">${format(t.messageCount === 1 ? strings.oneMessage : strings.messageCount, { count: t.messageCount })}</span>` : nothing}
          ${t.origin ? html`<span part="origin" class="origin" dir="auto">${originHost(t.origin)}</span>` : nothing}
          <time datetime=${new Date(t.lastMessageAt).toISOString()} title=${fullDate(t.lastMessageAt, row.locale)}>${row.age}</time>
        </span>
      </button>
    </li>`;
}

/**
 * Who the open thread's visitor is (docs/visitor-identity.md): the name, email and ID the host
 * page gave, marked verified (the site signed it) or not, its other fields, the page, the
 * browser's language and when the visitor was first seen.
 */
export function visitorDetails(t: ThreadView, strings: ConsoleStrings, locale: string | undefined): TemplateResult {
  const v = t.visitor;
  const item = (label: string, value: unknown) =>
    html`<div><dt>${label}</dt><dd dir="auto">${String(value)}</dd></div>`;
  return html`<dl part="visitor-info" class="handoff visitor-info" aria-label=${strings.visitorLabel}>
    ${
      v
        ? html`<div><dt>${strings.visitorLabel}</dt><dd dir="auto">${[v.name, v.email, v.id].filter(Boolean).join(" · ")}
          <span part=${v.verified ? "visitor-verified" : "visitor-unverified"} class="status${v.verified ? "" : " error"}"
            >${v.verified ? strings.verified : strings.unverified}</span></dd></div>
        ${Object.entries(v.fields ?? {}).map(([key, value]) => item(key, value))}`
        : nothing
    }
    ${t.origin ? item(strings.pageLabel, originHost(t.origin)) : nothing}
    ${t.language ? item(strings.languageLabel, t.language) : nothing}
    ${item(strings.firstSeenLabel, fullDate(t.createdAt, locale))}
  </dl>`;
}

/** The page's host (`shop.example`), so threads with the same title from two sites can be told apart. */
function originHost(origin: string): string {
  try {
    return new URL(origin).host;
  } catch {
    return origin;
  }
}

/** The row the arrow, Home and End keys move to in a list of `length` rows, or null for other keys. */
export function rovingTarget(key: string, index: number, length: number): number | null {
  switch (key) {
    case "ArrowDown":
      return Math.min(length - 1, index + 1);
    case "ArrowUp":
      return Math.max(0, index - 1);
    case "Home":
      return 0;
    case "End":
      return length - 1;
    default:
      return null;
  }
}
