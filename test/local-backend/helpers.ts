// Shared helpers: start the fixture app on free ports with a fresh data dir, and clean up.
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { afterAll, beforeAll } from "vitest";
import WebSocket from "ws";
import { startLocalBackend, type LocalBackend, type LocalBackendOptions } from "../../local-backend/index.js";

export const FIXTURE_CONVEX = fileURLToPath(new URL("./fixture/convex", import.meta.url));

export interface Fixture {
  backend: LocalBackend;
  dataDir: string;
  /** Stop the backend (if running) and delete the data dir. */
  cleanup(): Promise<void>;
}

export function tempDir(prefix = "local-backend-test-"): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export async function startFixture(opts: LocalBackendOptions = {}): Promise<Fixture> {
  const dataDir = opts.dataDir ?? tempDir();
  const backend = await startLocalBackend({ port: 0, convexDir: FIXTURE_CONVEX, dataDir, quiet: true, ...opts });
  return {
    backend,
    dataDir,
    async cleanup() {
      await backend.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts the fixture app before the file's tests, with an HTTP client on it, and cleans up after
 * them. Returns getters: neither exists until `beforeAll` has run.
 */
export function useFixture(opts: LocalBackendOptions = {}): { fx: () => Fixture; http: () => ConvexHttpClient } {
  let fixture: { fx: Fixture; http: ConvexHttpClient } | undefined;
  beforeAll(async () => {
    const fx = await startFixture(opts);
    fixture = { fx, http: new ConvexHttpClient(fx.backend.convexUrl, { logger: false }) };
  });
  afterAll(async () => {
    await fixture?.fx.cleanup();
  });
  const started = () => {
    if (!fixture) throw new Error("useFixture: the fixture starts in beforeAll; call the getters inside a test");
    return fixture;
  };
  return { fx: () => started().fx, http: () => started().http };
}

/**
 * The project's own app (app/, with the chat component) on a local backend for the tests of the
 * file (or describe) that calls it: proof of work off and the per-address limits lifted, as a
 * load from one address needs; `env` and `opts` add to that. Returns a getter: the backend exists
 * once `beforeAll` has run.
 */
export function useAppBackend(env: Record<string, string>, opts: LocalBackendOptions = {}): () => LocalBackend {
  let backend: LocalBackend | undefined;
  const dataDir = opts.dataDir ?? tempDir();
  beforeAll(async () => {
    backend = await startLocalBackend({
      port: 0,
      reset: true,
      quiet: true,
      ...opts,
      dataDir,
      env: {
        PROOF_OF_WORK: "off",
        NEW_VISITORS_PER_ADDRESS_PER_MINUTE: "1000",
        RATE_LIMIT_ADDRESS_MESSAGES_PER_MINUTE: "10000",
        ...env,
      },
    });
  });
  afterAll(async () => {
    await backend?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return () => {
    if (!backend) throw new Error("useAppBackend: the backend starts in beforeAll; call the getter inside a test");
    return backend;
  };
}

/** An unmodified ConvexClient for Node (Node 20 has no global WebSocket). */
export function nodeClient(url: string): ConvexClient {
  return new ConvexClient(url, {
    webSocketConstructor: WebSocket as unknown as typeof globalThis.WebSocket,
    logger: false,
  });
}

/** Resolve with the first subscription value that satisfies `pred`. */
export function waitForValue<T>(
  subscribe: (cb: (v: T) => void) => () => void,
  pred: (v: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    // Assigned after subscribe() returns; the callback may run before that, so not a const.
    // eslint-disable-next-line prefer-const
    let unsub: (() => void) | undefined;
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      unsub?.();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for a subscription value`));
    }, timeoutMs);
    unsub = subscribe((v) => {
      if (done || !pred(v)) return;
      done = true;
      clearTimeout(timer);
      queueMicrotask(() => unsub?.());
      resolve(v);
    });
  });
}

/** An unsigned JWT (alg none): accepted for identity only with `insecureAuth` and no auth.config.ts providers. */
export function unsignedJwt(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${b64({ alg: "none", typ: "JWT" })}.${b64({ iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 3600, ...claims })}.`;
}

export const FIXTURE_COMPONENT = fileURLToPath(new URL("./fixture-component", import.meta.url));

/**
 * A throwaway project holding a copy of `fixtureDir` (its convex/ and component folders),
 * with the repository's node_modules linked in and a package.json naming convex, which is
 * what the Convex CLI needs to run there. Remove it with rmSync when done.
 */
export function fixtureProject(fixtureDir: string): string {
  const repo = fileURLToPath(new URL("../..", import.meta.url));
  const dir = mkdtempSync(path.join(tmpdir(), "local-backend-project-"));
  cpSync(fixtureDir, dir, { recursive: true });
  symlinkSync(path.join(repo, "node_modules"), path.join(dir, "node_modules"), "dir");
  writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "fixture", private: true, type: "module", dependencies: { convex: "*" } }),
  );
  return dir;
}
