// The execution engine: the app's convex/ folder (and its components) hosted on convex-test.
//
// convex-test gives us Convex's semantics (validators, indexes, transactions, components,
// scheduler) in memory. What it lacks for a server, added here:
// - a module map built by walking the folder (vitest would use import.meta.glob);
// - every module is imported eagerly at startup so a broken file fails with its name;
// - registered functions are wrapped so console output and log lines carry the function's
//   name, and HTTP routes see the real request URL;
// - a commit hook (to re-run subscriptions and save to disk) and raw access to the
//   in-memory tables (to snapshot and restore them);
// - syscall counting, so query runs report documents read and tables touched, and the
//   syscalls a deployment refuses inside a component (`.paginate()`) refused there too.
// Whatever of that needs convex-test's private internals is in convexTestInternals.ts.
import { internalActionGeneric, makeFunctionReference } from "convex/server";
import { convexToJson, jsonToConvex, v, type JSONValue, type Value } from "convex/values";
import { AsyncLocalStorage } from "node:async_hooks";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  discoverComponents,
  errorText,
  flattenComponents,
  type ComponentNode,
  type ComponentTree,
  type DefinitionAnalysis,
} from "./components.js";
import {
  ConvexTestVersionError,
  createConvexTest,
  decodeCursor,
  observeSyscalls,
  observeTransactions,
  outsideScheduling,
  scheduledRun,
  schedulingFunction,
  withOwnTransactionBudget,
  type Accessor,
  type ComponentDatabase,
} from "./convexTestInternals.js";
import { checkArguments, checkDocument, checkReturnValue } from "./limits.js";
import { ConflictRecorder, requested, sourceOf } from "./conflicts.js";
import { applyTransactionRuntime } from "./transactionRuntime.js";
import { ActionExecution, DEFAULT_ACTION_TIMEOUT_MS } from "./actionRuntime.js";
import { ContextSlot } from "./context.js";
import { type Concurrency, TooManyConcurrentRequests } from "./concurrency.js";
import { evaluateAuthConfig, type AuthConfigJson } from "./authConfig.js";
import {
  appEnvVar,
  backendStorage,
  functionStorage,
  installRuntimeHooks,
  requestStorage,
  type BackendScope,
  type PreciseReads,
  type RequestScope,
} from "./runtime.js";

export class LocalBackendError extends Error {}

export type UdfType = "query" | "mutation" | "action";
export type { Accessor, ComponentDatabase, FunctionPath } from "./convexTestInternals.js";
export type Identity = Record<string, unknown> & { subject: string; issuer: string; tokenIdentifier: string };

export interface CronSpec {
  componentPath: string;
  /** Cron identifier as given to `crons.interval("name", ...)`. */
  name: string;
  udfPath: string;
  args: Record<string, Value>;
  schedule: Record<string, unknown> & { type: string };
}

export interface CommitEvent {
  ts: bigint;
  /** "componentPath:table" for every table written. */
  tables: Set<string>;
  /**
   * Per "componentPath:table": each document written, its values before and after (null: none).
   * Absent when the values before are unknown: then any read of the tables may have changed.
   */
  writes?: Map<string, { id: string; before: Record<string, Value> | null; after: Record<string, Value> | null }[]>;
}

/**
 * A module the engine adds to every component: its one internal action runs one of that
 * component's HTTP routes. convex-test runs HTTP actions in the app only (`t.fetch`); an
 * action started at a component path gets that component's ctx (its tables, scheduler,
 * storage, function references) and no caller identity, which is what a deployment gives a
 * component's HTTP action (crates/model/src/components/auth.rs propagate_component_auth).
 */
const HTTP_ENTRY_MODULE = "__local_backend_http__";
const HTTP_NOT_ENABLED = "This Convex deployment does not have HTTP actions enabled.";
const HTTP_NO_ROUTE = "No matching routes found";
/** Requests handed to the entry action; a Request is not a Convex value, so only its key travels. */
const pendingHttp = new Map<
  string,
  { handler: (ctx: unknown, request: Request) => unknown; request: Request; response?: Response }
>();
let nextHttpKey = 0;
const httpEntryModule = {
  run: internalActionGeneric({
    args: { key: v.string() },
    handler: async (ctx, { key }) => {
      const pending = pendingHttp.get(key);
      if (!pending) throw new Error(`local backend: no pending HTTP request ${key}`);
      pending.response = (await pending.handler(ctx, pending.request)) as Response;
      return null;
    },
  }),
};

type HttpRouterLike = {
  getRoutes(): ReadonlyArray<readonly [string, string, unknown]>;
  lookup(path: string, method: string): [Record<string, unknown>, string, string] | null;
};

const MODULE_EXTENSIONS = new Set([".ts", ".js", ".mts", ".mjs", ".tsx", ".jsx", ".cts", ".cjs"]);
const HTTP_URL_HEADER = "x-local-backend-url";

/** Table name of a convex-test document ID ("10001messages" -> "messages"). */
export function tableOfId(id: string): string | null {
  const m = /^[0-9]+/.exec(id);
  return m && m[0].length < id.length ? id.slice(m[0].length) : null;
}

function listModules(dir: string, out: string[] = [], top = dir): string[] {
  for (const entry of readdirSync(dir)) {
    if (entry === "node_modules" || entry.startsWith(".")) continue;
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) {
      listModules(full, out, top);
      continue;
    }
    const ext = path.extname(entry);
    if (!MODULE_EXTENSIONS.has(ext) || entry.endsWith(".d.ts")) continue;
    // Like the Convex bundler: names with more than one dot (x.test.ts, convex.config.ts,
    // auth.config.ts) are not function modules.
    if (entry.split(".").length > 2) continue;
    out.push(full);
  }
  return out;
}

function isRegisteredFunction(v: unknown): v is Record<string, unknown> & ((...a: unknown[]) => unknown) {
  if (typeof v !== "function" && (typeof v !== "object" || v === null)) return false;
  const f = v as Record<string, unknown>;
  return Boolean(f.isQuery || f.isMutation || f.isAction || f.isHttp);
}

function functionType(f: Record<string, unknown>): UdfType | "httpAction" {
  if (f.isQuery) return "query";
  if (f.isMutation) return "mutation";
  if (f.isAction) return "action";
  return "httpAction";
}

/**
 * A copy of a registered function whose handler runs with our function context, and whose
 * arguments and return value are held to the deployment's value limits (limits.ts).
 * Queries and mutations get the isolate's globals (transactionRuntime.ts).
 */
function wrapFunction(func: Record<string, unknown>, name: string, componentPath: string): unknown {
  const original = (func._handler ?? func) as (ctx: unknown, arg: unknown) => unknown;
  const descriptors = Object.getOwnPropertyDescriptors(func);
  for (const k of ["length", "name", "prototype", "arguments", "caller"])
    delete (descriptors as Record<string, unknown>)[k];
  const copy = Object.defineProperties(function registeredFunction() {
    throw new Error(`${name} cannot be called directly`);
  }, descriptors) as unknown as Record<string, unknown>;
  const type = functionType(func);
  copy._handler = (ctx: unknown, arg: unknown) =>
    functionStorage.run({ name, componentPath }, async () => {
      if (type === "query" || type === "mutation") {
        conflictRecorder()?.named(name);
        applyTransactionRuntime();
        checkArguments(name, arg as Value);
        const result = await original(ctx, arg);
        checkReturnValue(name, result as Value);
        return result;
      }
      // Actions: the HTTP request's execution (ended by the site server when the body
      // ends), or one of its own that ends when the handler settles.
      const execution = (type === "httpAction" && requestStorage.getStore()?.httpAction) || new ActionExecution();
      execution.applyGlobals();
      const scope = backendStorage.getStore();
      if (scope && execution.endReason === null) {
        scope.executions.add(execution);
        void execution.ended.then(() => scope.executions.delete(execution));
      }
      // A scheduled action takes an action slot for its run, waiting for one (concurrency.ts);
      // a client's call, an HTTP request and `ctx.runAction` took theirs already.
      const release =
        type === "action" && scope?.concurrency && slotHeld.getStore() !== true
          ? await scope.concurrency.acquire("action", Infinity)
          : () => {};
      const timedOut = execution.limitTime(scope?.actionTimeoutMs ?? DEFAULT_ACTION_TIMEOUT_MS);
      const gatedCtx = limitCalls(execution.wrapContext(ctx as Record<string, unknown>), scope?.concurrency);
      try {
        if (type === "httpAction")
          return await Promise.race([original(gatedCtx, restoreRequestUrl(arg as Request)), timedOut]);
        checkArguments(name, arg as Value);
        const result = await Promise.race([original(gatedCtx, arg), timedOut]);
        checkReturnValue(name, result as Value);
        return result;
      } finally {
        if (type !== "httpAction") execution.end("the action returned");
        release();
      }
    });
  return copy;
}

/** True inside a call that holds its concurrency slot; a scheduled function's run starts with false. */
const slotHeld = new ContextSlot<boolean>("slotHeld");

/**
 * An action's `ctx.runQuery`/`runMutation`/`runAction` each take a slot of their kind for the
 * call, as on a deployment, where each is a function execution of its own (concurrency.ts).
 */
function limitCalls<C extends Record<string, any>>(ctx: C, concurrency: Concurrency | undefined): C {
  if (!concurrency) return ctx;
  const limited =
    (kind: "query" | "mutation" | "action", call: (...a: unknown[]) => Promise<unknown>) =>
    (...a: unknown[]) =>
      concurrency.run(kind, () =>
        slotHeld.run(true, () => (kind === "action" ? call(...a) : requested(() => call(...a)))),
      );
  return {
    ...ctx,
    runQuery: limited("query", ctx.runQuery),
    runMutation: limited("mutation", ctx.runMutation),
    runAction: limited("action", ctx.runAction),
  };
}

/** convex-test builds HTTP requests on https://some.convex.site; give the handler the real URL. */
function restoreRequestUrl(request: Request): Request {
  const real = request.headers.get(HTTP_URL_HEADER);
  if (!real) return request;
  const headers = new Headers(request.headers);
  headers.delete(HTTP_URL_HEADER);
  const hasBody = request.method !== "GET" && request.method !== "HEAD" && request.body !== null;
  return new Request(real, {
    method: request.method,
    headers,
    body: hasBody ? request.body : undefined,
    signal: request.signal,
    ...(hasBody ? { duplex: "half" } : {}),
  } as RequestInit);
}

function wrapRouter(router: Record<string, unknown>, componentPath: string): unknown {
  const prefix = componentPath ? `${componentPath}/` : "";
  const lookup = (router.lookup as (p: string, m: string) => [Record<string, unknown>, string, string] | null).bind(
    router,
  );
  const wrapped = new Map<unknown, unknown>();
  return Object.assign(Object.create(router), {
    lookup(pathname: string, method: string) {
      const found = lookup(pathname, method);
      if (!found) return found;
      const [func, m, routePath] = found;
      let w = wrapped.get(func);
      if (!w) {
        w = wrapFunction(func, `${prefix}${m} ${routePath}`, componentPath);
        wrapped.set(func, w);
      }
      return [w, m, routePath];
    },
  });
}

function wrapModule(ns: Record<string, unknown>, modulePath: string, componentPath: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const prefix = componentPath ? `${componentPath}/` : "";
  for (const [exportName, value] of Object.entries(ns)) {
    if (isRegisteredFunction(value) && !value.isHttp) {
      out[exportName] = wrapFunction(value, `${prefix}${modulePath}:${exportName}`, componentPath);
    } else if (
      modulePath === "http" &&
      exportName === "default" &&
      value &&
      (value as { isRouter?: boolean }).isRouter
    ) {
      out[exportName] = wrapRouter(value as Record<string, unknown>, componentPath);
    } else {
      out[exportName] = value;
    }
  }
  return out;
}

interface LoadedModules {
  /** Module map for convex-test: absolute path -> loader. */
  map: Record<string, () => Promise<unknown>>;
  /** `http.ts`'s router with wrapped handlers, if the folder has one. */
  router: HttpRouterLike | null;
  /** Raw namespaces by module path without extension ("messages", "lib/access"). */
  namespaces: Map<string, Record<string, unknown>>;
}

async function loadModules(dir: string, componentPath: string, displayRoot: string): Promise<LoadedModules> {
  const files = listModules(dir);
  const map: Record<string, () => Promise<unknown>> = {};
  const namespaces = new Map<string, Record<string, unknown>>();
  let router: HttpRouterLike | null = null;
  // convex-test finds the module root from a key containing "_generated".
  map[path.join(dir, "_generated", "__local_backend__.js")] = async () => ({});
  // How a component's HTTP route runs inside that component (see Engine.fetch).
  if (componentPath) map[path.join(dir, `${HTTP_ENTRY_MODULE}.js`)] = async () => httpEntryModule;
  for (const file of files) {
    const modulePath = path
      .relative(dir, file)
      .replace(/\.[^.]+$/, "")
      .split(path.sep)
      .join("/");
    let ns: Record<string, unknown>;
    try {
      ns = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (e) {
      throw new LocalBackendError(`failed to load ${path.relative(displayRoot, file)}: ${errorText(e)}`);
    }
    namespaces.set(modulePath, ns);
    const wrapped = modulePath.startsWith("_generated/") ? ns : wrapModule(ns, modulePath, componentPath);
    if (modulePath === "http" && (wrapped.default as { isRouter?: boolean } | undefined)?.isRouter) {
      router = wrapped.default as HttpRouterLike;
    }
    map[file] = async () => wrapped;
  }
  return { map, namespaces, router };
}

/**
 * Count reads and record tables per query run, and refuse `.paginate()` inside a component.
 * Every engine in the process shares the syscall observer; the RequestScope in
 * AsyncLocalStorage says whose read it is.
 */
function countReads() {
  stampScheduledRuns();
  observeTransactions({
    begin: () => conflictRecorder()?.begin(),
    end: (committed) => conflictRecorder()?.end(committed),
  });
  const note = (table: string | null | undefined, docs: number) => {
    const reads = requestStorage.getStore()?.reads;
    if (!reads) return;
    reads.count += docs;
    if (table) reads.tables.add(`${currentComponentPath()}:${table}`);
  };
  /** Into the query's precise read set (sync.ts invalidates by it): a range, or a whole table. */
  const noteRange = (query: unknown) => {
    const precise = requestStorage.getStore()?.reads?.precise;
    const source = precise && sourceOf(query);
    if (!precise || !source) return;
    const table = `${currentComponentPath()}:${source.table}`;
    if (source.range === null) precise.scans.add(table);
    else precise.ranges.push({ table, range: source.range });
  };
  const tableOfQuery = (query: { source?: { tableName?: string; indexName?: string } } | undefined) =>
    query?.source?.tableName ?? query?.source?.indexName?.split(".")[0];
  observeSyscalls({
    before(op) {
      // crates/isolate/src/environment/udf/async_syscall.rs (queryPage): a component pages with
      // range reads of its own (convex-helpers' paginator), not `.paginate()`.
      if (op === "1.0/queryPage" && currentComponentPath() !== "")
        throw new Error(
          "paginate() is only supported in the app. Learn more at https://docs.convex.dev/components/authoring#pagination",
        );
    },
    async(op, jsonArgs, result) {
      const recorder = conflictRecorder();
      if (recorder) {
        try {
          recordRead(recorder, op, jsonArgs, result);
        } catch {
          // Recording is best effort; never break a function over it.
        }
      }
      if (!requestStorage.getStore()?.reads) return;
      try {
        const args = JSON.parse(jsonArgs);
        const precise = requestStorage.getStore()?.reads?.precise;
        if (op === "1.0/get") {
          const table = args.table ?? tableOfId(args.id);
          note(table, result === "null" ? 0 : 1);
          if (table) precise?.docs.add(`${currentComponentPath()}:${table}:${args.id}`);
        } else if (op === "1.0/queryStreamNext") note(null, JSON.parse(result).done ? 0 : 1);
        else if (op === "1.0/queryPage") {
          note(tableOfQuery(args.query), JSON.parse(result).page.length);
          noteRange(args.query);
        } else if (op === "1.0/count") {
          note(args.table, 0);
          if (args.table) precise?.scans.add(`${currentComponentPath()}:${args.table}`);
        }
      } catch {
        // Counting is best effort; never break a function over it.
      }
    },
    sync(op, jsonArgs, result) {
      if (op !== "1.0/queryStream") return;
      try {
        conflictRecorder()?.openStream(
          currentComponentPath(),
          (JSON.parse(result) as { queryId: number }).queryId,
          JSON.parse(jsonArgs).query,
        );
      } catch {
        // best effort
      }
      if (!requestStorage.getStore()?.reads) return;
      try {
        const query = JSON.parse(jsonArgs).query;
        note(tableOfQuery(query), 0);
        noteRange(query);
      } catch {
        // best effort
      }
    },
  });
}

/** Each backend's conflict recorder (conflicts.ts), found from the scope a function runs in. */
const recorders = new WeakMap<BackendScope, ConflictRecorder>();
function conflictRecorder(): ConflictRecorder | undefined {
  const scope = backendStorage.getStore();
  return scope && recorders.get(scope);
}

let scheduledRunsStamped = false;
/**
 * convex-test arms a timer per scheduled function inside its scheduling syscall
 * (`schedulingFunction()`: a mutation's `ctx.scheduler`, or an action's). When such a timer
 * fires, the job first waits for one of the deployment's scheduled-job slots (concurrency.ts),
 * still `pending` meanwhile, and holds it until its run has ended. Its run is stamped with the
 * time it started, when the function was due and a slot free: those due together are requested
 * together, as on a deployment, where they would run at once. Wraps whatever `setTimeout` is
 * installed (runtime.ts's).
 *
 * Only those timers: every other one (an action's own, or the keep-alive timer undici arms for an
 * action's fetch) fires as armed, even while a transaction is in flight. Taken for a job, it
 * waited for a slot and could no longer be cleared: undici's idle timer then ran on a socket
 * carrying the next response and broke its body off ("BodyTimeoutError"; bench row 10's queued
 * replies that ended "lost mid-reply").
 */
function stampScheduledRuns() {
  if (scheduledRunsStamped) return;
  scheduledRunsStamped = true;
  const g = globalThis as unknown as { setTimeout: (cb: unknown, ms?: number, ...a: unknown[]) => unknown };
  const inner = g.setTimeout;
  const stamped = function (cb: unknown, ms?: number, ...args: unknown[]) {
    if (typeof cb !== "function" || !schedulingFunction()) return inner(cb, ms, ...args);
    const scope = backendStorage.getStore();
    const start = (...a: unknown[]) =>
      slotHeld.run(false, () => requested(() => scheduledRun(() => (cb as (...x: unknown[]) => unknown)(...a))));
    return inner(
      (...a: unknown[]) =>
        // The timer's context is the scheduling call's; the job's run (and every timer it arms) is not in it.
        outsideScheduling(() => {
          if (!scope?.concurrency) return void start(...a);
          void scope.concurrency.acquire("scheduledJob").then(async (release) => {
            try {
              if (!scope.stopped) await start(...a);
            } finally {
              release();
            }
          });
        }),
      ms,
      ...args,
    );
  };
  Object.assign(stamped, inner);
  g.setTimeout = stamped;
}

/** A read syscall's documents and ranges, into the transaction's read set. */
function recordRead(recorder: ConflictRecorder, op: string, jsonArgs: string, result: string): void {
  const componentPath = currentComponentPath();
  const doc = (d: { _id?: string } | null | undefined) => {
    const table = d?._id ? tableOfId(d._id) : null;
    if (table) recorder.readDocument(componentPath, table, d!._id!);
  };
  if (op === "1.0/get") {
    const args = JSON.parse(jsonArgs) as { id: string; table?: string };
    const table = args.table ?? tableOfId(args.id);
    if (table) recorder.readDocument(componentPath, table, args.id);
  } else if (op === "1.0/queryStreamNext") {
    const next = JSON.parse(result) as { value: Record<string, JSONValue> | null; done: boolean };
    doc(next.value as { _id?: string } | null);
    recorder.streamNext(componentPath, (JSON.parse(jsonArgs) as { queryId: number }).queryId, next.value, next.done);
  } else if (op === "1.0/queryPage") {
    const args = JSON.parse(jsonArgs) as { query: unknown; cursor: string | null; endCursor?: string | null };
    const answer = JSON.parse(result) as { page: { _id?: string }[]; isDone: boolean; continueCursor: string };
    for (const d of answer.page) doc(d);
    recorder.readPage(componentPath, {
      query: args.query,
      cursor: decodeCursor(args.cursor),
      endCursor: decodeCursor(args.endCursor),
      continueCursor: answer.isDone ? "end" : decodeCursor(answer.continueCursor),
    });
  } else if (op === "1.0/count") {
    const table = (JSON.parse(jsonArgs) as { table?: string }).table;
    if (table) recorder.readQuery(componentPath, { source: { type: "FullTableScan", tableName: table } });
  }
}

/** Component path of the innermost wrapped function ("" for the app). */
function currentComponentPath(): string {
  return functionStorage.getStore()?.componentPath ?? "";
}

export interface EngineOptions {
  convexDir: string;
  scope: BackendScope;
  /** Root the error messages name files relative to (the project dir). */
  displayRoot: string;
}

export class Engine {
  readonly t: Accessor;
  dbs = new Map<string, ComponentDatabase>();
  /** Root functions: udfPath ("messages:send") -> type and visibility. */
  readonly functions = new Map<string, { type: UdfType | "httpAction"; visibility: "public" | "internal" }>();
  readonly crons: CronSpec[] = [];
  /** Each folder's `http.ts` router ("" is the app), wrapped. */
  readonly routers = new Map<string, HttpRouterLike>();
  /** Every component by path ("a", "a/b"). */
  readonly components = new Map<string, ComponentNode>();
  authConfig: AuthConfigJson | null = null;
  private commitListeners = new Set<(e: CommitEvent) => void>();
  /**
   * Runs a function in the context the engine was made in: no function's. A commit is noted
   * inside the committing function's async context (convex-test's execution context, its
   * component path among it), which whatever a listener starts (a subscription's next pass)
   * would otherwise inherit: an app query run after a component's write would be looked up
   * among the component's modules.
   */
  private readonly outsideFunctions = AsyncLocalStorage.snapshot();
  /** Last commit timestamp handed out (ns, u64 in the protocol); never goes backwards. */
  ts: bigint;
  /** What would have conflicted on a deployment (conflicts.ts). */
  readonly conflicts = new ConflictRecorder(
    (componentPath, indexName) => this.dbs.get(componentPath)?.indexFields(indexName) ?? null,
  );

  private constructor(
    t: Accessor,
    readonly tree: ComponentTree,
    readonly scope: BackendScope,
  ) {
    this.t = t;
    this.ts = BigInt(Date.now()) * 1_000_000n;
    recorders.set(scope, this.conflicts);
  }

  static async load(opts: EngineOptions): Promise<Engine> {
    const { convexDir, scope, displayRoot } = opts;
    installRuntimeHooks();
    if (!existsSync(convexDir) || !statSync(convexDir).isDirectory()) {
      throw new LocalBackendError(`no Convex functions folder at ${convexDir} (pass --convex-dir)`);
    }
    return backendStorage.run(scope, async () => {
      let tree: ComponentTree;
      try {
        tree = await discoverComponents(convexDir);
      } catch (e) {
        throw new LocalBackendError(errorText(e));
      }
      const app = await loadModules(convexDir, "", displayRoot);
      const schema = app.namespaces.get("schema")?.default;
      if (app.namespaces.has("schema") && !schema) {
        throw new LocalBackendError(
          `failed to load ${path.relative(displayRoot, path.join(convexDir, "schema.ts"))}: no default export`,
        );
      }
      let engine: Engine | null = null;
      let internals: ReturnType<typeof createConvexTest>;
      try {
        internals = createConvexTest(schema, app.map, {
          onCommit: (componentPath, ids, before) => engine?.noteCommit(componentPath, ids, before),
          checkDocument,
        });
      } catch (e) {
        if (e instanceof ConvexTestVersionError) throw new LocalBackendError(e.message);
        throw new LocalBackendError(
          `invalid schema in ${path.relative(displayRoot, convexDir)}/schema.ts: ${errorText(e)}`,
        );
      }
      countReads();
      engine = new Engine(internals.t, tree, scope);

      for (const [modulePath, ns] of app.namespaces) {
        if (modulePath.startsWith("_generated/")) continue;
        for (const [exportName, value] of Object.entries(ns)) {
          if (!isRegisteredFunction(value)) continue;
          const udfPath = `${modulePath}:${exportName}`;
          engine.functions.set(udfPath, {
            type: functionType(value),
            visibility: value.isPublic ? "public" : "internal",
          });
        }
      }
      if (app.router) engine.routers.set("", app.router);
      engine.addCrons("", app.namespaces.get("crons"));
      engine.authConfig = await loadAuthConfig(convexDir, displayRoot);

      for (const node of flattenComponents(tree.components)) {
        const mods = await loadModules(node.dir, node.componentPath, displayRoot);
        const componentSchema = mods.namespaces.get("schema")?.default ?? null;
        internals.registerComponent(node.componentPath, componentSchema, mods.map);
        engine.addCrons(node.componentPath, mods.namespaces.get("crons"));
        if (mods.router) engine.routers.set(node.componentPath, mods.router);
        engine.components.set(node.componentPath, node);
      }
      scope.componentEnv = (componentPath) => engine!.componentEnv(componentPath);
      scope.componentEnvVar = (componentPath, name) => engine!.componentEnvVar(componentPath, name);

      engine.dbs = internals.databases();
      return engine;
    });
  }

  private addCrons(componentPath: string, ns: Record<string, unknown> | undefined) {
    const crons = ns?.default as
      | { isCrons?: boolean; crons?: Record<string, { name: string; args: unknown[]; schedule: CronSpec["schedule"] }> }
      | undefined;
    if (!crons?.isCrons || !crons.crons) return;
    for (const [name, job] of Object.entries(crons.crons)) {
      this.crons.push({
        componentPath,
        name,
        udfPath: job.name,
        args: jsonToConvex((job.args[0] ?? {}) as never) as Record<string, Value>,
        schedule: job.schedule,
      });
    }
  }

  /** Called from the commit hook, synchronously inside convex-test's commit. */
  noteCommit(componentPath: string, ids: string[], before?: Map<string, Record<string, Value> | undefined>) {
    const tables = new Set<string>();
    const committed = this.dbs.get(componentPath)?.documents();
    const writes: NonNullable<CommitEvent["writes"]> = new Map();
    for (const id of ids) {
      const table = `${componentPath}:${tableOfId(id)}`;
      tables.add(table);
      const after = committed?.[id] ?? null;
      const previous = before?.get(id) ?? null;
      this.conflicts.wrote(componentPath, tableOfId(id) ?? "", id, previous, after);
      let list = writes.get(table);
      if (!list) writes.set(table, (list = []));
      list.push({ id, before: previous, after });
    }
    const wall = BigInt(Date.now()) * 1_000_000n;
    this.ts = wall > this.ts ? wall : this.ts + 1n;
    const req = requestStorage.getStore();
    if (req) req.commitTs = this.ts;
    const event: CommitEvent = { ts: this.ts, tables, ...(before ? { writes } : {}) };
    for (const l of this.commitListeners) this.outsideFunctions(() => l(event));
  }

  onCommit(listener: (e: CommitEvent) => void): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  /** Run engine work inside this backend's scope (clock, env, timers, logs). */
  inScope<T>(fn: () => T): T {
    return backendStorage.run(this.scope, fn);
  }

  accessor(identity: Identity | null): Accessor {
    return identity ? this.t.withIdentity(identity) : this.t;
  }

  /** Check a client-facing call: exists, right type, public. Returns an error message or null. */
  checkPublic(udfPath: string, type: UdfType): string | null {
    const f = this.functions.get(normalizeUdfPath(udfPath));
    if (!f || f.visibility !== "public" || f.type === "httpAction") {
      return `Could not find public function for '${udfPath}'. Did you forget to run \`npx convex dev\`?`;
    }
    if (f.type !== type) {
      return `Trying to execute ${udfPath} as ${type[0].toUpperCase()}${type.slice(1)}, but it is defined as ${f.type[0].toUpperCase()}${f.type.slice(1)}.`;
    }
    return null;
  }

  /** A top-level call from a client: mutation or action, with log capture. */
  async call(
    type: "mutation" | "action" | "query",
    udfPath: string,
    args: Record<string, Value>,
    identity: Identity | null,
  ) {
    const req: RequestScope = { logLines: [] };
    const p = { udfPath: normalizeUdfPath(udfPath), componentPath: "" };
    let release: () => void = () => {};
    try {
      if (this.scope.concurrency) release = await this.scope.concurrency.acquire(type);
    } catch (e) {
      if (!(e instanceof TooManyConcurrentRequests)) throw e;
      return {
        ok: false as const,
        message: e.message,
        errorData: undefined,
        rateLimited: true as const,
        logLines: [] as string[],
      };
    }
    return this.inScope(() =>
      slotHeld.run(true, () =>
        requestStorage.run(req, async () => {
          const a = this.accessor(identity);
          try {
            const value =
              type === "mutation"
                ? await requested(() => a.mutationFromPath(p, args))
                : type === "action"
                  ? await a.actionFromPath(p, args)
                  : await requested(() => a.queryFromPath(p, args));
            return { ok: true as const, value, logLines: req.logLines, ts: req.commitTs ?? this.ts };
          } catch (e) {
            return { ok: false as const, ...describeError(e), logLines: req.logLines };
          } finally {
            release();
          }
        }),
      ),
    );
  }

  /**
   * Run several queries in ONE transaction (a consistent snapshot): convex-test serializes
   * transactions, and a query run through `ctx.runQuery` inside `t.run` stays in the
   * outer transaction. Returns the snapshot timestamp with the results.
   */
  async snapshotQueries(
    identity: Identity | null,
    select: () => { udfPath: string; args: Record<string, Value> }[],
  ): Promise<{ ts: bigint; results: QueryRunResult[]; refused?: string }> {
    // `t.run` returns only Convex values, so the results leave through these variables.
    let ts = this.ts;
    const results: QueryRunResult[] = [];
    // One pass runs its queries one after another: it holds one query slot.
    let release: () => void = () => {};
    try {
      if (this.scope.concurrency) release = await this.scope.concurrency.acquire("query");
    } catch (e) {
      if (!(e instanceof TooManyConcurrentRequests)) throw e;
      const refused = select().map(() => ({
        ok: false as const,
        message: e.message,
        logLines: [],
        reads: 0,
        tables: new Set<string>(),
      }));
      return { ts, results: refused, refused: e.message };
    }
    try {
      await this.runSnapshot(identity, select, results, (at) => (ts = at));
    } finally {
      release();
    }
    return { ts, results };
  }

  private async runSnapshot(
    identity: Identity | null,
    select: () => { udfPath: string; args: Record<string, Value> }[],
    results: QueryRunResult[],
    setTs: (ts: bigint) => void,
  ): Promise<void> {
    await this.inScope(() =>
      this.accessor(identity).run(async (ctx: { runQuery: (ref: unknown, args: unknown) => Promise<Value> }) => {
        // Holding the transaction lock: no commit can land until we return, so the
        // selection, the timestamp and every result belong to the same snapshot.
        const queries = select();
        setTs(this.ts);
        for (const q of queries) {
          const req: RequestScope = {
            logLines: [],
            reads: { count: 0, tables: new Set(), precise: { docs: new Set(), ranges: [], scans: new Set() } },
          };
          const denied = this.checkPublic(q.udfPath, "query");
          const r = await requestStorage.run(req, async () => {
            if (denied) return { ok: false as const, message: denied };
            try {
              const value = await withOwnTransactionBudget(() =>
                ctx.runQuery(makeFunctionReference<"query">(normalizeUdfPath(q.udfPath)), q.args),
              );
              return { ok: true as const, value };
            } catch (e) {
              return { ok: false as const, ...describeError(e) };
            }
          });
          results.push({
            ...r,
            logLines: req.logLines,
            reads: req.reads!.count,
            tables: req.reads!.tables,
            precise: req.reads!.precise,
          });
        }
        return null;
      }),
    );
  }

  /**
   * What a component's functions find in `process.env` (crates/isolate/src/environment/udf/phase.rs
   * get_environment_variable): the system variables, CONVEX_SITE_URL carrying the component's
   * HTTP mount; then each variable it declared as its parent bound it, a literal or the app's
   * variable as it is now. The app's other variables are not there.
   */
  componentEnv(componentPath: string): Record<string, string> {
    const out: Record<string, string> = { ...this.scope.systemEnv };
    const node = this.components.get(componentPath);
    if (!node) return out;
    if (node.httpPrefix !== null && out.CONVEX_SITE_URL) {
      out.CONVEX_SITE_URL = `${out.CONVEX_SITE_URL.replace(/\/$/, "")}${node.httpPrefix.replace(/\/$/, "")}`;
    }
    for (const [name, binding] of node.env) {
      const value = binding.type === "value" ? binding.value : appEnvVar(this.scope, binding.name);
      if (value !== undefined) out[name] = value;
    }
    return out;
  }

  /**
   * One variable of `componentEnv(componentPath)` (undefined: not there), without building them
   * all: `process.env.X` is read per access, and at bench row 10's load building the whole view on
   * every read was a percent of the backend's CPU.
   */
  componentEnvVar(componentPath: string, name: string): string | undefined {
    const node = this.components.get(componentPath);
    const binding = node?.env.get(name);
    if (binding) {
      const value = binding.type === "value" ? binding.value : appEnvVar(this.scope, binding.name);
      if (value !== undefined) return value;
    }
    const system = this.scope.systemEnv;
    if (!Object.hasOwn(system, name)) return undefined;
    if (name === "CONVEX_SITE_URL" && node && node.httpPrefix !== null && system.CONVEX_SITE_URL) {
      return `${system.CONVEX_SITE_URL.replace(/\/$/, "")}${node.httpPrefix.replace(/\/$/, "")}`;
    }
    return system[name];
  }

  private definitionOf(componentPath: string): DefinitionAnalysis | undefined {
    if (componentPath === "") return this.tree.definitions.get("");
    const node = this.components.get(componentPath);
    return node ? this.tree.definitions.get(node.definitionPath) : undefined;
  }

  /**
   * Which folder's `http.ts` serves `pathname`, and the path its router sees, as a deployment
   * decides (crates/application/src/application_function_runner/http_routing.rs
   * route_http_action): an exact route of the current `http.ts` wins; else the longest prefix
   * among its prefix routes and its children's mounts (a mount wins a tie), and a mounted
   * child is searched the same way with the path after the mount ("/" + rest). The app's own
   * routes sit under `defineApp({ httpPrefix })`; mounts are always from the site root.
   * Nothing matched: the current `http.ts` answers (its 404), or null when it has none.
   */
  route(pathname: string, method: string): { componentPath: string; routedPath: string } | null {
    let componentPath = "";
    let routed = pathname;
    for (;;) {
      const definition = this.definitionOf(componentPath);
      const router = this.routers.get(componentPath) ?? null;
      const mounts = Object.keys(definition?.httpMounts ?? {}).sort();
      if (!router && mounts.length === 0) return null;
      const appPrefix = componentPath === "" ? definition?.httpPrefix : undefined;
      const ownPath = !appPrefix ? routed : routed.startsWith(appPrefix) ? `/${routed.slice(appPrefix.length)}` : null;
      const routes = router?.getRoutes() ?? [];
      if (ownPath !== null && routes.some(([p, m]) => !p.endsWith("*") && m === method && p === ownPath)) {
        return { componentPath, routedPath: ownPath };
      }
      // `routed` keeps the leading "/" the deployment's RoutedHttpPath has; the comparisons
      // below are the deployment's own (a stored "/rest" against a new bare "rest").
      let best: { routed: string; child: string | null } | null = null;
      if (ownPath !== null) {
        for (const [p, m] of routes) {
          if (m !== method || !p.endsWith("*")) continue;
          const prefix = p.slice(0, -1) || "/";
          if (!ownPath.startsWith(prefix)) continue;
          const suffix = ownPath.slice(prefix.length);
          if (best && best.routed.length < suffix.length) continue;
          best = { routed: `/${suffix}`, child: null };
        }
      }
      for (const mount of mounts) {
        if (!routed.startsWith(mount)) continue;
        const suffix = routed.slice(mount.length);
        if (best && best.routed.length < suffix.length) continue;
        best = {
          routed: `/${suffix}`,
          child: definition!.httpMounts[mount].replace(/^_reference\/childComponent\//, ""),
        };
      }
      if (best === null) return ownPath !== null && router ? { componentPath, routedPath: ownPath } : null;
      if (best.child === null) return { componentPath, routedPath: ownPath! };
      componentPath = componentPath ? `${componentPath}/${best.child}` : best.child;
      routed = best.routed;
    }
  }

  /**
   * An HTTP action request on the site URL, routed to the app or a mounted component.
   * `realUrl` is what the handler's request.url shows (the full URL, mount prefix included,
   * as on a deployment); `execution` is ended by the caller when the response body has ended.
   * A component's route runs with no identity: a deployment does not pass the caller's on.
   */
  async fetch(
    init: RequestInit,
    realUrl: string,
    identity: Identity | null,
    execution: ActionExecution,
  ): Promise<Response> {
    const url = new URL(realUrl);
    const method = init.method ?? "GET";
    const target = this.route(url.pathname, method);
    if (!target) return new Response(HTTP_NOT_ENABLED, { status: 404 });
    const router = this.routers.get(target.componentPath)!;
    const found = router.lookup(target.routedPath, method);
    if (!found) return new Response(HTTP_NO_ROUTE, { status: 404 });
    return this.inScope(() =>
      slotHeld.run(true, () =>
        requestStorage.run({ logLines: [], httpAction: execution }, async () => {
          if (target.componentPath === "") {
            const headers = new Headers(init.headers);
            headers.set(HTTP_URL_HEADER, realUrl);
            return this.accessor(identity).fetch(`${target.routedPath}${url.search}`, { ...init, headers });
          }
          const key = `${++nextHttpKey}`;
          const pending: {
            handler: (ctx: unknown, request: Request) => unknown;
            request: Request;
            response?: Response;
          } = {
            handler: found[0]._handler as (ctx: unknown, request: Request) => unknown,
            request: new Request(realUrl, init),
            response: undefined,
          };
          pendingHttp.set(key, pending);
          try {
            await this.t.actionFromPath(
              { componentPath: target.componentPath, udfPath: `${HTTP_ENTRY_MODULE}:run` },
              { key },
            );
          } finally {
            pendingHttp.delete(key);
          }
          return pending.response!;
        }),
      ),
    );
  }

  // ---- raw table access for persistence and the scheduler ----

  /** All committed documents of a component's table (no transaction needed). */
  documents(componentPath: string, table: string): Record<string, Value>[] {
    const db = this.dbs.get(componentPath);
    if (!db) return [];
    return Object.entries(db.documents())
      .filter(([id]) => tableOfId(id) === table)
      .map(([, doc]) => doc);
  }
}

export type QueryRunResult = ({ ok: true; value: Value } | { ok: false; message: string; errorData?: Value }) & {
  logLines: string[];
  reads: number;
  tables: Set<string>;
  /** What it read, for invalidation by document and range (absent: by table). */
  precise?: PreciseReads;
};

/** "messages:send", "messages.js:send", "messages" (default export) -> canonical form. */
export function normalizeUdfPath(udfPath: string): string {
  const [mod, name] = udfPath.split(":");
  const m = mod.replace(/\.(js|ts|mjs|cjs|jsx|tsx)$/, "");
  return `${m}:${name ?? "default"}`;
}

/** Message and ConvexError data as the real backend reports them. */
export function describeError(e: unknown): { message: string; errorData?: Value } {
  if (e && typeof e === "object" && Symbol.for("ConvexError") in e) {
    const ce = e as { message: string; data: Value };
    return { message: `Uncaught ConvexError: ${ce.message}`, errorData: ce.data ?? null };
  }
  if (e instanceof Error) return { message: `Uncaught ${e.name === "Error" ? "Error" : e.name}: ${e.message}` };
  return { message: `Uncaught ${String(e)}` };
}

/** `{ errorData }` for a failure response when the error was a ConvexError, else nothing. */
export function errorDataField(errorData: Value | undefined): { errorData?: JSONValue } {
  return errorData !== undefined ? { errorData: convexToJson(errorData) } : {};
}

async function loadAuthConfig(convexDir: string, displayRoot: string): Promise<AuthConfigJson | null> {
  try {
    // Inside the backend's scope, process.env has its .env.local / options.env overlay.
    return await evaluateAuthConfig(convexDir, (name) => process.env[name]);
  } catch (e) {
    throw new LocalBackendError(
      `failed to load ${path.relative(displayRoot, path.join(convexDir, "auth.config.ts"))}: ${errorText(e)}`,
    );
  }
}
