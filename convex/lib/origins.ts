/**
 * ALLOWED_ORIGINS on the HTTP actions: comma-separated origins (`https://a.example, *.b.example`),
 * default `*`. Matching is convex-helpers' (the same list feeds `corsRouter`'s headers): exact
 * origins, `*`, and `*.domain` for https subdomains and the domain itself.
 *
 * This is a guard for browsers only: a browser always sends `Origin` on a cross-origin POST and a
 * page cannot forge it, so another site's page cannot make visitors' browsers drive replies. A
 * script outside a browser sends whatever `Origin` it likes, or none; what bounds those is the
 * budgets, the visitor minting limit and Turnstile.
 */
import { jsonError } from "./chatRequest";
import { HTTP_ERRORS } from "./errors";

export function allowedOrigins(raw: string | undefined = process.env.ALLOWED_ORIGINS): string[] {
  const list = (raw ?? "*")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  return list.length > 0 ? list : ["*"];
}

export function isOriginAllowed(origin: string, allowed: string[] = allowedOrigins()): boolean {
  return allowed.some((entry) => {
    if (entry === "*" || entry === origin) return true;
    if (!entry.startsWith("*.")) return false;
    try {
      const url = new URL(origin);
      return url.protocol === "https:" && (url.hostname.endsWith(entry.slice(1)) || url.hostname === entry.slice(2));
    } catch {
      return false;
    }
  });
}

/** 403 `ORIGIN_NOT_ALLOWED` for a request whose `Origin` is not allowed; null otherwise (no `Origin` passes). */
export function refuseForeignOrigin(request: Request): Response | null {
  const origin = request.headers.get("Origin");
  if (origin === null || isOriginAllowed(origin)) return null;
  return jsonError(403, "ORIGIN_NOT_ALLOWED", HTTP_ERRORS.originNotAllowed(origin));
}
