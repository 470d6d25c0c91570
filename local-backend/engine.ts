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
// - syscall counting, so query runs report documents read and tables touched.
// Whatever of that needs convex-test's private internals is in convexTestInternals.ts.
import { makeFunctionReference } from "convex/server";
import { convexToJson, jsonToConvex, type JSONValue, type Value } from "convex/values";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { discoverComponents, errorText, flattenComponents, type ComponentTree } from "./components.js";
import {
  ConvexTestVersionError,
  createConvexTest,
  observeSyscalls,
  withOwnTransactionBudget,
  type Accessor,
  type ComponentDatabase,
} from "./convexTestInternals.js";
import { checkArguments, checkDocument, checkReturnValue } from "./limits.js";
import { applyTransactionRuntime } from "./transactionRuntime.js";
import { ActionExecution, DEFAULT_ACTION_TIMEOUT_MS } from "./actionRuntime.js";
import { evaluateAuthConfig, type AuthConfigJson } from "./authConfig.js";
import {
  backendStorage,
  functionStorage,
  installRuntimeHooks,
  requestStorage,
  type BackendScope,
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
}

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
      const timedOut = execution.limitTime(scope?.actionTimeoutMs ?? DEFAULT_ACTION_TIMEOUT_MS);
      const gatedCtx = execution.wrapContext(ctx as Record<string, unknown>);
      try {
        if (type === "httpAction")
          return await Promise.race([original(gatedCtx, restoreRequestUrl(arg as Request)), timedOut]);
        checkArguments(name, arg as Value);
        const result = await Promise.race([original(gatedCtx, arg), timedOut]);
        checkReturnValue(name, result as Value);
        return result;
      } finally {
        if (type !== "httpAction") execution.end("the action returned");
      }
    });
  return copy;
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

function wrapRouter(router: Record<string, unknown>): unknown {
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
        w = wrapFunction(func, `${m} ${routePath}`, "");
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
      out[exportName] = wrapRouter(value as Record<string, unknown>);
    } else {
      out[exportName] = value;
    }
  }
  return out;
}

interface LoadedModules {
  /** Module map for convex-test: absolute path -> loader. */
  map: Record<string, () => Promise<unknown>>;
  /** Raw namespaces by module path without extension ("messages", "lib/access"). */
  namespaces: Map<string, Record<string, unknown>>;
}

async function loadModules(dir: string, componentPath: string, displayRoot: string): Promise<LoadedModules> {
  const files = listModules(dir);
  const map: Record<string, () => Promise<unknown>> = {};
  const namespaces = new Map<string, Record<string, unknown>>();
  // convex-test finds the module root from a key containing "_generated".
  map[path.join(dir, "_generated", "__local_backend__.js")] = async () => ({});
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
    map[file] = async () => wrapped;
  }
  return { map, namespaces };
}

/**
 * Count reads and record tables per query run. Every engine in the process shares the
 * syscall observer; the RequestScope in AsyncLocalStorage says whose read it is.
 */
function countReads() {
  const note = (table: string | null | undefined, docs: number) => {
    const reads = requestStorage.getStore()?.reads;
    if (!reads) return;
    reads.count += docs;
    if (table) reads.tables.add(`${currentComponentPath()}:${table}`);
  };
  const tableOfQuery = (query: { source?: { tableName?: string; indexName?: string } } | undefined) =>
    query?.source?.tableName ?? query?.source?.indexName?.split(".")[0];
  observeSyscalls({
    async(op, jsonArgs, result) {
      if (!requestStorage.getStore()?.reads) return;
      try {
        const args = JSON.parse(jsonArgs);
        if (op === "1.0/get") note(args.table ?? tableOfId(args.id), result === "null" ? 0 : 1);
        else if (op === "1.0/queryStreamNext") note(null, JSON.parse(result).done ? 0 : 1);
        else if (op === "1.0/queryPage") note(tableOfQuery(args.query), JSON.parse(result).page.length);
        else if (op === "1.0/count") note(args.table, 0);
      } catch {
        // Counting is best effort; never break a function over it.
      }
    },
    sync(op, jsonArgs) {
      if (op !== "1.0/queryStream" || !requestStorage.getStore()?.reads) return;
      try {
        note(tableOfQuery(JSON.parse(jsonArgs).query), 0);
      } catch {
        // best effort
      }
    },
  });
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
  hasHttp = false;
  authConfig: AuthConfigJson | null = null;
  private commitListeners = new Set<(e: CommitEvent) => void>();
  /** Last commit timestamp handed out (ns, u64 in the protocol); never goes backwards. */
  ts: bigint;

  private constructor(
    t: Accessor,
    readonly tree: ComponentTree,
    readonly scope: BackendScope,
  ) {
    this.t = t;
    this.ts = BigInt(Date.now()) * 1_000_000n;
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
          onCommit: (componentPath, ids) => engine?.noteCommit(componentPath, ids),
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
      engine.hasHttp = app.namespaces.has("http");
      engine.addCrons("", app.namespaces.get("crons"));
      engine.authConfig = await loadAuthConfig(convexDir, displayRoot);

      for (const node of flattenComponents(tree.components)) {
        const mods = await loadModules(node.dir, node.componentPath, displayRoot);
        const componentSchema = mods.namespaces.get("schema")?.default ?? null;
        internals.registerComponent(node.componentPath, componentSchema, mods.map);
        engine.addCrons(node.componentPath, mods.namespaces.get("crons"));
      }

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
  noteCommit(componentPath: string, ids: string[]) {
    const tables = new Set<string>();
    for (const id of ids) tables.add(`${componentPath}:${tableOfId(id)}`);
    const wall = BigInt(Date.now()) * 1_000_000n;
    this.ts = wall > this.ts ? wall : this.ts + 1n;
    const req = requestStorage.getStore();
    if (req) req.commitTs = this.ts;
    const event = { ts: this.ts, tables };
    for (const l of this.commitListeners) l(event);
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
    return this.inScope(() =>
      requestStorage.run(req, async () => {
        const a = this.accessor(identity);
        try {
          const value =
            type === "mutation"
              ? await a.mutationFromPath(p, args)
              : type === "action"
                ? await a.actionFromPath(p, args)
                : await a.queryFromPath(p, args);
          return { ok: true as const, value, logLines: req.logLines, ts: req.commitTs ?? this.ts };
        } catch (e) {
          return { ok: false as const, ...describeError(e), logLines: req.logLines };
        }
      }),
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
  ): Promise<{ ts: bigint; results: QueryRunResult[] }> {
    // `t.run` returns only Convex values, so the results leave through these variables.
    let ts = this.ts;
    const results: QueryRunResult[] = [];
    await this.inScope(() =>
      this.accessor(identity).run(async (ctx: { runQuery: (ref: unknown, args: unknown) => Promise<Value> }) => {
        // Holding the transaction lock: no commit can land until we return, so the
        // selection, the timestamp and every result belong to the same snapshot.
        const queries = select();
        ts = this.ts;
        for (const q of queries) {
          const req: RequestScope = { logLines: [], reads: { count: 0, tables: new Set() } };
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
          results.push({ ...r, logLines: req.logLines, reads: req.reads!.count, tables: req.reads!.tables });
        }
        return null;
      }),
    );
    return { ts, results };
  }

  /**
   * An HTTP action request on the site URL. `realUrl` is what the handler's request.url
   * shows; `execution` is ended by the caller when the response body has ended.
   */
  async fetch(
    pathQuery: string,
    init: RequestInit,
    realUrl: string,
    identity: Identity | null,
    execution: ActionExecution,
  ): Promise<Response> {
    if (!this.hasHttp) return new Response("No HTTP actions (convex/http.ts) in this app", { status: 404 });
    const headers = new Headers(init.headers);
    headers.set(HTTP_URL_HEADER, realUrl);
    return this.inScope(() =>
      requestStorage.run({ logLines: [], httpAction: execution }, () =>
        this.accessor(identity).fetch(pathQuery, { ...init, headers }),
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
