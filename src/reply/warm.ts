// A warm connection before Send. The POST that sends a prompt should go out on a connection
// whose TCP and TLS handshakes are done, not pay two round trips for them after the click. So
// when the chat is on screen, and again while the visitor types once the connection may have
// gone idle, the page sends `GET {site}/chat-stream`, which the deployment answers 204 without
// touching the database. It is a plain CORS request with no credentials, so it opens the very
// connection the POST (`credentials: "omit"`) then uses.
//
// Why not `<link rel="preconnect">`, which requests nothing: Chromium ignores it in incognito
// windows and automated browsers (measured: no connection opened), and any request to a site
// URL runs the deployment's HTTP router, a 404 included (which also logs an error on the host
// page's console). One 204 per visitor who opens the chat is the cheapest reliable warm-up.
import { CHAT_STREAM_PATH } from "../../convex/lib/chatProtocol.js";

/** Servers close idle connections after a minute or so: warm again after this long. */
const RENEW_MS = 45_000;

const warmedAt = new Map<string, number>();

/** Opens (or keeps) the page's connection to `siteUrl`, at most once per `RENEW_MS`. */
export function warmConnection(siteUrl: string): void {
  const now = performance.now();
  const last = warmedAt.get(siteUrl);
  if (last !== undefined && now - last < RENEW_MS) return;
  warmedAt.set(siteUrl, now);
  fetch(`${siteUrl.replace(/\/$/, "")}${CHAT_STREAM_PATH}`, { credentials: "omit", cache: "no-store" }).then(
    (res) => void res.body?.cancel(),
    // Offline, or an older deployment: the send opens its own connection.
    () => warmedAt.delete(siteUrl),
  );
}

/** A POST just used the connection: it is warm for another `RENEW_MS`. */
export function markWarm(siteUrl: string): void {
  warmedAt.set(siteUrl, performance.now());
}
