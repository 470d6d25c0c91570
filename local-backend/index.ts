// Programmatic API: start a local backend for a convex/ folder.
//
//   const backend = await startLocalBackend({ port: 0, dataDir, reset: true });
//   new ConvexClient(backend.convexUrl, { webSocketConstructor: WebSocket });
//   fetch(`${backend.siteUrl}/chat-stream`, ...);
//   await backend.stop();
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { DEFAULT_ACTION_TIMEOUT_MS, KILLED_REASON } from "./actionRuntime.js";
import { loadOrCreateAdminKey } from "./adminKey.js";
import { AuthVerifier } from "./auth.js";
import { Engine, LocalBackendError } from "./engine.js";
import { createDeploymentServer, createSiteServer } from "./http.js";
import { envVarProblem } from "./limits.js";
import { LocalOnlyPolicy } from "./localOnly.js";
import { Persistence } from "./persistence.js";
import { FileStore, LocalStorage } from "./storage.js";
import { interceptStorageSyscalls } from "./convexTestInternals.js";
import { backendStorage } from "./runtime.js";
import { functionsDir } from "./projectConfig.js";
import type { BackendScope } from "./runtime.js";
import { realClearTimeout } from "./runtime.js";
import { closeServer, listen, listenOnAdjacentPorts } from "./ports.js";
import { Scheduler } from "./scheduler.js";
import { Concurrency, type ConcurrencyLimits, concurrencyLimits, type ConcurrencyStats } from "./concurrency.js";
import type { ConnectionStats, SyncConnection } from "./sync.js";

export { LocalBackendError } from "./engine.js";
export type { ConnectionStats } from "./sync.js";

export interface LocalBackendOptions {
  /** Deployment port; the site is served on port + 1. 0 = a free port whose next one is free too. Default 3210. */
  port?: number;
  /** Site (HTTP actions) port. Default port + 1, where a widget given only the deployment URL looks. */
  sitePort?: number;
  /** Where data is saved. Default `<project>/.local-backend`. */
  dataDir?: string;
  /** Start with an empty database (deletes the saved data). */
  reset?: boolean;
  /** The functions folder. Default: `convex.json`'s `functions` in cwd, else `./convex`, as the Convex CLI finds it. */
  convexDir?: string;
  /** Extra environment for the functions (wins over process.env and .env.local). */
  env?: Record<string, string>;
  /** No startup banner and no function log lines on stdout (errors still go to stderr). */
  quiet?: boolean;
  /** Host to bind. Default 127.0.0.1. */
  host?: string;
  /**
   * Origins besides loopback ones whose pages may use /api and the sync WebSocket
   * (`--allow-origin`). Requests with no Origin (Node, curl) are always served.
   */
  allowedOrigins?: string[];
  /**
   * With no convex/auth.config.ts providers, accept `setAuth` JWTs UNVERIFIED (decoded
   * only) instead of refusing them as a deployment does. Local experiments only.
   */
  insecureAuth?: boolean;
  /** Actions and HTTP actions are stopped after this long. Default: the deployment's 30 minutes (tests set less). */
  actionTimeoutMs?: number;
  /**
   * Concurrency limits (concurrency.ts): an S16 deployment's unless the shell's
   * `LOCAL_MAX_CONCURRENT_QUERIES`, `_MUTATIONS`, `_ACTIONS`, `_HTTP_ACTIONS` (and
   * `LOCAL_CONCURRENCY_WAIT_MS`, `LOCAL_ACTION_CONCURRENCY_WAIT_MS`) or these say otherwise.
   */
  concurrency?: Partial<ConcurrencyLimits>;
}

export interface LocalBackendStats {
  connections: ConnectionStats[];
  totals: { bytesSent: number; messagesSent: number; transitions: number; queryRuns: number; documentsRead: number };
}

export interface LocalBackend {
  convexUrl: string;
  siteUrl: string;
  /**
   * The deployment's admin key (kept in `<dataDir>/admin_key`, made at first start): what
   * `CONVEX_SELF_HOSTED_ADMIN_KEY` / `ConvexHttpClient.setAdminAuth` need.
   */
  adminKey: string;
  /** Per sync WebSocket: bytes sent, query runs, documents read (closed ones included). */
  stats(): LocalBackendStats;
  /** The concurrency limits in force, and per kind: running, waiting, peak, refused so far. */
  concurrency(): { limits: ConcurrencyLimits; now: ConcurrencyStats };
  /**
   * Tests only: move this backend's clock forward. Functions see the later Date.now(),
   * and crons that became due run now (the real cron definitions). Resolves when they
   * finished. Timers already armed for runAfter/runAt keep their real-time delay.
   */
  advanceTime(ms: number): Promise<void>;
  /**
   * Tests only: stop every running action and HTTP action as a restart or push of a
   * deployment does. A streamed body breaks off mid-way, the action's pending work never
   * runs, a plain action's caller gets an error. The backend keeps serving. Returns how many
   * were running.
   */
  killActions(): number;
  /** Save to disk now (it also saves shortly after every write). */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/** `.env.local` next to the convex folder, as `npx convex env set` would provide. */
function readDotEnv(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    let value = m[2];
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, "");
    out[m[1]] = value;
  }
  return out;
}

export async function startLocalBackend(options: LocalBackendOptions = {}): Promise<LocalBackend> {
  const host = options.host ?? "127.0.0.1";
  let policy: LocalOnlyPolicy;
  try {
    policy = new LocalOnlyPolicy(host, options.allowedOrigins);
  } catch {
    throw new LocalBackendError(
      `invalid --allow-origin ${JSON.stringify(options.allowedOrigins)}: give origins like https://app.example:8443`,
    );
  }
  const convexDir = options.convexDir ? path.resolve(options.convexDir) : functionsDir(process.cwd());
  const projectDir = path.dirname(convexDir);
  const dataDir = path.resolve(options.dataDir ?? path.join(projectDir, ".local-backend"));
  const quiet = options.quiet ?? false;
  const out = (line: string) => {
    if (!quiet) process.stdout.write(`${line}\n`);
  };
  const err = (line: string) => process.stderr.write(`${line}\n`);
  const log = (level: "log" | "error", line: string) => (level === "error" ? err(`local-backend: ${line}`) : out(line));

  // Functions see process.env, then .env.local for what the shell does not set, then options.env.
  const dotEnv = readDotEnv(path.join(projectDir, ".env.local"));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(dotEnv)) if (process.env[k] === undefined) env[k] = v;
  Object.assign(env, options.env ?? {});
  // What `npx convex env set` would refuse for a deployment (limits.ts).
  for (const [name, value] of Object.entries(env)) {
    const problem = envVarProblem(name, value);
    if (problem) throw new LocalBackendError(`environment variable from .env.local or options.env: ${problem}`);
  }

  const scope: BackendScope = {
    clockOffsetMs: 0,
    env,
    systemEnv: {},
    actionTimeoutMs: options.actionTimeoutMs ?? DEFAULT_ACTION_TIMEOUT_MS,
    concurrency: new Concurrency(concurrencyLimits(process.env, options.concurrency)),
    executions: new Set(),
    timers: new Set(),
    stopped: false,
    print: (stream, line) => {
      if (stream === "log") out(line);
      else err(line);
    },
  };

  const engine = await Engine.load({ convexDir, scope, displayRoot: process.cwd() });
  const admin = loadOrCreateAdminKey(dataDir);
  const auth = new AuthVerifier(engine.authConfig, admin.key, options.insecureAuth ?? false);
  if (options.reset) Persistence.reset(dataDir);
  // Files on disk under <dataDir>/storage; upload tokens signed with the admin key.
  scope.storage = new LocalStorage(engine, new FileStore(dataDir, admin.key, () => Date.now() + scope.clockOffsetMs));
  interceptStorageSyscalls(() => backendStorage.getStore()?.storage);
  // Each calls the other only once running (scheduler.start / the first save).
  const scheduler: Scheduler = new Scheduler(engine, log, () => persistence.markStale());
  const persistence = new Persistence(
    engine,
    dataDir,
    () => scheduler.getState(),
    (m) => log("error", m),
  );
  let savedScheduler: unknown;
  try {
    savedScheduler = await persistence.restore();
  } catch (e) {
    throw new LocalBackendError(e instanceof Error ? e.message : String(e));
  }
  const stopCommits = engine.onCommit(() => persistence.markDirty());

  const connections = new Set<SyncConnection>();
  const closedStats: ConnectionStats[] = []; // all connections, open or closed
  const deployment = createDeploymentServer({ engine, auth, log, connections, allStats: closedStats, policy });
  const site = createSiteServer({ engine, auth, log, policy });

  let port = options.port ?? 3210;
  let sitePort: number;
  try {
    if (port === 0 && options.sitePort === undefined) {
      port = await listenOnAdjacentPorts(deployment, site, host);
      sitePort = port + 1;
    } else if (port === 0) {
      port = await listen(deployment, 0, host);
      sitePort = await listen(site, options.sitePort!, host);
    } else {
      await listen(deployment, port, host);
      sitePort = await listen(site, options.sitePort ?? port + 1, host);
    }
  } catch (e) {
    await closeServer(deployment);
    await closeServer(site);
    stopCommits();
    throw e;
  }
  const onRejection = (reason: unknown) => {
    // e.g. PersistentTextStreaming.stream() rethrows a writer error from a promise nobody
    // awaits. Node would exit; a server must not. The stream is marked `error` anyway.
    err(
      `local-backend: unhandled rejection (ignored): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}`,
    );
  };
  process.on("unhandledRejection", onRejection);

  scheduler.start(savedScheduler);

  const displayHost = host === "0.0.0.0" ? "127.0.0.1" : host;
  const convexUrl = `http://${displayHost}:${port}`;
  const siteUrl = `http://${displayHost}:${sitePort}`;
  // Every function of a deployment sees its two URLs; nothing else may take these names.
  scope.systemEnv = { CONVEX_CLOUD_URL: convexUrl, CONVEX_SITE_URL: siteUrl };
  if (!auth.verifies && auth.insecure) {
    err(
      "local-backend: WARNING: --insecure-auth: no convex/auth.config.ts providers, so setAuth() tokens are accepted UNVERIFIED " +
        "(any JWT is trusted, anyone can claim any identity). Local experiments only; a deployment refuses these tokens.",
    );
  }
  if (admin.created)
    out(`local-backend: new admin key saved to ${path.relative(process.cwd(), admin.file) || admin.file}`);
  out(
    `local-backend: serving ${path.relative(process.cwd(), convexDir) || "."} (data: ${path.relative(process.cwd(), dataDir) || "."})`,
  );

  let stopping: Promise<void> | null = null;
  return {
    convexUrl,
    siteUrl,
    adminKey: admin.key,
    stats() {
      const list = closedStats.map((s) => ({ ...s }));
      const totals = { bytesSent: 0, messagesSent: 0, transitions: 0, queryRuns: 0, documentsRead: 0 };
      for (const s of list) {
        totals.bytesSent += s.bytesSent;
        totals.messagesSent += s.messagesSent;
        totals.transitions += s.transitions;
        totals.queryRuns += s.queryRuns;
        totals.documentsRead += s.documentsRead;
      }
      return { connections: list, totals };
    },
    concurrency() {
      return { limits: { ...scope.concurrency!.limits }, now: scope.concurrency!.stats() };
    },
    async advanceTime(ms: number) {
      scope.clockOffsetMs += ms;
      scheduler.poke();
      await scheduler.idle();
    },
    killActions() {
      const running = [...scope.executions];
      for (const execution of running) execution.kill(KILLED_REASON);
      return running.length;
    },
    flush: () => persistence.save(),
    stop() {
      stopping ??= (async () => {
        // A restart drops running functions: nothing they still do may land in this data.
        for (const execution of scope.executions) execution.kill(KILLED_REASON);
        await scheduler.stop();
        for (const c of connections) c.close();
        await Promise.all([closeServer(deployment), closeServer(site)]);
        stopCommits();
        await persistence.close();
        // Whatever the functions left armed (scheduled functions, sleeps) must not fire now.
        scope.stopped = true;
        for (const t of scope.timers) realClearTimeout(t);
        scope.timers.clear();
        process.off("unhandledRejection", onRejection);
      })();
      return stopping;
    },
  };
}
