// The two deployment-admin endpoints `npx convex codegen` calls. A real backend evaluates
// the pushed bundles; codegen needs back the component graph (each definition's child
// components, read from convex.config.ts ourselves) and, for every component defined in the
// project, its functions with their validators: the CLI types a local component's
// `_generated/component.ts` (its ComponentApi, which the parent's `components.<name>` uses)
// from `analysis[path].functions` and `definition.exports`. Those come from the pushed
// bundles, imported here as a deployment evaluates them. Nothing is deployed: the local
// backend always runs the source directly.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { brotliDecompress, gunzip } from "node:zlib";
import { adminKeyFromHeader, BAD_ADMIN_KEY, isAdminKey } from "./adminKey.js";
import type { ComponentNode, ComponentTree } from "./components.js";

// Matches the `convex` package this project pins; only used as udfServerVersion.
const SERVER_VERSION = "1.48.0";

type Json = Record<string, unknown>;

const ADMIN_PATHS = new Set([
  "/api/get_config_hashes",
  "/api/deploy2/start_push",
  "/api/deploy2/evaluate_push",
  "/api/deploy2/evaluate_schema",
]);

function checkedComponent(node: ComponentNode | null, definitionPath: string): Json {
  return {
    definitionPath,
    componentPath: node?.componentPath ?? "",
    args: {},
    childComponents: Object.fromEntries(
      (node?.children ?? []).map((c) => [c.name, checkedComponent(c, c.definitionPath)]),
    ),
    httpRoutes: { httpModuleRoutes: null, mounts: [] },
    exports: {},
  };
}

/** What the CLI's start_push request carries per component definition (the fields we read). */
interface PushedDefinition {
  definitionPath: string;
  functions: { path: string; source: string; sourceMap?: string; environment: string }[];
}

interface AnalyzedFunction {
  name: string;
  pos: null;
  udfType: "Query" | "Mutation" | "Action";
  visibility: { kind: "public" | "internal" };
  args: string;
  returns: string;
}
type AnalyzedModules = Record<
  string,
  { functions: AnalyzedFunction[]; httpRoutes: null; cronSpecs: null; sourceMapped: null }
>;

/**
 * Each pushed component's function modules, imported from a temporary folder (fresh names, so
 * an edited component is never served from Node's module cache) and read as a deployment's
 * analysis reads them: every registered query, mutation and action with its visibility and
 * its `args`/`returns` validators as JSON. "use node" modules are left out (not imported
 * here); `_deps/` chunks are only imported by the modules that need them.
 */
async function analyzePushedFunctions(definitions: PushedDefinition[]): Promise<Map<string, AnalyzedModules>> {
  const out = new Map<string, AnalyzedModules>();
  const tmp = mkdtempSync(path.join(tmpdir(), "local-backend-push-"));
  try {
    for (const [i, definition] of definitions.entries()) {
      const dir = path.join(tmp, String(i));
      for (const module of definition.functions) {
        const file = path.join(dir, module.path);
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, module.source);
        // The bundles name their source maps; without them Node's loaders complain per module.
        if (module.sourceMap) writeFileSync(`${file}.map`, module.sourceMap);
      }
      const modules: AnalyzedModules = {};
      for (const module of definition.functions) {
        if (module.environment !== "isolate" || module.path.startsWith("_deps/")) continue;
        let ns: Record<string, unknown>;
        try {
          ns = (await import(pathToFileURL(path.join(dir, module.path)).href)) as Record<string, unknown>;
        } catch (e) {
          throw new Error(
            `failed to analyze ${definition.definitionPath}/${module.path}: ${e instanceof Error ? e.message : String(e)}`,
          );
        }
        const functions: AnalyzedFunction[] = [];
        for (const [name, value] of Object.entries(ns)) {
          const f = value as Record<string, unknown> | null;
          if (!f || (typeof f !== "function" && typeof f !== "object")) continue;
          const udfType = f.isQuery ? "Query" : f.isMutation ? "Mutation" : f.isAction ? "Action" : null;
          if (!udfType) continue;
          functions.push({
            name,
            pos: null,
            udfType,
            visibility: { kind: f.isPublic ? "public" : "internal" },
            args: (f.exportArgs as () => string)(),
            returns: (f.exportReturns as () => string)(),
          });
        }
        modules[module.path] = { functions, httpRoutes: null, cronSpecs: null, sourceMapped: null };
      }
      out.set(definition.definitionPath, modules);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}

type ExportTree = { type: "branch"; branch: [string, ExportTree][] } | { type: "leaf"; leaf: string };

/**
 * A component's exports as a deployment derives them for codegen
 * (crates/model/src/components/file_based_routing.rs file_based_exports): every public
 * function, under its module path ("lib/foo.js" -> lib.foo.<name>).
 */
function fileBasedExports(modules: AnalyzedModules): { type: "branch"; branch: [string, ExportTree][] } {
  const root: { type: "branch"; branch: [string, ExportTree][] } = { type: "branch", branch: [] };
  for (const [modulePath, module] of Object.entries(modules)) {
    const parts = modulePath.replace(/\.js$/, "").split("/");
    for (const f of module.functions) {
      if (f.visibility.kind !== "public") continue;
      let node = root;
      for (const part of parts) {
        let next = node.branch.find(([k]) => k === part)?.[1];
        if (!next) {
          next = { type: "branch", branch: [] };
          node.branch.push([part, next]);
        }
        if (next.type !== "branch") throw new Error(`Path ${modulePath}:${f.name} conflicts with existing export`);
        node = next;
      }
      node.branch.push([f.name, { type: "leaf", leaf: `_reference/function/${modulePath}:${f.name}` }]);
    }
  }
  return root;
}

export function startPushResponse(tree: ComponentTree, pushed: Map<string, AnalyzedModules> = new Map()): Json {
  const analysis: Json = {};
  for (const [definitionPath, def] of tree.definitions) {
    const functions = pushed.get(definitionPath) ?? {};
    analysis[definitionPath] = {
      definition: {
        path: definitionPath,
        ...def,
        ...(definitionPath === "" ? {} : { exports: fileBasedExports(functions) }),
      },
      schema: null,
      functions,
      udfConfig: { serverVersion: SERVER_VERSION, importPhaseRngSeed: null, importPhaseUnixTimestamp: null },
    };
  }
  const app = checkedComponent(null, "");
  app.childComponents = Object.fromEntries(tree.components.map((c) => [c.name, checkedComponent(c, c.definitionPath)]));
  return {
    environmentVariables: {},
    externalDepsId: null,
    componentDefinitionPackages: {},
    appAuth: [],
    analysis,
    app,
    schemaChange: { allocatedComponentIds: null, schemaIds: null },
  };
}

/**
 * Answers the admin endpoints codegen needs, for the holder of the admin key only (401
 * BadAdminKey otherwise). Returns false when the path is not one of them.
 * `getTree` is re-read per request so a codegen run sees the current convex.config.ts.
 */
export async function handleDeployApi(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  getTree: () => Promise<ComponentTree>,
  adminKey: string,
): Promise<boolean> {
  if (req.method !== "POST" || !ADMIN_PATHS.has(pathname)) return false;
  if (!isAdminKey(adminKeyFromHeader(req.headers.authorization), adminKey)) {
    req.resume();
    res.writeHead(401, { "content-type": "application/json" });
    res.end(JSON.stringify({ code: "BadAdminKey", message: BAD_ADMIN_KEY }));
    return true;
  }
  let body: Json;
  // ADMIN_PATHS holds the four paths: the last case is get_config_hashes.
  switch (pathname) {
    case "/api/deploy2/start_push": {
      const request = (await readPushBody(req)) as { componentDefinitions?: PushedDefinition[] };
      body = startPushResponse(await getTree(), await analyzePushedFunctions(request.componentDefinitions ?? []));
      break;
    }
    case "/api/deploy2/evaluate_push":
    case "/api/deploy2/evaluate_schema":
      await readPushBody(req);
      body = { schemaChange: { allocatedComponentIds: null, schemaIds: null } };
      break;
    default:
      await readPushBody(req);
      body = { config: { functions: "convex/", nodeVersion: undefined }, moduleHashes: [], nodeVersion: null };
  }
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
  return true;
}

/** The request's JSON (the CLI sends push requests brotli-compressed). */
async function readPushBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  let raw = Buffer.concat(chunks);
  const encoding = req.headers["content-encoding"];
  if (encoding === "br") raw = await promisify(brotliDecompress)(raw);
  else if (encoding === "gzip") raw = await promisify(gunzip)(raw);
  return raw.length === 0 ? {} : JSON.parse(raw.toString("utf8"));
}
