// The host's wrappers (convex/client.ts) against the component's own functions: the same
// arguments (less `identity`) and the same returns, and identity from the host's auth.
import { anyApi, getFunctionName, makeFunctionReference, type FunctionReference } from "convex/server";
import { describe, expect, test, vi } from "vitest";
import {
  AiChat,
  authorizeFromJwt,
  PUBLIC_FUNCTIONS,
  singleModuleName,
  type AiChatComponent,
} from "../../convex/client";
import * as single from "../../convex/client.functions";
import * as hostApp from "../../examples/host-app/convex/aiChat";
import { functionsUnder, type ChatClient } from "../../src/convex-pool";
import * as threads from "../../convex/threads";
import * as messages from "../../convex/messages";
import * as streams from "../../convex/streams";
import * as operator from "../../convex/operator";
import * as config from "../../convex/config";
import * as chat from "../../convex/chat";
import * as feedback from "../../convex/feedback";
import * as handoff from "../../convex/handoff";
import { AI_CHAT_ENV } from "../../convex/lib/env";

const COMPONENT = { threads, messages, streams, operator, config, chat, handoff, feedback } as unknown as Record<
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

describe("ai-chat-stream/functions: every public function in one module", () => {
  const all = Object.entries(PUBLIC_FUNCTIONS).flatMap(([module, specs]) =>
    Object.keys(specs).map((fn) => ({ module, fn, name: singleModuleName(module, fn) })),
  );
  type Registered = { exportArgs(): string; exportReturns(): string; isQuery?: boolean; isPublic?: boolean };
  const exports = single as unknown as Record<string, Registered>;

  test("one public function per component function, with its wrapper's args and returns", () => {
    expect(Object.keys(single).sort()).toEqual(all.map((f) => f.name).sort());
    const aiChat = new AiChat(anyApi as unknown as AiChatComponent);
    for (const { module, fn, name } of all) {
      const wrapper = (aiChat.module(module as keyof typeof PUBLIC_FUNCTIONS) as unknown as Record<string, Registered>)[
        fn
      ];
      expect(exports[name].isPublic, name).toBe(true);
      expect(Boolean(exports[name].isQuery), name).toBe(Boolean(wrapper.isQuery));
      expect(exports[name].exportArgs(), name).toBe(wrapper.exportArgs());
      expect(exports[name].exportReturns(), name).toBe(wrapper.exportReturns());
    }
  });

  test('the widget\'s functions-path="aiChat:" calls each by that name', async () => {
    const called: string[] = [];
    const record = async (f: FunctionReference<"query" | "mutation">) => void called.push(getFunctionName(f));
    const client = functionsUnder({ query: record, mutation: record } as unknown as ChatClient, "aiChat:");
    for (const { module, fn } of all) await client.query(makeFunctionReference<"query">(`${module}:${fn}`), {});
    expect(called).toEqual(all.map((f) => `aiChat:${f.name}`));
  });

  test("the example host app's one line re-exports every one", () => {
    for (const { name } of all) expect((hostApp as Record<string, unknown>)[name], name).toBe(exports[name]);
  });

  test("they forward through the app's one AiChat, with its authorize; with none or two they refuse", async () => {
    vi.resetModules();
    const client = await import("../../convex/client");
    const fresh = (await import("../../convex/client.functions")) as unknown as Record<
      string,
      { _handler(ctx: unknown, args: unknown): Promise<unknown> }
    >;
    const runQuery = vi.fn(async (_ref: unknown, args: unknown) => args);
    const ctx = { runQuery, runMutation: runQuery, auth: { getUserIdentity: async () => null } };
    const args = { threadId: "t1" };
    await expect(fresh.threadsGet._handler(ctx, args)).rejects.toThrow(/one AiChat; it built 0/);
    new client.AiChat(anyApi as unknown as AiChatComponent, {
      authorize: async () => ({ userId: "u1", operator: false }),
    });
    expect(await fresh.threadsGet._handler(ctx, args)).toEqual({
      ...args,
      identity: { userId: "u1", operator: false },
    });
    expect(getFunctionName(runQuery.mock.calls[0][0] as FunctionReference<"query">)).toBe("threads:get");
    new client.AiChat(anyApi as unknown as AiChatComponent);
    await expect(fresh.threadsGet._handler(ctx, args)).rejects.toThrow(/it built 2/);
  });
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
