// The script-tag builds replace two parts of ConvexClient neither element uses (vite.config.ts):
// its AuthenticationManager and JWT decoder with src/convex-no-auth.ts, and its
// PaginatedQueryClient with src/convex-no-pagination.ts. This pins the contract: every method the
// installed ConvexClient calls on them exists on the stand-ins, and the built chat script carries
// none of the real code.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { expect, test } from "vitest";
import { AuthenticationManager } from "../../src/convex-no-auth.ts";
import { PaginatedQueryClient } from "../../src/convex-no-pagination.ts";
import { ROOT } from "./harness.ts";

const convexDir = dirname(createRequire(import.meta.url).resolve("convex/package.json"));
const convexFile = (path: string) => readFileSync(join(convexDir, "dist/esm/browser", path), "utf8");
const calledOn = (code: string, receiver: RegExp) =>
  new Set([...code.matchAll(new RegExp(`${receiver.source}\\.(\\w+)\\(`, "g"))].map((m) => m[1]!));
const chat = () => readFileSync(join(ROOT, "dist/ai-chat-stream.chat.js"), "utf8");

test("every method ConvexClient calls on its AuthenticationManager exists on the stand-in", () => {
  const called = calledOn(convexFile("sync/client.js"), /this\.authenticationManager/);
  expect(called.size).toBeGreaterThan(0);
  for (const name of called)
    expect(typeof (AuthenticationManager.prototype as unknown as Record<string, unknown>)[name], name).toBe("function");
});

test("every method ConvexClient calls on its PaginatedQueryClient exists on the stand-in", () => {
  const called = calledOn(convexFile("simple_client.js"), /this\.paginatedClient/);
  expect(called.size).toBeGreaterThan(0);
  for (const name of called)
    expect(typeof (PaginatedQueryClient.prototype as unknown as Record<string, unknown>)[name], name).toBe("function");
});

test("ConvexClient decodes a JWT only for a user's token, which the stand-in never sets", () => {
  const client = convexFile("sync/client.js");
  expect([...client.matchAll(/jwtDecode\(/g)]).toHaveLength(1);
  expect(client).toMatch(/authToken\.tokenType === "User"\) \{\s*try \{\s*decoded = authToken \? jwtDecode\(/);
});

test("the built chat script has the stand-ins, not the real token refresh or page splitting", () => {
  expect(chat()).toContain("does not support ConvexClient.setAuth");
  expect(chat()).not.toContain("server confirmed auth token is valid");
  expect(chat()).toContain("does not support ConvexClient.onPaginatedUpdate_experimental");
  expect(chat()).not.toContain("processPaginatedQuerySplits");
});
