// The script-tag builds replace ConvexClient's AuthenticationManager with src/convex-no-auth.ts
// (vite.config.ts). This pins the contract: every method the installed ConvexClient calls on it
// exists on the stand-in, and the built chat script carries none of the real manager's code.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { expect, test } from "vitest";
import { AuthenticationManager } from "../../src/convex-no-auth.ts";
import { ROOT } from "./harness.ts";

const convexDir = dirname(createRequire(import.meta.url).resolve("convex/package.json"));

test("every method ConvexClient calls on its AuthenticationManager exists on the stand-in", () => {
  const client = readFileSync(join(convexDir, "dist/esm/browser/sync/client.js"), "utf8");
  const called = new Set([...client.matchAll(/this\.authenticationManager\.(\w+)\(/g)].map((m) => m[1]!));
  expect(called.size).toBeGreaterThan(0);
  for (const name of called)
    expect(typeof (AuthenticationManager.prototype as unknown as Record<string, unknown>)[name], name).toBe("function");
});

test("the built chat script has the stand-in, not the real manager's token refresh", () => {
  const chat = readFileSync(join(ROOT, "dist/ai-chat-stream.chat.js"), "utf8");
  expect(chat).toContain("does not support ConvexClient.setAuth");
  expect(chat).not.toContain("server confirmed auth token is valid");
});
