// Auth like `npx convex dev --local`: an admin key made at first start and required for
// admin access; JWTs refused when convex/auth.config.ts configures no provider, unless
// --insecure-auth (local-backend/adminKey.ts, auth.ts).
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import WebSocket from "ws";
import { describe, expect, test } from "vitest";
import { type Fixture, nodeClient, startFixture, unsignedJwt, useFixture } from "./helpers.js";

const { fx } = useFixture();

/** Raw sync socket: authenticate and return the server's first reply to it. */
async function authenticate(convexUrl: string, message: Record<string, unknown>): Promise<Record<string, unknown>> {
  const ws = new WebSocket(`${convexUrl.replace(/^http/, "ws")}/api/1.48.0/sync`);
  try {
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    const reply = new Promise<Record<string, unknown>>((resolve) =>
      ws.on("message", (data) => {
        const msg = JSON.parse(String(data)) as Record<string, unknown>;
        if (msg.type !== "Ping") resolve(msg);
      }),
    );
    ws.send(
      JSON.stringify({
        type: "Connect",
        sessionId: "00000000-0000-4000-8000-000000000000",
        connectionCount: 0,
        lastCloseReason: null,
      }),
    );
    ws.send(JSON.stringify({ type: "Authenticate", baseVersion: 0, ...message }));
    return await reply;
  } finally {
    ws.close();
  }
}

const deployApi = (key?: string) =>
  fetch(`${fx().backend.convexUrl}/api/deploy2/start_push`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Convex ${key}` } : {}) },
    body: "{}",
  });

describe("admin key", () => {
  test("is made at first start, kept in the data folder (owner-only) and the same after a restart", async () => {
    const file = path.join(fx().dataDir, "admin_key");
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, "utf8").trim()).toBe(fx().backend.adminKey);
    expect(statSync(file).mode & 0o077).toBe(0);
    const again = await startFixture({ dataDir: fx().dataDir });
    try {
      expect(again.backend.adminKey).toBe(fx().backend.adminKey);
    } finally {
      await again.backend.stop();
    }
  });

  test("Admin Authenticate with another key is refused", async () => {
    const reply = await authenticate(fx().backend.convexUrl, {
      tokenType: "Admin",
      value: "local-backend|guess",
      impersonating: { subject: "victim", issuer: "x" },
    });
    expect(reply).toMatchObject({ type: "AuthError", error: "The provided admin key was invalid for this instance" });
  });

  test("Admin Authenticate with the key may act as an identity", async () => {
    const reply = await authenticate(fx().backend.convexUrl, {
      tokenType: "Admin",
      value: fx().backend.adminKey,
      impersonating: { subject: "u1", issuer: "https://i" },
    });
    expect(reply).toMatchObject({ type: "Transition", endVersion: { identity: 1 } });
  });

  test("the admin endpoints codegen uses need the key", async () => {
    const refused = await deployApi();
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({
      code: "BadAdminKey",
      message: "The provided admin key was invalid for this instance",
    });
    expect((await deployApi("local-backend|guess")).status).toBe(401);
    const ok = await deployApi(fx().backend.adminKey);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toHaveProperty("app");
  });

  test("/api calls with admin auth (Authorization: Convex <key>) need the key", async () => {
    const query = (key: string) =>
      fetch(`${fx().backend.convexUrl}/api/query`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Convex ${key}` },
        body: JSON.stringify({ path: "notes:list", args: {}, format: "json" }),
      });
    const refused = await query("local-backend|guess");
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: "BadAdminKey" });
    expect(await (await query(fx().backend.adminKey)).json()).toMatchObject({ status: "success" });
  });
});

describe("JWTs without auth.config.ts", () => {
  test("are refused as a deployment refuses them", async () => {
    const reply = await authenticate(fx().backend.convexUrl, {
      tokenType: "User",
      value: unsignedJwt({ iss: "https://issuer.test", sub: "mallory" }),
    });
    expect(reply).toMatchObject({
      type: "AuthError",
      error: "No auth provider found matching the given token (no providers configured). Check convex/auth.config.ts.",
    });
  });

  test("setAuth reports the token as refused to the client", async () => {
    const client = nodeClient(fx().backend.convexUrl);
    try {
      const accepted = await new Promise<boolean>((resolve) =>
        client.setAuth(async () => unsignedJwt({ sub: "mallory" }), resolve),
      );
      expect(accepted).toBe(false);
    } finally {
      await client.close();
    }
  });

  test("with insecureAuth they are accepted unverified, with a loud warning", async () => {
    const writes: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      writes.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    let insecure: Fixture;
    try {
      insecure = await startFixture({ insecureAuth: true });
    } finally {
      process.stderr.write = write;
    }
    try {
      expect(writes.join("")).toContain("WARNING: --insecure-auth");
      const reply = await authenticate(insecure.backend.convexUrl, {
        tokenType: "User",
        value: unsignedJwt({ iss: "https://issuer.test", sub: "u2" }),
      });
      expect(reply).toMatchObject({ type: "Transition", endVersion: { identity: 1 } });
    } finally {
      await insecure.cleanup();
    }
  });
});
