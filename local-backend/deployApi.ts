// The two deployment-admin endpoints `npx convex codegen` calls. A real backend evaluates
// the pushed bundles; codegen only needs the component graph back (each definition's
// child components), which we read from convex.config.ts ourselves. Nothing is deployed:
// the local backend always runs the source in convex/ directly.
import type { IncomingMessage, ServerResponse } from "node:http";
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

export function startPushResponse(tree: ComponentTree): Json {
  const analysis: Json = {};
  for (const [definitionPath, def] of tree.definitions) {
    analysis[definitionPath] = {
      definition: { path: definitionPath, ...def },
      schema: null,
      functions: {},
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
  switch (pathname) {
    case "/api/get_config_hashes":
      body = { config: { functions: "convex/", nodeVersion: undefined }, moduleHashes: [], nodeVersion: null };
      break;
    case "/api/deploy2/start_push":
      body = startPushResponse(await getTree());
      break;
    case "/api/deploy2/evaluate_push":
    case "/api/deploy2/evaluate_schema":
      body = { schemaChange: { allocatedComponentIds: null, schemaIds: null } };
      break;
    default:
      return false;
  }
  // Drain the (possibly large, compressed) request body before answering.
  for await (const _chunk of req) void _chunk;
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
  return true;
}
