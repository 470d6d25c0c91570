// The visitor's `{ threadId, token }`, kept per (deployment URL, site URL) pair so a reload
// restores the conversation and a token is only ever sent to the site that issued it with that
// deployment: injected markup with another `site-url` finds no token to send. Storage can be unavailable (privacy modes, sandboxed iframes): then the
// conversation simply lasts as long as the page.

export type StoredSession = { threadId: string | null; token: string };

export const storageKey = (convexUrl: string, siteUrl: string): string => `ai-chat-stream:${convexUrl} ${siteUrl}`;

export function loadSession(convexUrl: string, siteUrl: string): StoredSession | null {
  try {
    const raw = localStorage.getItem(storageKey(convexUrl, siteUrl));
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
