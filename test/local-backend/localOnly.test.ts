// Only this machine's pages reach the deployment surfaces, and only requests addressed to
// the backend's own address are served (DNS rebinding) (local-backend/localOnly.ts).
import http from "node:http";
import WebSocket from "ws";
import { describe, expect, test } from "vitest";
import { useFixture } from "./helpers.js";

const { fx } = useFixture({ allowedOrigins: ["https://app.example"] });

function query(headers: Record<string, string>) {
  return fetch(`${fx().backend.convexUrl}/api/query`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ path: "notes:list", args: {}, format: "json" }),
  });
}

function openSocket(origin?: string): Promise<"open" | string> {
  const ws = new WebSocket(
    `${fx().backend.convexUrl.replace(/^http/, "ws")}/api/1.48.0/sync`,
    origin ? { origin } : {},
  );
  return new Promise((resolve) => {
    ws.once("open", () => {
      ws.close();
      resolve("open");
    });
    ws.once("error", (e) => resolve(e.message));
  });
}

/** A raw request with a chosen Host header (fetch does not let us set it). */
function withHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "GET", headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("deployment URL (/api and sync)", () => {
  test("a page on another origin is refused", async () => {
    const res = await query({ origin: "https://evil.example" });
    expect(res.status).toBe(403);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(await openSocket("https://evil.example")).toMatch(/403/);
  });

  test("loopback origins and clients without an Origin are served", async () => {
    const res = await query({ origin: "http://127.0.0.1:5173" });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("http://127.0.0.1:5173");
    expect((await query({})).status).toBe(200);
    expect(await openSocket("http://localhost:5173")).toBe("open");
    expect(await openSocket()).toBe("open");
  });

  test("an origin given with --allow-origin is served", async () => {
    expect((await query({ origin: "https://app.example" })).status).toBe(200);
    expect(await openSocket("https://app.example")).toBe("open");
  });

  test("a request whose Host is not the backend's address is refused (DNS rebinding)", async () => {
    const port = new URL(fx().backend.convexUrl).port;
    expect(await withHost(`${fx().backend.convexUrl}/version`, `rebound.example:${port}`)).toBe(403);
    expect(await withHost(`${fx().backend.convexUrl}/version`, `localhost:${port}`)).toBe(200);
  });
});

describe("site URL (HTTP actions)", () => {
  test("serves any origin, as a .convex.site does (the app's CORS decides)", async () => {
    const res = await fetch(`${fx().backend.siteUrl}/url`, { headers: { origin: "https://evil.example" } });
    expect(res.status).toBe(200);
  });

  test("refuses a Host that is not its address (DNS rebinding)", async () => {
    const port = new URL(fx().backend.siteUrl).port;
    expect(await withHost(`${fx().backend.siteUrl}/url`, `rebound.example:${port}`)).toBe(403);
    expect(await withHost(`${fx().backend.siteUrl}/url`, `127.0.0.1:${port}`)).toBe(200);
  });
});
