// A warm connection before Send: when the chat is on screen (and again while the visitor types),
// the page asks the browser to open its connection to the site URL ahead of time with a
// `<link rel="preconnect" crossorigin>` hint, so the POST that sends the prompt goes out on a
// connection whose TCP and TLS handshakes are done. It requests nothing and calls no function
// (any request to the site URL would run the deployment's HTTP router). `crossorigin` makes it
// the anonymous connection that the POST (`credentials: "omit"`) uses. Browsers close an unused
// preconnected socket after a while, so typing renews the hint, at most every few seconds.

/** How often the hint is renewed for one site URL. */
const RENEW_MS = 5_000;

const hints = new Map<string, { link: HTMLLinkElement; at: number }>();

/** Asks the browser to open (or keep) a connection to `siteUrl`'s origin. */
export function warmConnection(siteUrl: string): void {
  const now = performance.now();
  const hint = hints.get(siteUrl);
  if (hint && now - hint.at < RENEW_MS) return;
  let origin: string;
  try {
    origin = new URL(siteUrl).origin;
  } catch {
    return;
  }
  hint?.link.remove();
  const link = document.createElement("link");
  link.rel = "preconnect";
  link.href = origin;
  link.crossOrigin = "anonymous";
  document.head.append(link);
  hints.set(siteUrl, { link, at: now });
}
