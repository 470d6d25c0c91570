// Who may talk to a local backend. A developer's machine runs it next to a browser that
// visits arbitrary sites, and it holds their chats and spends the API keys in .env.local,
// so (unlike a deployment, which serves every origin):
// - the deployment surfaces (/api and the sync WebSocket) answer only pages on loopback
//   origins (the demo, tests), requests with no Origin (Node clients, curl, the CLI), and
//   origins given with --allow-origin;
// - both ports answer only requests whose Host is the address they listen on, so a site
//   whose DNS name is rebound to 127.0.0.1 cannot reach them (its Host is its own name).
//   The site port otherwise behaves like a deployment's .convex.site: the app's own
//   CORS (corsRouter in convex/http.ts) decides which origins its HTTP actions serve.
import type { IncomingMessage } from "node:http";

const LOOPBACK_HOSTNAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);

function isLoopbackHostname(hostname: string): boolean {
  return LOOPBACK_HOSTNAMES.has(hostname) || /^127(\.\d{1,3}){3}$/.test(hostname) || hostname.endsWith(".localhost");
}

export class LocalOnlyPolicy {
  private readonly allowedOrigins: Set<string>;

  constructor(
    /** The address the servers are bound to (127.0.0.1 by default). */
    private readonly bindHost: string,
    allowedOrigins: string[] = [],
  ) {
    this.allowedOrigins = new Set(allowedOrigins.map((o) => new URL(o).origin));
  }

  /** The Host header names this machine's loopback (or the bound address) on `port`. */
  hostAllowed(req: IncomingMessage, port: number): boolean {
    const host = req.headers.host;
    if (!host) return false;
    let url: URL;
    try {
      url = new URL(`http://${host}`);
    } catch {
      return false;
    }
    const hostPort = url.port === "" ? 80 : Number(url.port);
    if (hostPort !== port) return false;
    if (isLoopbackHostname(url.hostname)) return true;
    // Bound to a specific non-loopback address (e.g. --host 192.168.1.5): that address too.
    return this.bindHost !== "0.0.0.0" && this.bindHost !== "::" && url.hostname === this.bindHost;
  }

  /** No Origin (not a browser page), a loopback origin, or one given with --allow-origin. */
  originAllowed(origin: string | undefined): boolean {
    if (origin === undefined) return true;
    if (this.allowedOrigins.has(origin)) return true;
    try {
      const url = new URL(origin);
      return (url.protocol === "http:" || url.protocol === "https:") && isLoopbackHostname(url.hostname);
    } catch {
      return false;
    }
  }

  /** Why a request to the deployment port is refused, or null. */
  refuseDeployment(req: IncomingMessage, port: number): string | null {
    if (!this.hostAllowed(req, port))
      return `Host ${JSON.stringify(req.headers.host ?? "")} is not this local backend's address`;
    if (!this.originAllowed(req.headers.origin)) {
      return `origin ${req.headers.origin} may not use this local backend (only loopback origins; add others with --allow-origin)`;
    }
    return null;
  }
}
