// A warm connection before Send. The POST that sends a prompt should go out on a connection
// whose TCP and TLS handshakes are done, not pay two round trips for them after the click. So
// when the chat is on screen, and again while the visitor types once the connection may have
// gone idle, the page sends `GET {site}/chat-stream`, which the deployment answers without
// writing to the database: a queue ticket, and with proof of work on a challenge. It is a plain CORS request with no credentials, so it opens the very
// connection the POST (`credentials: "omit"`) then uses.
//
// Why not `<link rel="preconnect">`, which requests nothing: Chromium ignores it in incognito
// windows and automated browsers (measured: no connection opened), and any request to a site
// URL runs the deployment's HTTP router, a 404 included (which also logs an error on the host
// page's console). One small answer per visitor who opens the chat is the cheapest reliable warm-up.
import { CHAT_STREAM_PATH, type PowChallenge } from "../../convex/lib/chatProtocol.js";

/** Servers close idle connections after a minute or so: warm again after this long. */
const RENEW_MS = 45_000;

const warmedAt = new Map<string, number>();
/** The newest queue ticket (convex/lib/queueTicket.ts): a new visitor's way in when the site is too busy for their POST. */
const tickets = new Map<string, string>();
/** The newest warm-up's proof-of-work challenge (null: the deployment asks for none). */
const challenges = new Map<string, Promise<PowChallenge | null>>();

/**
 * Opens (or keeps) the page's connection to `siteUrl`, at most once per `RENEW_MS`. With proof of
 * work on, the answer is a signed challenge (`{ pow }`) a new visitor's page solves (src/reply/pow.ts).
 */
export function warmConnection(siteUrl: string): void {
  const now = performance.now();
  const last = warmedAt.get(siteUrl);
  if (last !== undefined && now - last < RENEW_MS) return;
  warmedAt.set(siteUrl, now);
  challenges.set(
    siteUrl,
    fetch(`${siteUrl.replace(/\/$/, "")}${CHAT_STREAM_PATH}`, { credentials: "omit", cache: "no-store" }).then(
      async (res) => {
        if (res.status !== 200) {
          void res.body?.cancel();
          return null;
        }
        const { pow, ticket } = (await res.json()) as { pow?: PowChallenge; ticket?: string };
        if (ticket) tickets.set(siteUrl, ticket);
        return pow ?? null;
      },
      // Offline, or an older deployment: the send opens its own connection.
      () => {
        warmedAt.delete(siteUrl);
        return null;
      },
    ),
  );
}

/** The newest challenge the deployment handed out for `siteUrl` (warming up now if none is known). */
export function challengeFor(siteUrl: string): Promise<PowChallenge | null> {
  if (!challenges.has(siteUrl)) {
    warmedAt.delete(siteUrl);
    warmConnection(siteUrl);
  }
  const challenge = challenges.get(siteUrl)!;
  // Used once: the next one asks again.
  challenges.delete(siteUrl);
  return challenge;
}

/** The newest queue ticket the warm-up brought for `siteUrl`, if any. */
export const ticketFor = (siteUrl: string): string | undefined => tickets.get(siteUrl);

/** A POST just used the connection: it is warm for another `RENEW_MS`. */
export function markWarm(siteUrl: string): void {
  warmedAt.set(siteUrl, performance.now());
}
