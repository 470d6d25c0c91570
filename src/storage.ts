// The visitor's `{ threadId, token }`, kept per deployment URL so a reload restores the
// conversation. Storage can be unavailable (privacy modes, sandboxed iframes): then the
// conversation simply lasts as long as the page.

export type StoredSession = { threadId: string | null; token: string };

export const storageKey = (convexUrl: string): string => `ai-chat-stream:${convexUrl}`;

export function loadSession(convexUrl: string): StoredSession | null {
  try {
    const raw = localStorage.getItem(storageKey(convexUrl));
    if (!raw) return null;
    const v = JSON.parse(raw) as Partial<StoredSession>;
    if (typeof v.token !== "string" || !v.token) return null;
    return { token: v.token, threadId: typeof v.threadId === "string" && v.threadId ? v.threadId : null };
  } catch {
    return null;
  }
}

export function saveSession(convexUrl: string, session: StoredSession): void {
  try {
    localStorage.setItem(storageKey(convexUrl), JSON.stringify(session));
  } catch {
    // Storage full or blocked: the session still works for this page.
  }
}
