// The host's wrappers (convex/client.ts) against the component's own functions: the same
// arguments (less `identity`) and the same returns, and identity from the host's auth.
import { anyApi } from "convex/server";
import { describe, expect, test } from "vitest";
import { AiChat, authorizeFromJwt, PUBLIC_FUNCTIONS, type AiChatComponent } from "../../convex/client";
import * as threads from "../../convex/threads";
import * as messages from "../../convex/messages";
import * as streams from "../../convex/streams";
import * as operator from "../../convex/operator";
import * as config from "../../convex/config";
import * as chat from "../../convex/chat";
import * as feedback from "../../convex/feedback";
import { AI_CHAT_ENV } from "../../convex/lib/env";

const COMPONENT = { threads, messages, streams, operator, config, chat, feedback } as unknown as Record<
  string,
  Record<string, { exportArgs(): string; exportReturns(): string; isPublic?: boolean }>
>;

describe("AiChat wrappers", () => {
  const aiChat = new AiChat(anyApi as unknown as AiChatComponent);

  for (const [module, specs] of Object.entries(PUBLIC_FUNCTIONS)) {
    test(`${module}: one wrapper per public function, with its args (less identity) and returns`, () => {
      const wrappers = aiChat.module(module as keyof typeof PUBLIC_FUNCTIONS) as unknown as (typeof COMPONENT)[string];
      const publicNames = Object.entries(COMPONENT[module])
        .filter(([, f]) => f?.isPublic)
        .map(([name]) => name)
        .sort();
      expect(Object.keys(specs).sort()).toEqual(publicNames);
      for (const name of publicNames) {
        const args = JSON.parse(COMPONENT[module][name].exportArgs());
        const takesIdentity = "identity" in args.value;
        delete args.value.identity;
        expect(JSON.parse(wrappers[name].exportArgs()), `${module}:${name} args`).toEqual(args);
        expect(JSON.parse(wrappers[name].exportReturns()), `${module}:${name} returns`).toEqual(
          JSON.parse(COMPONENT[module][name].exportReturns()),
        );
        expect(specs[name as keyof typeof specs]["identity"], `${module}:${name} identity`).toBe(takesIdentity);
      }
    });
  }
});

describe("authorizeFromJwt", () => {
  const ctx = (identity: Record<string, unknown> | null) =>
    ({ auth: { getUserIdentity: async () => identity } }) as unknown as Parameters<typeof authorizeFromJwt>[0];

  test("nobody signed in is null", async () => {
    expect(await authorizeFromJwt(ctx(null))).toBeNull();
  });
  test("the token identifier is the user; role or roles `operator` makes an operator", async () => {
    const base = { tokenIdentifier: "https://issuer.test|alice", subject: "alice", issuer: "https://issuer.test" };
    expect(await authorizeFromJwt(ctx(base))).toEqual({ userId: base.tokenIdentifier, operator: false });
    expect(await authorizeFromJwt(ctx({ ...base, role: "operator" }))).toMatchObject({ operator: true });
    expect(await authorizeFromJwt(ctx({ ...base, roles: ["support", "operator"] }))).toMatchObject({ operator: true });
    expect(await authorizeFromJwt(ctx({ ...base, role: "user", roles: ["support"] }))).toMatchObject({
      operator: false,
    });
  });
});

describe("AI_CHAT_ENV", () => {
  test("declares every variable the component's functions read", () => {
    const sources = import.meta.glob("../../convex/**/*.ts", { query: "?raw", import: "default", eager: true });
    const read = new Set<string>();
    for (const [file, text] of Object.entries(sources as Record<string, string>)) {
      if (file.includes("_generated") || file.endsWith("lib/env.ts")) continue;
      const patterns = [
        /process\.env\.([A-Z][A-Z0-9_]+)/g,
        /env\.([A-Z][A-Z0-9_]+)/g,
        /(?:envInt|setting)\((?:env, )?"([A-Z][A-Z0-9_]+)"/g,
      ];
      for (const pattern of patterns) for (const m of text.matchAll(pattern)) read.add(m[1]);
    }
    expect(read.size).toBeGreaterThan(20);
    expect([...read].filter((name) => !(name in AI_CHAT_ENV))).toEqual([]);
  });
});
