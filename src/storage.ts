// The visitor's `{ threadId, token }`, kept per (deployment URL, site URL) pair so a reload
// restores the conversation and a token is only ever sent to the site that issued it with that
// deployment: injected markup with another `site-url` finds no token to send. Within a pair,
// each widget keeps its own conversation under its storage key (`storage-key`, else its `id`,
// else `launcher` or `inline`), so an inline chat and a launcher on one page never trade
// threads; the token is the visitor's and is shared, so a second widget needs no second
// human check. Storage can be unavailable (privacy modes, sandboxed iframes): then the
// conversation simply lasts as long as the page. Migrations, done on first read:
// - sessions stored under the deployment URL alone (the oldest versions) move to the pair with
//   the derived site URL, the only one those versions sent tokens to;
// - a session stored under the pair alone (before per-widget keys) goes, thread and all, to
//   the first widget that reads it; the pair then keeps only the token for the others.
import { deriveSiteUrl } from "./site-url.js";

export type StoredSession = { threadId: string | null; token: string };

/** A widget's session (`widget` given), or the pair's shared token (and the thread of versions before per-widget keys). */
export const storageKey = (convexUrl: string, siteUrl: string, widget?: string): string =>
  `ai-chat-stream:${convexUrl} ${siteUrl}${widget ? ` #${widget}` : ""}`;
/** Where versions before the (deployment URL, site URL) key kept the session. */
export const legacyStorageKey = (convexUrl: string): string => `ai-chat-stream:${convexUrl}`;

function parse(raw: string | null): StoredSession | null {
  if (!raw) return null;
  const v = JSON.parse(raw) as Partial<StoredSession>;
  if (typeof v.token !== "string" || !v.token) return null;
  return { token: v.token, threadId: typeof v.threadId === "string" && v.threadId ? v.threadId : null };
}

/** The pair's entry, moved there from the deployment-URL-only key of the oldest versions if needed. */
function loadShared(convexUrl: string, siteUrl: string): StoredSession | null {
  const key = storageKey(convexUrl, siteUrl);
  let raw = localStorage.getItem(key);
  if (!raw && siteUrl === deriveSiteUrl(convexUrl)) {
    raw = localStorage.getItem(legacyStorageKey(convexUrl));
    if (raw) {
      localStorage.setItem(key, raw);
      localStorage.removeItem(legacyStorageKey(convexUrl));
    }
  }
  return parse(raw);
}

export function loadSession(convexUrl: string, siteUrl: string, widget: string): StoredSession | null {
  try {
    const own = parse(localStorage.getItem(storageKey(convexUrl, siteUrl, widget)));
    if (own) return own;
    const shared = loadShared(convexUrl, siteUrl);
    if (shared?.threadId) {
      // This widget takes the thread; the others keep only the token.
      localStorage.setItem(storageKey(convexUrl, siteUrl, widget), JSON.stringify(shared));
      localStorage.setItem(storageKey(convexUrl, siteUrl), JSON.stringify({ threadId: null, token: shared.token }));
    }
    return shared;
  } catch {
    return null;
  }
}

export function saveSession(convexUrl: string, siteUrl: string, session: StoredSession, widget: string): void {
  try {
    localStorage.setItem(storageKey(convexUrl, siteUrl, widget), JSON.stringify(session));
    // The token for the page's other widgets (their conversations stay their own).
    if (!loadShared(convexUrl, siteUrl))
      localStorage.setItem(storageKey(convexUrl, siteUrl), JSON.stringify({ threadId: null, token: session.token }));
  } catch {
    // Storage full or blocked: the session still works for this page.
  }
}

/** What is on screen, per tab (sessionStorage) and widget: the launcher panel's open state and the unsent text. */
export type StoredUiState = { open: boolean; draft: string };

export const uiStorageKey = (convexUrl: string, widget: string): string => `ai-chat-stream:ui:${convexUrl} #${widget}`;

export function loadUiState(convexUrl: string, widget: string): StoredUiState | null {
  try {
    const raw = sessionStorage.getItem(uiStorageKey(convexUrl, widget));
    if (!raw) return null;
    const v = JSON.parse(raw) as Partial<StoredUiState>;
    return { open: v.open === true, draft: typeof v.draft === "string" ? v.draft : "" };
  } catch {
    return null;
  }
}

export function saveUiState(convexUrl: string, widget: string, state: StoredUiState): void {
  const key = uiStorageKey(convexUrl, widget);
  try {
    if (!state.open && !state.draft) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, JSON.stringify(state));
  } catch {
    // Storage full or blocked: the state lasts as long as the page.
  }
}
