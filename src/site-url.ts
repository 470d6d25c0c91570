/**
 * The site URL (HTTP actions) for a deployment URL: `https://x.convex.cloud` ->
 * `https://x.convex.site`; a local or IP deployment on port N -> port N + 1.
 */
export function deriveSiteUrl(convexUrl: string): string {
  try {
    const url = new URL(convexUrl);
    if (url.hostname.endsWith(".convex.cloud")) {
      url.hostname = url.hostname.replace(/\.convex\.cloud$/, ".convex.site");
    } else if (url.port) {
      url.port = String(Number(url.port) + 1);
    }
    return url.origin;
  } catch {
    return convexUrl;
  }
}
