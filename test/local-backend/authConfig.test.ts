// The standalone app's auth.config.ts (app/) on the local backend, evaluated as a deployment evaluates it: providers
// from the deployment's environment, an identity provider (OIDC discovery + JWKS) served on
// 127.0.0.1, and tokens signed with jose. A signed token with the operator role reads operator
// functions; unsigned, foreign-key and foreign-issuer tokens are refused; with no provider
// variables set, the file changes nothing (every JWT refused, as with no file).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { anyApi } from "convex/server";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { startLocalBackend, type LocalBackend } from "../../local-backend/index.js";
import { nodeClient, tempDir, unsignedJwt } from "./helpers.js";

const CONVEX = fileURLToPath(new URL("../../app", import.meta.url));
const api = anyApi;
const AUDIENCE = "ai-chat-stream-test";

type Issuer = {
  url: string;
  sign(claims: Record<string, unknown>, audience?: string): Promise<string>;
  close(): Promise<void>;
};

/** An OIDC issuer on 127.0.0.1: discovery document, JWKS, and a signing key. */
async function startIssuer(): Promise<Issuer> {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  const server: Server = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.url === "/.well-known/openid-configuration")
      res.end(JSON.stringify({ issuer: url, jwks_uri: `${url}/jwks` }));
    else if (req.url === "/jwks") res.end(JSON.stringify({ keys: [jwk] }));
    else res.writeHead(404).end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    sign: (claims, audience = AUDIENCE) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid: "k1", typ: "JWT" })
        .setIssuer(url)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime("1h")
        .sign(privateKey),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Whether the backend accepts `token` for setAuth, and what operator:listThreads answers then. */
async function asOperator(backend: LocalBackend, token: string): Promise<{ accepted: boolean; threads: unknown }> {
  const client = nodeClient(backend.convexUrl);
  try {
    const accepted = await new Promise<boolean>((resolve) => client.setAuth(async () => token, resolve));
    const threads = await client
      .query(api.operator.listThreads, { paginationOpts: { numItems: 10, cursor: null } })
      .catch((e: Error) => e.message);
    return { accepted, threads };
  } finally {
    await client.close();
  }
}

let issuer: Issuer;
let stranger: Issuer;
const dirs: string[] = [];
const backends: LocalBackend[] = [];
async function start(env: Record<string, string>, convexDir = CONVEX): Promise<LocalBackend> {
  const dataDir = tempDir();
  dirs.push(dataDir);
  const backend = await startLocalBackend({ port: 0, convexDir, dataDir, env, quiet: true });
  backends.push(backend);
  return backend;
}

beforeAll(async () => {
  issuer = await startIssuer();
  stranger = await startIssuer();
});
afterAll(async () => {
  for (const b of backends) await b.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await issuer?.close();
  await stranger?.close();
});

describe("convex/auth.config.ts with an OIDC provider (AUTH_ISSUER_URL, AUTH_APPLICATION_ID)", () => {
  let backend: LocalBackend;
  beforeAll(async () => {
    backend = await start({ AUTH_ISSUER_URL: issuer.url, AUTH_APPLICATION_ID: AUDIENCE });
  });

  test("a signed token with the operator role reads operator functions", async () => {
    const result = await asOperator(backend, await issuer.sign({ sub: "op-1", role: "operator" }));
    expect(result.accepted).toBe(true);
    expect(result.threads).toMatchObject({ page: [], isDone: true });
  });

  test("a query subscribed right after setAuth runs as that identity, as a deployment orders the messages", async () => {
    // As a page does: setAuth, then at once a subscription (the console's list); the token is
    // still being verified against the issuer's JWKS when the query arrives.
    const client = nodeClient(backend.convexUrl);
    const token = await issuer.sign({ sub: "op-4", role: "operator" });
    client.setAuth(async () => token);
    const first = await new Promise<unknown>((resolve) =>
      client.onUpdate(api.operator.listThreads, { paginationOpts: { numItems: 10, cursor: null } }, resolve, (e) =>
        resolve(e.message),
      ),
    );
    await client.close();
    expect(first).toMatchObject({ page: [], isDone: true });
  });

  test("queries in the same burst as an Authenticate run as its identity, even with a pass already waiting", async () => {
    // The frames a ConvexClient sends when its socket opens before setAuth's token is ready:
    // an empty ModifyQuerySet on open, then Authenticate and the query once the token arrives.
    // Written in one TCP write, the backend reads all four in one tick, so the pass started by
    // the first frame is still waiting when the Authenticate arrives.
    const ws = new WebSocket(`${backend.convexUrl.replace(/^http/, "ws")}/api/1.48.0/sync`);
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const firstResult = new Promise<Record<string, unknown>>((resolve) =>
      ws.on("message", (data) => {
        const msg = JSON.parse(data.toString()) as { type: string; modifications?: Record<string, unknown>[] };
        const result = msg.modifications?.find((m) => m.queryId === 0);
        if (result) resolve(result);
      }),
    );
    const token = await issuer.sign({ sub: "op-5", role: "operator" });
    const args = [{ paginationOpts: { numItems: 10, cursor: null } }];
    // ws has no public handle on its socket; corking it is what makes the four frames one write.
    const socket = (ws as unknown as { _socket: { cork(): void; uncork(): void } })._socket;
    socket.cork();
    ws.send(
      JSON.stringify({ type: "Connect", sessionId: "burst", connectionCount: 0, lastCloseReason: "InitialConnect" }),
    );
    ws.send(JSON.stringify({ type: "ModifyQuerySet", baseVersion: 0, newVersion: 1, modifications: [] }));
    ws.send(JSON.stringify({ type: "Authenticate", baseVersion: 0, tokenType: "User", value: token }));
    ws.send(
      JSON.stringify({
        type: "ModifyQuerySet",
        baseVersion: 1,
        newVersion: 2,
        modifications: [{ type: "Add", queryId: 0, udfPath: "operator:listThreads", args }],
      }),
    );
    socket.uncork();
    const result = await firstResult;
    ws.close();
    expect(result).toMatchObject({ type: "QueryUpdated", value: { page: [], isDone: true } });
  });

  test("a signed token without the role is accepted but is not an operator", async () => {
    const result = await asOperator(backend, await issuer.sign({ sub: "visitor-1" }));
    expect(result.accepted).toBe(true);
    expect(result.threads).toContain("You do not have access to this chat.");
  });

  test("unsigned, foreign-key and foreign-issuer tokens are refused", async () => {
    const forged = await stranger.sign({ sub: "op-1", role: "operator" }); // another issuer's key and iss
    const wrongKey = forged.replace(
      /^[^.]+\.[^.]+/,
      (await issuer.sign({ sub: "op-1", role: "operator" })).split(".").slice(0, 2).join("."),
    );
    for (const token of [
      unsignedJwt({ iss: issuer.url, aud: AUDIENCE, sub: "op-1", role: "operator" }),
      forged,
      wrongKey,
    ]) {
      const result = await asOperator(backend, token);
      expect(result.accepted).toBe(false);
      expect(result.threads).toContain("You do not have access to this chat.");
    }
  });

  test("a token for another application (aud) is refused", async () => {
    const result = await asOperator(backend, await issuer.sign({ sub: "op-1", role: "operator" }, "another-app"));
    expect(result.accepted).toBe(false);
  });
});

test("a custom JWT provider (AUTH_JWT_ISSUER, AUTH_JWKS_URL) verifies against its JWKS", async () => {
  const backend = await start({ AUTH_JWT_ISSUER: issuer.url, AUTH_JWKS_URL: `${issuer.url}/jwks` });
  expect((await asOperator(backend, await issuer.sign({ sub: "op-2", role: "operator" }))).accepted).toBe(true);
  expect((await asOperator(backend, await stranger.sign({ sub: "op-2", role: "operator" }))).accepted).toBe(false);
});

test("with no provider variables set, it changes nothing: JWTs are refused as with no auth.config.ts", async () => {
  const backend = await start({});
  expect((await asOperator(backend, await issuer.sign({ sub: "op-3", role: "operator" }))).accepted).toBe(false);
});

test("reading an unset variable in auth.config.ts fails as a deployment's push fails", async () => {
  const dir = tempDir();
  dirs.push(dir);
  const convexDir = path.join(dir, "convex");
  mkdirSync(convexDir);
  writeFileSync(
    path.join(convexDir, "auth.config.ts"),
    `export default { providers: [{ domain: process.env.NOT_SET_ANYWHERE, applicationID: "x" }] };\n`,
  );
  await expect(start({}, convexDir)).rejects.toThrow(
    "convex/auth.config.ts: Environment variable NOT_SET_ANYWHERE is used in auth config file but its value was not set",
  );
});
