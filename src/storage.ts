// The visitor's `{ threadId, token }`, kept per (deployment URL, site URL) pair so a reload
// restores the conversation and a token is only ever sent to the site that issued it with that
// deployment: injected markup with another `site-url` finds no token to send. Storage can be
// unavailable (privacy modes, sandboxed iframes): then the conversation simply lasts as long as
// the page. Sessions stored by earlier versions under the deployment URL alone move to the
// pair with the derived site URL, the only one those versions sent tokens to.
import { deriveSiteUrl } from "./site-url.js";

export type StoredSession = { threadId: string | null; token: string };

export const storageKey = (convexUrl: string, siteUrl: string): string => `ai-chat-stream:${convexUrl} ${siteUrl}`;
/** Where versions before the (deployment URL, site URL) key kept the session. */
export const legacyStorageKey = (convexUrl: string): string => `ai-chat-stream:${convexUrl}`;

export function loadSession(convexUrl: string, siteUrl: string): StoredSession | null {
  try {
    const key = storageKey(convexUrl, siteUrl);
    let raw = localStorage.getItem(key);
    if (!raw && siteUrl === deriveSiteUrl(convexUrl)) {
      raw = localStorage.getItem(legacyStorageKey(convexUrl));
      if (raw) {
        localStorage.setItem(key, raw);
        localStorage.removeItem(legacyStorageKey(convexUrl));
      }
    }
    if (!raw) return null;
    const v = JSON.parse(raw) as Partial<StoredSession>;
    if (typeof v.token !== "string" || !v.token) return null;
    return { token: v.token, threadId: typeof v.threadId === "string" && v.threadId ? v.threadId : null };
  } catch {
    return null;
  }
}

export function saveSession(convexUrl: string, siteUrl: string, session: StoredSession): void {
  try {
    localStorage.setItem(storageKey(convexUrl, siteUrl), JSON.stringify(session));
  } catch {
    // Storage full or blocked: the session still works for this page.
  }
}

/** What is on screen, per tab (sessionStorage): the launcher panel's open state and the unsent text. */
export type StoredUiState = { open: boolean; draft: string };

const uiKey = (convexUrl: string): string => `ai-chat-stream:ui:${convexUrl}`;

export function loadUiState(convexUrl: string): StoredUiState | null {
  try {
    const raw = sessionStorage.getItem(uiKey(convexUrl));
    if (!raw) return null;
    const v = JSON.parse(raw) as Partial<StoredUiState>;
    return { open: v.open === true, draft: typeof v.draft === "string" ? v.draft : "" };
  } catch {
    return null;
  }
}

export function saveUiState(convexUrl: string, state: StoredUiState): void {
  try {
    if (!state.open && !state.draft) sessionStorage.removeItem(uiKey(convexUrl));
    else sessionStorage.setItem(uiKey(convexUrl), JSON.stringify(state));
  } catch {
    // Storage full or blocked: the state lasts as long as the page.
  }
}
