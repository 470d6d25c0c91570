// Process-wide hooks that let several local backends share one Node process (tests start
// many) while each sees its own clock, environment, timers and log context.
//
// convex-test runs Convex functions in the host process and patches globals through
// AsyncLocalStorage. We follow the same idea: every call into the engine runs inside a
// BackendScope (a slot of our async context, context.ts), and a few globals are replaced ONCE by
// wrappers that consult the current scope and behave exactly like the originals outside
// one. They must be installed before the first `convexTest()` call, which captures the
// then-current globals as the defaults it hands to Convex functions.
import { ContextSlot } from "./context.js";
import { format, promisify } from "node:util";
import type { ActionExecution } from "./actionRuntime.js";
import type { Concurrency } from "./concurrency.js";
import type { LocalStorage } from "./storage.js";

export interface BackendScope {
  /** Added to Date.now() for functions of this backend (tests advance time with it). */
  clockOffsetMs: number;
  /** Environment variables the app's functions see on top of process.env. */
  env: Record<string, string>;
  /**
   * What every function sees whatever its component (CONVEX_CLOUD_URL, CONVEX_SITE_URL), as
   * on a deployment, where no other variable may take these names. Filled once the servers
   * listen.
   */
  systemEnv: Record<string, string>;
  /**
   * The whole of `process.env` inside a component's function (componentPath "a" or "a/b"):
   * the system variables and the ones it declared and its parent bound, nothing else. Set by
   * the engine; absent means components see nothing but the system variables.
   */
  componentEnv?: (componentPath: string) => Record<string, string>;
  /** One variable of `componentEnv(componentPath)` (undefined: not there). */
  componentEnvVar?: (componentPath: string, name: string) => string | undefined;
  /** Timers created by this backend's functions (and convex-test's scheduler), cleared on stop. */
  timers: Set<NodeJS.Timeout>;
  stopped: boolean;
  /** Actions and HTTP actions are stopped after this long (the deployment's 30 minutes by default). */
  actionTimeoutMs: number;
  /** The deployment's concurrency limits (concurrency.ts); absent: none (engine unit tests). */
  concurrency?: Concurrency;
  /** Actions and HTTP actions running now (what a restart or `killActions()` stops). */
  executions: Set<ActionExecution>;
  /** Prints a function's console line (already prefixed with the function name). */
  print: (level: "log" | "warn" | "error", line: string) => void;
  /** File storage on disk and its HTTP endpoints (storage.ts); absent: convex-test's fakes (engine unit tests). */
  storage?: LocalStorage;
}

/**
 * What a query read, finely enough to tell whether a commit can change its result (sync.ts): the
 * documents it got by ID ("componentPath:table:id"), the index ranges it read, the tables it
 * scanned whole ("componentPath:table").
 */
export interface PreciseReads {
  docs: Set<string>;
  ranges: { table: string; range: { type: string; fieldPath: string; value: unknown }[] }[];
  scans: Set<string>;
}

/** Per top-level request: log lines to return to the client, reads for stats. */
export interface RequestScope {
  logLines: string[];
  /** Set for query runs: documents read and tables touched ("componentPath:table"). */
  reads?: { count: number; tables: Set<string>; precise?: PreciseReads };
  /** Commit timestamp of the outermost transaction this request committed, if any. */
  commitTs?: bigint;
  /** For an HTTP action request: its execution, ended by the site server when the body ends. */
  httpAction?: ActionExecution;
}

export const backendStorage = new ContextSlot<BackendScope>("backend");
export const requestStorage = new ContextSlot<RequestScope>("request");
/** The innermost Convex function running (set by the handler wrappers in engine.ts). */
export const functionStorage = new ContextSlot<{ name: string; componentPath: string }>("function");

const MAX_LOG_LINES = 256;

const realSetTimeout = globalThis.setTimeout;
/** The process's own environment, before installRuntimeHooks puts a view in front of it. */
const processEnv = process.env;

/**
 * A deployment (app) variable as the app's functions see it: options.env / .env.local, then
 * the real environment. What a component's `app.env.X` binding reads.
 */
export function appEnvVar(scope: BackendScope, name: string): string | undefined {
  return Object.hasOwn(scope.env, name) ? scope.env[name] : processEnv[name];
}
export const realClearTimeout = globalThis.clearTimeout;
const RealDate = globalThis.Date;
let installed = false;

export function installRuntimeHooks(): void {
  if (installed) return;
  installed = true;
  const g = globalThis as Record<string, unknown>;

  // Date: shifted by the scope's clock offset (0 unless a test advanced time).
  const offset = () => backendStorage.getStore()?.clockOffsetMs ?? 0;
  const now = () => RealDate.now() + offset();
  g.Date = new Proxy(RealDate, {
    construct(target, args, newTarget) {
      if (args.length === 0 && offset() !== 0) return Reflect.construct(target, [now()], newTarget);
      return Reflect.construct(target, args, newTarget);
    },
    apply(target, thisArg, args) {
      if (offset() !== 0) return new RealDate(now()).toString();
      return Reflect.apply(target, thisArg, args);
    },
    get(target, prop, receiver) {
      if (prop === "now") return now;
      return Reflect.get(target, prop, receiver);
    },
  });

  // setTimeout: remember timers created inside a backend so stop() can clear them
  // (convex-test arms one per scheduled function; actions may sleep).
  const wrappedSetTimeout = function (this: unknown, cb: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) {
    const scope = backendStorage.getStore();
    if (!scope || typeof cb !== "function") return realSetTimeout(cb, ms, ...args);
    if (scope.stopped) return realSetTimeout(() => {}, 0);
    const handle: NodeJS.Timeout = realSetTimeout(() => {
      scope.timers.delete(handle);
      if (!scope.stopped) cb(...args);
    }, ms);
    scope.timers.add(handle);
    return handle;
  } as unknown as typeof setTimeout;
  (wrappedSetTimeout as unknown as Record<symbol, unknown>)[promisify.custom] = (
    realSetTimeout as unknown as Record<symbol, unknown>
  )[promisify.custom];
  g.setTimeout = wrappedSetTimeout;
  g.clearTimeout = function (handle?: NodeJS.Timeout | string | number) {
    if (handle && typeof handle === "object") backendStorage.getStore()?.timers.delete(handle);
    realClearTimeout(handle as NodeJS.Timeout);
  };

  // process.env: in the app's functions, the scope's variables (from .env.local / options.env)
  // and the system ones on top of the real environment; in a component's function, only what
  // that component may see (a deployment hides the app's variables from components).
  const realEnv = process.env;
  const views = (): { own: Record<string, string>; isolated: boolean } | null => {
    const scope = backendStorage.getStore();
    if (!scope) return null;
    const componentPath = functionStorage.getStore()?.componentPath;
    if (componentPath) {
      return { own: scope.componentEnv?.(componentPath) ?? { ...scope.systemEnv }, isolated: true };
    }
    return { own: { ...scope.env, ...scope.systemEnv }, isolated: false };
  };
  /**
   * One variable of `views()`'s `own` (undefined: not there) without building the view: reading a
   * variable is the common case, and functions read them on every call.
   */
  const ownVar = (scope: BackendScope, componentPath: string | undefined, key: string): string | undefined => {
    if (componentPath) {
      if (scope.componentEnvVar) return scope.componentEnvVar(componentPath, key);
      return Object.hasOwn(scope.systemEnv, key) ? scope.systemEnv[key] : undefined;
    }
    if (Object.hasOwn(scope.systemEnv, key)) return scope.systemEnv[key];
    return Object.hasOwn(scope.env, key) ? scope.env[key] : undefined;
  };
  const field = (value: string) => ({ value, writable: true, enumerable: true, configurable: true });
  process.env = new Proxy(realEnv, {
    get(target, key) {
      const scope = backendStorage.getStore();
      if (!scope) return Reflect.get(target, key);
      const componentPath = functionStorage.getStore()?.componentPath;
      const value = typeof key === "string" ? ownVar(scope, componentPath, key) : undefined;
      if (value !== undefined) return value;
      return componentPath ? undefined : Reflect.get(target, key);
    },
    has(target, key) {
      const scope = backendStorage.getStore();
      if (!scope) return Reflect.has(target, key);
      const componentPath = functionStorage.getStore()?.componentPath;
      if (typeof key === "string" && ownVar(scope, componentPath, key) !== undefined) return true;
      return componentPath ? false : Reflect.has(target, key);
    },
    ownKeys(target) {
      const view = views();
      if (!view) return Reflect.ownKeys(target);
      if (view.isolated) return Object.keys(view.own);
      return [...new Set([...Reflect.ownKeys(target), ...Object.keys(view.own)])];
    },
    getOwnPropertyDescriptor(target, key) {
      const view = views();
      if (view && typeof key === "string" && Object.hasOwn(view.own, key)) return field(view.own[key]);
      if (view?.isolated) return undefined;
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
  });

  // Response: Convex's runtime accepts `new Response("", { status: 205 })` (the streaming
  // component answers a restarted stream that way); Node's fetch rejects any body with a
  // null-body status. Inside a backend, drop the body for those statuses instead. A Proxy
  // keeps instances real Responses and `instanceof Response` true for fetch's responses.
  const RealResponse = globalThis.Response;
  const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
  g.Response = new Proxy(RealResponse, {
    construct(target, args, newTarget) {
      const init = args[1] as ResponseInit | undefined;
      if (backendStorage.getStore() && init && NULL_BODY_STATUS.has(init.status ?? 200) && args[0] != null) {
        args = [null, init];
      }
      return Reflect.construct(target, args, newTarget);
    },
  });

  // console: inside a Convex function, print with the function's name and collect the
  // line for the client (logLines), as the real backend does.
  const realConsole = globalThis.console;
  const levels: Record<string, ["log" | "warn" | "error", string]> = {
    log: ["log", "LOG"],
    info: ["log", "INFO"],
    debug: ["log", "DEBUG"],
    warn: ["warn", "WARN"],
    error: ["error", "ERROR"],
  };
  const fnConsole = Object.create(realConsole) as Console;
  for (const [method, [stream, level]] of Object.entries(levels)) {
    const original = (realConsole as unknown as Record<string, (...a: unknown[]) => void>)[method].bind(realConsole);
    (fnConsole as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      const fn = functionStorage.getStore();
      const scope = backendStorage.getStore();
      if (!fn || !scope) return original(...args);
      const text = format(...args);
      const req = requestStorage.getStore();
      if (req && req.logLines.length < MAX_LOG_LINES) req.logLines.push(`[${level}] ${text}`);
      scope.print(stream, `[${fn.name}] ${text}`);
    };
  }
  g.console = fnConsole;
}
