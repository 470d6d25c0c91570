// The two HTTP servers.
//
// Deployment URL (BACKEND_PORT, 3210): the sync WebSocket, the HTTP API ConvexHttpClient
// uses (POST /api/query|mutation|action|function, /api/query_ts), and the admin endpoints
// codegen needs. Site URL (BACKEND_PORT + 1): the app's HTTP actions (convex/http.ts). All
// methods, OPTIONS included, go to the app's router, so CORS is whatever the app's routes
// answer. Response bodies are written chunk by chunk as the action produces them. File
// storage's upload and download endpoints are on the deployment URL, as on a deployment.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { Readable } from "node:stream";
import { WebSocketServer } from "ws";
import { convexToJson, jsonToConvex, type JSONValue, type Value } from "convex/values";
import { ActionExecution } from "./actionRuntime.js";
import { TooManyConcurrentRequests } from "./concurrency.js";
import { adminKeyFromHeader, BAD_ADMIN_KEY } from "./adminKey.js";
import type { AuthVerifier } from "./auth.js";
import { handleDeployApi } from "./deployApi.js";
import { handleConflictReport } from "./conflicts.js";
import type { LocalOnlyPolicy } from "./localOnly.js";
import { encodeTs, SyncConnection, type ConnectionStats } from "./sync.js";
import { errorDataField, normalizeUdfPath, type Engine, type Identity, type UdfType } from "./engine.js";

// Must match the constant in convex/browser's http_client: "the function failed".
const STATUS_CODE_UDF_FAILED = 560;
const MAX_BODY_BYTES = 16 * 1024 * 1024;

const API_CORS = {
  "access-control-allow-headers": "Content-Type, Authorization, Convex-Client",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  vary: "Origin",
};

type Log = (level: "log" | "error", line: string) => void;

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error("request body too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Identity from `Authorization: Bearer <jwt>`; a bearer value that is not a JWT means none.
 * On the deployment URL (`strict`), `Authorization: Convex <key>` must carry the admin key.
 */
async function identityFromHeader(
  auth: AuthVerifier,
  header: string | undefined,
  strict: boolean,
): Promise<Identity | null> {
  const adminKey = adminKeyFromHeader(header);
  if (strict && adminKey !== null) {
    auth.checkAdminKey(adminKey);
    return null;
  }
  const m = header ? /^Bearer\s+(.+)$/i.exec(header) : null;
  if (!m) return null;
  const token = m[1].trim();
  // Site routes often use bearer tokens of their own (not JWTs): leave those to the app.
  if (!strict && token.split(".").length !== 3) return null;
  try {
    return await auth.identify(token);
  } catch (e) {
    if (strict) throw e;
    return null;
  }
}

export function createDeploymentServer(opts: {
  engine: Engine;
  auth: AuthVerifier;
  log: Log;
  connections: Set<SyncConnection>;
  /** Every connection's stats, kept after it closes (benchmarks read them at the end). */
  allStats: ConnectionStats[];
  policy: LocalOnlyPolicy;
}): Server {
  const { engine, auth, log, connections, allStats, policy } = opts;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  const port = () => (server.address() as AddressInfo).port;
  const server = createServer((req, res) => {
    const refused = policy.refuseDeployment(req, port());
    if (refused) {
      req.resume();
      json(res, 403, { code: "Forbidden", message: refused });
      return;
    }
    // Allowed origins only (localOnly.ts), each answered with its own origin.
    for (const [k, v] of Object.entries(API_CORS)) res.setHeader(k, v);
    if (req.headers.origin) res.setHeader("access-control-allow-origin", req.headers.origin);
    handleApi(req, res).catch((e: unknown) => {
      log("error", `${req.method} ${req.url} failed: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent)
        json(res, 500, { code: "InternalServerError", message: e instanceof Error ? e.message : String(e) });
      else res.destroy();
    });
  });

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refused = policy.refuseDeployment(req, port());
    if (refused) {
      log("error", `refused a sync connection: ${refused}`);
      socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    const { pathname } = new URL(req.url ?? "/", "http://localhost");
    if (!/^\/api\/[^/]+\/sync$/.test(pathname)) {
      socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new SyncConnection(ws, engine, auth, log);
      connections.add(conn);
      allStats.push(conn.stats);
      ws.on("close", () => connections.delete(conn));
    });
  });

  async function handleApi(req: IncomingMessage, res: ServerResponse) {
    const { pathname } = new URL(req.url ?? "/", "http://localhost");
    if (req.method === "OPTIONS") {
      res.writeHead(204);
      res.end();
      return;
    }
    if (await handleDeployApi(req, res, pathname, async () => engine.tree, auth.adminKey)) return;
    if (handleConflictReport(req, res, pathname, engine.conflicts, auth.adminKey)) return;
    if (req.method === "GET" && (pathname === "/version" || pathname === "/instance_version")) {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("local-backend");
      return;
    }
    // File storage (storage.ts): uploads to generateUploadUrl's URL, downloads from getUrl's.
    const storage = engine.scope.storage;
    if (storage && req.method === "POST" && pathname === "/api/storage/upload") {
      await storage.upload(req, res, new URL(req.url ?? "/", "http://localhost").searchParams.get("token"));
      return;
    }
    const fileKey = /^\/api\/storage\/([^/]+)$/.exec(pathname)?.[1];
    if (storage && fileKey && (req.method === "GET" || req.method === "HEAD")) {
      storage.download(req, res, decodeURIComponent(fileKey));
      return;
    }
    if (req.method === "POST" && pathname === "/api/query_ts") {
      await readBody(req);
      json(res, 200, { ts: encodeTs(engine.ts) });
      return;
    }
    const kind = /^\/api\/(query|query_at_ts|mutation|action|function|run)$/.exec(pathname)?.[1];
    if (req.method !== "POST" || !kind) {
      json(res, 404, { code: "NotFound", message: `${req.method} ${pathname} is not served by the local backend` });
      return;
    }
    let body: { path?: string; args?: JSONValue; componentPath?: string };
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      json(res, 400, { code: "BadJsonBody", message: "request body is not JSON" });
      return;
    }
    const udfPath = String(body.path ?? "");
    let identity: Identity | null;
    try {
      identity = await identityFromHeader(auth, req.headers.authorization, true);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      json(res, 401, { code: message === BAD_ADMIN_KEY ? "BadAdminKey" : "Unauthenticated", message });
      return;
    }
    let type: UdfType;
    if (kind === "function" || kind === "run") {
      const f = engine.functions.get(normalizeUdfPath(udfPath));
      type = f && f.type !== "httpAction" ? f.type : "query";
    } else {
      type = kind === "query_at_ts" ? "query" : (kind as UdfType);
    }
    const rawArgs = Array.isArray(body.args) ? (body.args[0] ?? {}) : (body.args ?? {});
    const args = jsonToConvex(rawArgs as JSONValue) as Record<string, Value>;
    const denied = engine.checkPublic(udfPath, type);
    if (denied) {
      json(res, STATUS_CODE_UDF_FAILED, { status: "error", errorMessage: denied, logLines: [] });
      return;
    }
    const r = await engine.call(type, udfPath, args, identity);
    if (!r.ok && "rateLimited" in r) {
      // Refused before it ran, as a deployment's HTTP API answers ErrorMetadata::rate_limited.
      json(res, 429, { code: "TooManyConcurrentRequests", message: r.message });
      return;
    }
    if (r.ok) {
      json(res, 200, { status: "success", value: convexToJson(r.value), logLines: r.logLines });
    } else {
      json(res, STATUS_CODE_UDF_FAILED, {
        status: "error",
        errorMessage: r.message,
        logLines: r.logLines,
        ...errorDataField(r.errorData),
      });
    }
  }

  server.on("close", () => wss.close());
  return keepIdleConnections(server);
}

/**
 * Idle keep-alive connections stay open 75 s, as a deployment's edge keeps them (at least a
 * minute), not Node's default 5 s: a visitor who pauses between messages reuses the connection
 * instead of paying a new TCP + TLS handshake before each POST. The header timeout must be longer.
 */
export const IDLE_CONNECTION_MS = 75_000;
function keepIdleConnections(server: Server): Server {
  server.keepAliveTimeout = IDLE_CONNECTION_MS;
  server.headersTimeout = IDLE_CONNECTION_MS + 1_000;
  return server;
}

export function createSiteServer(opts: {
  engine: Engine;
  auth: AuthVerifier;
  log: Log;
  policy: LocalOnlyPolicy;
}): Server {
  const { engine, auth, log, policy } = opts;
  const server = createServer((req, res) => {
    // Like a .convex.site: any origin (the app's CORS decides), but only this address as Host.
    if (!policy.hostAllowed(req, (server.address() as AddressInfo).port)) {
      req.resume();
      res.writeHead(403, { "content-type": "text/plain" });
      res.end(`Host ${JSON.stringify(req.headers.host ?? "")} is not this local backend's address`);
      return;
    }
    serve(req, res).catch((e: unknown) => {
      log("error", `HTTP action ${req.method} ${req.url} failed: ${e instanceof Error ? e.message : String(e)}`);
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end("Internal server error");
      } else {
        res.destroy();
      }
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse) {
    // Small writes must leave at once: no Nagle delay on streamed bodies.
    req.socket.setNoDelay(true);
    const host = req.headers.host ?? `127.0.0.1:${(server.address() as { port: number }).port}`;
    const realUrl = `http://${host}${req.url ?? "/"}`;
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined) continue;
      for (const value of Array.isArray(v) ? v : [v]) headers.append(k, value);
    }
    // As a deployment's edge proxy does: the address the socket saw, appended to whatever
    // X-Forwarded-For the client sent (an appending proxy is the less trusting case: the entries
    // before it are the client's own). convex/lib/clientAddress.ts reads it.
    const peer = req.socket.remoteAddress;
    if (peer) {
      const sent = headers.get("x-forwarded-for");
      headers.set("x-forwarded-for", sent ? `${sent}, ${peer}` : peer);
    }
    // As on a deployment (action/mod.rs signal_http_action_abort, handle_http_streamed_part):
    // a client that goes away aborts request.signal, and whatever the action still writes
    // to the body is read and dropped, so its writes neither fail nor block.
    const abort = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) abort.abort();
    });
    const method = req.method ?? "GET";
    const hasBody = method !== "GET" && method !== "HEAD";
    const init: RequestInit & { duplex?: string } = {
      method,
      headers,
      signal: abort.signal,
      ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream, duplex: "half" } : {}),
    };
    const identity = await identityFromHeader(auth, req.headers.authorization, false);
    // The action's JavaScript runs until its response body has ended; then what it left
    // running is cut off (actionRuntime.ts).
    const execution = new ActionExecution();
    // A slot until the body has ended (concurrency.ts): a streamed reply holds one all along.
    let release: () => void = () => {};
    try {
      if (engine.scope.concurrency) release = await engine.scope.concurrency.acquire("httpAction");
    } catch (e) {
      if (!(e instanceof TooManyConcurrentRequests)) throw e;
      req.resume();
      res.writeHead(429, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: e.code, message: e.message }));
      return;
    }
    try {
      const response = await engine.fetch(init, realUrl, identity, execution);
      await sendResponse(res, response, method, execution);
    } finally {
      execution.end("the response body ended");
      release();
    }
  }

  return keepIdleConnections(server);
}

async function sendResponse(res: ServerResponse, response: Response, method: string, execution: ActionExecution) {
  const outHeaders: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    if (key === "set-cookie") return;
    outHeaders[key] = value;
  });
  const cookies = response.headers.getSetCookie?.() ?? [];
  if (cookies.length > 0) outHeaders["set-cookie"] = cookies;
  res.writeHead(response.status, response.statusText, outHeaders);
  if (!response.body || method === "HEAD") {
    res.end();
    return;
  }
  // Send headers now, then every chunk the moment the action produces it.
  res.flushHeaders();
  const reader = response.body.getReader();
  // The time limit or a kill ends the execution while the body may still be open: stop reading
  // (the pending read then ends). Not a race per chunk: each would leave a reaction on `ended`
  // until the body ends, hundreds per streamed reply.
  void execution.ended.then(() => {
    if (execution.killed) reader.cancel().catch(() => {});
  });
  for (;;) {
    const { done, value } = await reader.read();
    if (done || execution.killed) break;
    if (!res.destroyed) res.write(value);
  }
  if (execution.killed) {
    // Timed out or killed mid-body: the client sees the body break off, as when a deployment kills the action.
    await reader.cancel().catch(() => {});
    res.destroy();
  } else if (!res.destroyed) {
    res.end();
  }
}
