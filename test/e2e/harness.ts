// Shared set-up for the end-to-end suite: a local backend on free ports, a static server for
// the built widget and the pages, and headless Chromium driven by playwright-core.
import { createReadStream, existsSync, readFileSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { startLocalBackend } from "../../local-backend/index.ts";
import { CHROME_ARGS, findChrome } from "../../scripts/find-chrome.mjs";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** Every e2e deployment has this operator secret, so tests can read the persisted truth. */
export const OPERATOR_SECRET = "e2e-operator-secret-0123456789-abcdef";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
};

/** Extra response headers for some pages, given the deployment URL. */
const PAGE_HEADERS: Record<string, (convexUrl: URL) => Record<string, string>> = {
  // What a locked-down host page sends: no inline script or style, no eval, only its own
  // origin plus the Convex deployment it talks to.
  "/pages/strict-csp.html": (backend) => ({
    "content-security-policy": [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self'",
      `connect-src 'self' ${backend.origin} ws://${backend.host} http://${backend.hostname}:*`,
    ].join("; "),
  }),
};

/** Serves /dist, /demo and /pages (test/e2e/pages), filling %VITE_CONVEX_URL% into HTML. */
export async function startPageServer(convexUrl: string): Promise<{ origin: string; close(): Promise<void> }> {
  const mounts: Record<string, string> = {
    "/dist/": join(ROOT, "dist"),
    "/demo/": join(ROOT, "demo"),
    "/pages/": join(ROOT, "test/e2e/pages"),
  };
  if (!existsSync(join(ROOT, "dist/ai-chat-stream.iife.js"))) {
    throw new Error("dist/ai-chat-stream.iife.js is missing: run `npm run build` first (npm test does).");
  }
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? "/").split(/[?#]/)[0]);
    const prefix = Object.keys(mounts).find((p) => path.startsWith(p));
    const file = prefix ? normalize(join(mounts[prefix], path.slice(prefix.length))) : "";
    if (!prefix || !file.startsWith(mounts[prefix]) || !existsSync(file)) {
      res.writeHead(404).end("not found");
      return;
    }
    res.setHeader("content-type", TYPES[extname(file)] ?? "application/octet-stream");
    for (const [name, value] of Object.entries(PAGE_HEADERS[path]?.(new URL(convexUrl)) ?? {}))
      res.setHeader(name, value);
    if (file.endsWith(".html")) {
      res.end(readFileSync(file, "utf8").replaceAll("%VITE_CONVEX_URL%", convexUrl));
    } else {
      createReadStream(file).pipe(res);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type System = {
  convexUrl: string;
  siteUrl: string;
  origin: string;
  browser: Browser;
  dataDir: string;
  /** Stops the backend (data kept); `startBackend` brings it back on the same ports. */
  stopBackend(): Promise<void>;
  startBackend(): Promise<void>;
  /** Stops every running action as a deployment restart does (the backend keeps serving); how many ran. */
  killActions(): number;
  close(): Promise<void>;
};

/** Starts everything a scenario needs; `env` reaches the Convex functions as deployment env vars. */
export async function startSystem(extraEnv: Record<string, string> = {}): Promise<System> {
  // Every page here comes from 127.0.0.1: one address, as many visitors behind one NAT are. The
  // per-address limits are tested in test/backend/abuse.test.ts; proof of work stays on.
  const env = {
    OPERATOR_SECRET,
    NEW_VISITORS_PER_ADDRESS_PER_MINUTE: "1000",
    RATE_LIMIT_ADDRESS_MESSAGES_PER_MINUTE: "10000",
    ...extraEnv,
  };
  const dataDir = mkdtempSync(join(tmpdir(), "ai-chat-e2e-"));
  let backend = await startLocalBackend({ port: 0, dataDir, reset: true, env, quiet: true });
  const pages = await startPageServer(backend.convexUrl);
  const browser = await chromium.launch({ executablePath: findChrome(), args: CHROME_ARGS, headless: true });
  const system: System = {
    convexUrl: backend.convexUrl,
    siteUrl: backend.siteUrl,
    origin: pages.origin,
    browser,
    dataDir,
    async stopBackend() {
      await backend.stop();
    },
    async startBackend() {
      const port = Number(new URL(backend.convexUrl).port);
      const sitePort = Number(new URL(backend.siteUrl).port);
      backend = await startLocalBackend({ port, sitePort, dataDir, env, quiet: true });
    },
    killActions: () => backend.killActions(),
    async close() {
      await browser.close();
      await pages.close();
      await backend.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return system;
}
