// A local component (test/local-backend/fixture-component/chat) used by a thin app, served as
// a deployment serves it: its HTTP routes under the app's httpPrefix mount, its own tables,
// scheduler and file storage, its nested components, only the variables bound to it, and no
// caller identity.
import { mkdirSync, rmSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { anyApi } from "convex/server";
import { ConvexHttpClient } from "convex/browser";
import { describe, expect, test } from "vitest";
import { runCodegen } from "../../local-backend/codegen.js";
import { startLocalBackend } from "../../local-backend/index.js";
import { FIXTURE_COMPONENT, fixtureProject, nodeClient, tempDir, unsignedJwt, useFixture } from "./helpers.js";

const api = anyApi;
const { fx, http: client } = useFixture({
  convexDir: path.join(FIXTURE_COMPONENT, "convex"),
  env: { CHAT_GREETING: "hello from the app", APP_ONLY: "the app's secret" },
  insecureAuth: true,
});
const site = () => fx().backend.siteUrl;
const get = async (p: string, init?: RequestInit) => {
  const res = await fetch(`${site()}${p}`, init);
  return { status: res.status, text: await res.text() };
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("HTTP routes of a mounted component", () => {
  test("a component route answers under the mount, with the full URL and the component's own data", async () => {
    await client().mutation(api.app.sendToChat, { text: "one" });
    const res = await get("/chat/hello?x=1");
    expect(res.status).toBe(200);
    const body = JSON.parse(res.text) as { from: string; url: string; messages: number };
    expect(body.from).toBe("chat");
    expect(body.url).toBe(`${site()}/chat/hello?x=1`);
    expect(body.messages).toBeGreaterThanOrEqual(1);
  });

  test("paths outside the mount and unknown paths inside it are 404", async () => {
    expect(await get("/hello")).toEqual({ status: 200, text: expect.stringContaining('"from":"app"') });
    // The component's route is not served at the site root.
    expect((await get("/messages", { method: "POST", body: "{}" })).status).toBe(404);
    expect(await get("/nowhere")).toEqual({ status: 404, text: "No matching routes found" });
    expect(await get("/chat/nowhere")).toEqual({ status: 404, text: "No matching routes found" });
    expect((await get("/chatty/hello")).status).toBe(404);
  });

  test("an exact app route inside the mount wins; else the longest prefix wins", async () => {
    expect(JSON.parse((await get("/chat/shadowed")).text).from).toBe("app exact");
    expect(JSON.parse((await get("/chat/files/app/a.txt")).text).from).toBe("app prefix");
    const chatPrefix = JSON.parse((await get("/chat/files/a.txt")).text) as { from: string; url: string };
    expect(chatPrefix).toEqual({ from: "chat prefix", url: `${site()}/chat/files/a.txt` });
  });

  test("a component route writes to the component's tables", async () => {
    const res = await fetch(`${site()}/chat/messages`, { method: "POST", body: JSON.stringify({ text: "via http" }) });
    expect(res.status).toBe(201);
    expect(await client().query(api.app.chatMessages, {})).toContainEqual({ text: "via http", via: "http" });
  });

  test("a component route sees no identity even when the request carries a valid token", async () => {
    const token = unsignedJwt({ sub: "visitor-1", iss: "https://issuer.test" });
    const res = await get("/chat/hello", { headers: { Authorization: `Bearer ${token}` } });
    expect(JSON.parse(res.text).identity).toBeNull();
  });
});

describe("component data", () => {
  test("the app's messages table and the component's are separate tables", async () => {
    await client().mutation(api.app.send, { body: "app only" });
    await client().mutation(api.app.sendToChat, { text: "chat only" });
    const appMessages = (await client().query(api.app.list, {})) as string[];
    const chatMessages = (await client().query(api.app.chatMessages, {})) as { text: string }[];
    expect(appMessages).toContain("app only");
    expect(appMessages).not.toContain("chat only");
    expect(chatMessages.map((m) => m.text)).toContain("chat only");
    expect(chatMessages.map((m) => m.text)).not.toContain("app only");
  });

  test("an app query's subscription, re-run after a write inside the component, is still the app's", async () => {
    // The re-run starts from the commit, inside the component function's async context; it must
    // not look `app:chatMessages` up among the component's modules.
    const watcher = nodeClient(fx().backend.convexUrl);
    const updates: unknown[] = [];
    const failed = new Promise<string>((resolve) =>
      watcher.onUpdate(
        api.app.chatMessages,
        {},
        (m) => updates.push(m),
        (e) => resolve(e.message),
      ),
    );
    await expect.poll(() => updates.length).toBe(1);
    // Written by the component's own HTTP action: the commit is the component's, at the top.
    const res = await fetch(`${site()}/chat/messages`, {
      method: "POST",
      body: JSON.stringify({ text: "after the first read" }),
    });
    expect(res.status).toBe(201);
    const outcome = await Promise.race([
      failed,
      expect
        .poll(() => JSON.stringify(updates.at(-1)), { timeout: 5_000 })
        .toContain("after the first read")
        .then(() => "updated"),
    ]);
    await watcher.close();
    expect(outcome).toBe("updated");
  });

  test("the component's scheduler runs its internal function in the component", async () => {
    await client().mutation(api.app.chatLater, { text: "scheduled", delayMs: 0 });
    for (let i = 0; i < 100; i++) {
      const messages = (await client().query(api.app.chatMessages, {})) as { text: string; via: string }[];
      if (messages.some((m) => m.text === "scheduled")) {
        expect(messages).toContainEqual({ text: "scheduled", via: "scheduler" });
        expect(await client().query(api.app.list, {})).not.toContain("scheduled");
        return;
      }
      await sleep(50);
    }
    throw new Error("the scheduled function never ran");
  });

  test("a file the component stored is the component's: the app's storage does not have it", async () => {
    const storageId = (await client().action(api.app.chatStore, { text: "component file" })) as string;
    expect(await client().action(api.app.chatRead, { storageId })).toBe("component file");
    expect(await client().action(api.app.appRead, { storageId })).toBeNull();
  });
});

describe("nested components", () => {
  test("the component's rate limiter (a component inside it) limits its calls", async () => {
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await client().mutation(api.app.chatLimited, { key: "k", text: `m${i}` }));
    expect(results).toEqual([true, true, false]);
    // Another key has its own window.
    expect(await client().mutation(api.app.chatLimited, { key: "other", text: "x" })).toBe(true);
  });

  test("a stream of the nested streaming component, written from a component route", async () => {
    const streamId = (await client().mutation(api.app.createStream, {})) as string;
    const res = await fetch(`${site()}/chat/stream`, {
      method: "POST",
      body: JSON.stringify({ streamId, chunks: ["Hel", "lo"] }),
    });
    expect(await res.text()).toBe("Hello");
    expect(await client().query(api.app.streamBody, { streamId })).toEqual({ text: "Hello", status: "done" });
  });
});

describe("what a deployment refuses in a component", () => {
  test("`.paginate()` inside a component function fails with the deployment's error; in the app it pages", async () => {
    const project = tempDir("local-backend-paginate-");
    symlinkSync(path.resolve("node_modules"), path.join(project, "node_modules"), "dir");
    const files: Record<string, string> = {
      "convex/convex.config.ts": `import { defineApp } from "convex/server";
        import pages from "../pages/convex.config";
        const app = defineApp();
        app.use(pages);
        export default app;`,
      "convex/schema.ts": `import { defineSchema, defineTable } from "convex/server";
        import { v } from "convex/values";
        export default defineSchema({ rows: defineTable({ n: v.number() }) });`,
      "convex/app.ts": `import { componentsGeneric, paginationOptsValidator, queryGeneric } from "convex/server";
        const components = componentsGeneric();
        export const ownPage = queryGeneric({
          args: { paginationOpts: paginationOptsValidator },
          handler: async (ctx, { paginationOpts }) => await ctx.db.query("rows").paginate(paginationOpts),
        });
        export const componentPage = queryGeneric({
          args: { paginationOpts: paginationOptsValidator },
          handler: async (ctx, args) => await ctx.runQuery(components.pages.rows.page, args),
        });`,
      "pages/convex.config.ts": `import { defineComponent } from "convex/server";
        export default defineComponent("pages");`,
      "pages/schema.ts": `import { defineSchema, defineTable } from "convex/server";
        import { v } from "convex/values";
        export default defineSchema({ rows: defineTable({ n: v.number() }) });`,
      "pages/rows.ts": `import { paginationOptsValidator, queryGeneric } from "convex/server";
        export const page = queryGeneric({
          args: { paginationOpts: paginationOptsValidator },
          handler: async (ctx, { paginationOpts }) => await ctx.db.query("rows").paginate(paginationOpts),
        });`,
    };
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(project, file)), { recursive: true });
      writeFileSync(path.join(project, file), text);
    }
    const backend = await startLocalBackend({
      port: 0,
      convexDir: path.join(project, "convex"),
      dataDir: path.join(project, "data"),
      quiet: true,
    });
    try {
      const http = new ConvexHttpClient(backend.convexUrl, { logger: false });
      const paginationOpts = { numItems: 10, cursor: null };
      expect(await http.query(api.app.ownPage, { paginationOpts })).toMatchObject({ page: [], isDone: true });
      await expect(http.query(api.app.componentPage, { paginationOpts })).rejects.toThrow(
        "paginate() is only supported in the app. Learn more at https://docs.convex.dev/components/authoring#pagination",
      );
    } finally {
      await backend.stop();
      rmSync(project, { recursive: true, force: true });
    }
  });
});

describe("component environment", () => {
  const expected = () => ({
    greeting: "hello from the app",
    mode: "test",
    appOnly: null,
    siteUrl: `${site()}/chat`,
    keys: ["CONVEX_CLOUD_URL", "CONVEX_SITE_URL", "GREETING", "MODE"],
  });

  test("a component's query sees its bound variables and the system ones, nothing of the app's", async () => {
    expect(await client().query(api.app.chatEnvInQuery, {})).toEqual(expected());
  });

  test("a component's action sees the same", async () => {
    expect(await client().action(api.app.chatEnvInAction, {})).toEqual(expected());
  });

  test("the app still sees its own variables and the site URL without the mount", async () => {
    expect(await client().query(api.app.appEnv, {})).toEqual({ appOnly: "the app's secret", siteUrl: site() });
  });

  test("a required variable the app does not bind stops the backend with the push's error", async () => {
    const project = fixtureProject(FIXTURE_COMPONENT);
    const dataDir = tempDir();
    try {
      const config = path.join(project, "convex", "convex.config.ts");
      writeFileSync(config, readFileSync(config, "utf8").replace(', MODE: "test"', ""));
      await expect(
        startLocalBackend({ port: 0, convexDir: path.join(project, "convex"), dataDir, quiet: true }),
      ).rejects.toThrow('Component "chat" is missing required env var "MODE"');
    } finally {
      rmSync(project, { recursive: true, force: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("identity", () => {
  test("a component's query called by an app query sees no identity while the app sees the caller", async () => {
    const signedIn = new ConvexHttpClient(fx().backend.convexUrl, { logger: false });
    signedIn.setAuth(unsignedJwt({ sub: "user-7", iss: "https://issuer.test" }));
    expect(await signedIn.query(api.app.identities, {})).toEqual({ app: "user-7", chat: null });
    expect(await signedIn.action(api.app.chatIdentityFromAction, {})).toBeNull();
  });
});

describe("codegen", () => {
  test("the stock CLI generates the component's typed _generated and the app's components.chat", async () => {
    const project = fixtureProject(FIXTURE_COMPONENT);
    try {
      for (const folder of ["convex", "chat"]) rmSync(path.join(project, folder, "_generated"), { recursive: true });
      expect(await runCodegen({ projectDir: project })).toBe(0);
      const read = (f: string) => readFileSync(path.join(project, f), "utf8");
      expect(read("convex/_generated/api.d.ts")).toContain(
        'chat: import("../../chat/_generated/component.js").ComponentApi<"chat">',
      );
      const componentApi = read("chat/_generated/component.ts");
      // Public functions, typed from their validators; internal ones are not exported.
      expect(componentApi).toMatch(
        /addLimited: FunctionReference<\s*"mutation",\s*"internal",\s*\{ key: string; text: string \},\s*boolean/,
      );
      expect(componentApi).not.toContain("addScheduled");
      expect(read("chat/_generated/server.ts")).toMatch(/readonly MODE: "test" \| "live"/);
      expect(read("chat/_generated/api.ts")).toContain("persistentTextStreaming");
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  }, 120_000);
});
