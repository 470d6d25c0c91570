// The operator console's stateless templates: the sign-in form, the list's filter and search, the
// list and its rows, and who the open thread's visitor is. The element (ai-chat-console.ts) owns
// the state and the events; these only draw them.
import { html, nothing, type TemplateResult } from "lit";
import { repeat } from "lit/directives/repeat.js";
import type { ThreadView, TokenUsage } from "../api.js";
import { displayLine } from "../display-text.js";
import { fullDate } from "./relative-age.js";
import { format, type ConsoleStrings } from "../strings.js";

export type SignInFormState = {
  /** A secret is being checked: the fields wait. */
  verifying: boolean;
  /** Why the last sign-in failed ("" for nothing to say). */
  error: string;
  /** Submitted with a secret typed (the field is emptied at once: the secret should not linger in the DOM). */
  onSignIn(secret: string, options: { remember: boolean; name: string }): void;
};

function submitted(e: Event, onSignIn: SignInFormState["onSignIn"]): void {
  e.preventDefault();
  const form = e.currentTarget as HTMLFormElement;
  const field = (name: string) => form.elements.namedItem(name) as HTMLInputElement;
  const input = form.querySelector<HTMLInputElement>("input[type=password]")!;
  const secret = input.value.trim();
  if (!secret) return input.focus();
  input.value = "";
  onSignIn(secret, { remember: field("remember").checked, name: field("operator-name").value });
}

export function signInForm(strings: ConsoleStrings, { verifying, error, onSignIn }: SignInFormState): TemplateResult {
  return html`<div class="sign-in-page">
      <form part="sign-in" class="sign-in" aria-labelledby="sign-in-title" @submit=${(e: Event) => submitted(e, onSignIn)}>
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

export type SidebarHeaderState = {
  /** Threads loaded, and those waiting for a person (the badge). */
  loaded: number;
  waiting: number;
  /** The name the operator signed in with ("" for none). */
  operatorName: string;
  usage: TokenUsage | null;
  locale: string | undefined;
  onSignOut(): void;
};

/** The list's title bar: counts, the waiting badge, Sign out, who is signed in and today's usage. */
export function sidebarHeader(strings: ConsoleStrings, state: SidebarHeaderState): TemplateResult {
  const { loaded, waiting, operatorName, usage, locale } = state;
  return html`<div class="header-row">
      <h2 class="title">${strings.heading}</h2>
      ${loaded ? html`<span class="count">${format(strings.loadedCount, { count: loaded })}</span>` : nothing}
      ${waiting ? html`<span part="waiting-badge" class="status error">${format(strings.waitingCount, { count: waiting })}</span>` : nothing}
      <span class="spacer"></span>
      <button part="sign-out-button" class="secondary" type="button" @click=${state.onSignOut}>${strings.signOut}</button>
    </div>
    ${
      operatorName || usage
        ? html`<div class="header-row meta">
          ${operatorName ? html`<span part="operator" class="who">${format(strings.signedInAs, { name: operatorName })}</span>` : nothing}
          ${
            usage
              ? html`<span part="usage" class="count">${format(strings.usage, { tokens: usage.tokens.toLocaleString(locale), budget: usage.budget.toLocaleString(locale) })}</span>`
              : nothing
          }
        </div>`
        : nothing
    }`;
}

/** "Load more" under the list while more pages remain (disabled while one loads). */
export function loadMoreButton(
  strings: ConsoleStrings,
  list: { readonly canLoadMore: boolean; readonly loadingMore: boolean; loadMore(): void },
): TemplateResult | typeof nothing {
  if (!list.canLoadMore && !list.loadingMore) return nothing;
  return html`<div class="more">
    <button part="load-more-button" class="secondary" type="button" ?disabled=${list.loadingMore} @click=${() => list.loadMore()}>
      ${list.loadingMore ? strings.loadingMore : strings.loadMore}
    </button>
  </div>`;
}

/** The list's filter: every thread, those streaming, those waiting for a person, those I answer, those whose reply failed. */
export type ThreadFilter = "all" | "live" | "waiting" | "mine" | "failed";

/**
 * The loaded threads the filter and the search leave, in list order. Loaded titles narrow at
 * once; `found`, what the deployment found in titles and messages, joins them.
 */
export function shownThreads(
  threads: readonly ThreadView[],
  found: readonly ThreadView[] | null,
  search: string,
  filter: ThreadFilter,
  waiting: ReadonlySet<string>,
): readonly ThreadView[] {
  const keep: Record<ThreadFilter, (t: ThreadView) => boolean> = {
    all: () => true,
    live: (t) => t.status === "streaming",
    waiting: (t) => waiting.has(t._id),
    mine: (t) => t.heldByMe === true,
    failed: (t) => t.status === "error",
  };
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = threads.filter((t) => words.every((w) => displayLine(t.title).toLowerCase().includes(w)));
  const ids = new Set(shown.map((t) => t._id));
  for (const t of found ?? []) if (!ids.has(t._id)) shown.push(t);
  return shown.filter((t) => keep[filter](t));
}

export type ListFiltersState = {
  filter: ThreadFilter;
  onFilter(filter: ThreadFilter): void;
  /** The search typed, trimmed. */
  onSearch(text: string): void;
};

/** The header row that narrows the list: the filter (part `filter`) and the search (part `search`). */
export function listFilters(strings: ConsoleStrings, { filter, onFilter, onSearch }: ListFiltersState): TemplateResult {
  return html`<div class="header-row filters">
    <select
      part="filter"
      aria-label=${strings.filterLabel}
      @change=${(e: Event) => onFilter((e.target as HTMLSelectElement).value as ThreadFilter)}
    >
      ${(["all", "live", "waiting", "mine", "failed"] as const).map(
        (f) => html`<option value=${f} ?selected=${f === filter}>${strings[`filter_${f}`]}</option>`,
      )}
    </select>
    <input
      part="search"
      type="search"
      aria-label=${strings.searchLabel}
      placeholder=${strings.searchLabel}
      @input=${(e: Event) => onSearch((e.target as HTMLInputElement).value.trim())}
    />
  </div>`;
}

export type ThreadListState = {
  /** How many threads are loaded, before the filter and the search. */
  loaded: number;
  row(t: ThreadView): ThreadRowState;
  onClick(e: Event): void;
  onKeydown(e: KeyboardEvent): void;
};

/** The threads shown, or why there are none: nothing matches, or no conversation yet. */
export function threadList(
  threads: readonly ThreadView[],
  strings: ConsoleStrings,
  { loaded, row, onClick, onKeydown }: ThreadListState,
): TemplateResult {
  if (loaded > 0 && threads.length === 0) {
    return html`<div class="empty" role="status"><p class="hint">${strings.noMatch}</p></div>`;
  }
  if (threads.length === 0) {
    return html`<div class="empty" role="status">
      <p class="empty-title">${strings.emptyTitle}</p>
      <p class="hint">${strings.emptyHint}</p>
    </div>`;
  }
  return html`<ul part="list" class="list" aria-label=${strings.threadsLabel} @click=${onClick} @keydown=${onKeydown}>
    ${repeat(
      threads,
      (t) => t._id,
      (t) => threadRow(t, strings, row(t)),
    )}
  </ul>`;
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
  return html`<dl part="visitor-info" class="handoff visitor-info">
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

/** The embedded chat's parts (those an observe view has), forwarded with a `chat-` prefix. */
const CHAT_PARTS = ["panel", "header", "messages", "message", "user", "assistant", "operator"]
  .map((p) => `${p}: chat-${p}`)
  .join(", ");

/** The open thread, observed read-only with the operator's session token; a hint when none is open. */
export function observedChat(
  host: { thread: string | null; convexUrl: string; functionsPath: string; siteUrl: string; theme: string },
  strings: ConsoleStrings,
  { open, token }: { open: ThreadView | undefined; token: string | null },
): TemplateResult {
  if (!host.thread) return html`<div class="placeholder"><p>${strings.selectHint}</p></div>`;
  return html`<ai-chat-stream
    part="chat"
    exportparts=${CHAT_PARTS}
    mode="observe"
    convex-url=${host.convexUrl}
    functions-path=${host.functionsPath}
    site-url=${host.siteUrl}
    theme=${host.theme}
    heading=${open ? displayLine(open.title) || strings.untitled : ""}
    .thread=${host.thread}
    .observerToken=${token}
  ></ai-chat-stream>`;
}
