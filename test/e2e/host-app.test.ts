// examples/host-app: an existing Convex app (its own `users` and `messages` tables, its own
// signed-in users through its JWT issuer) that adds the chat component in a few lines, on the
// local backend, driven in Chromium. A visitor's widget chats through the component's routes
// under /chat/ and the host's one `aiChat` module (functions-path="aiChat:"); the host's own
// tables stay its own; a signed-in member owns the threads they create; the host's admin, signed
// in to the host app, is the chat's operator and sees the visitor's thread in the console with no
// operator secret; a member's console stays signed out.
import { build } from "esbuild";
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startLocalBackend, type LocalBackend } from "../../local-backend/index.ts";
import { CHROME_ARGS, findChrome } from "../../scripts/find-chrome.mjs";
import { ROOT } from "./harness.ts";
import { collapse, sendPrompt, visibleReplies, waitForEnd } from "./helpers.ts";
import { SHORT_REPLY, startProvider } from "./provider.ts";

const HOST_APP = join(ROOT, "examples/host-app/convex");
const ISSUER = "https://auth.host-app.test";
const api = anyApi;

let backend: LocalBackend;
let provider: Awaited<ReturnType<typeof startProvider>>;
let shop: Awaited<ReturnType<typeof startSite>>;
let browser: Browser;
let dataDir: string;
let sign: (subject: string) => Promise<string>;
const clients: ConvexClient[] = [];

/** A ConvexClient signed in as `subject` through the host's issuer (none: signed out). */
async function client(subject?: string): Promise<ConvexClient> {
  const c = new ConvexClient(backend.convexUrl, {
    webSocketConstructor: WebSocket as unknown as typeof globalThis.WebSocket,
    logger: false,
  });
  clients.push(c);
  if (subject !== undefined) {
    const token = await sign(subject);
    const accepted = await new Promise<boolean>((resolve) => c.setAuth(async () => token, resolve));
    expect(accepted).toBe(true);
  }
  return c;
}

/** The attributes a host page gives the elements: its deployment, the /chat/ mount, its one module. */
const attributes = () =>
  `convex-url="${backend.convexUrl}" site-url="${backend.siteUrl}/chat" functions-path="aiChat:"`;

/** The host's site: its pages (path -> HTML or script) and the widget's script-tag files under /dist/. */
const site = new Map<string, { type: string; body: string }>();
async function startSite(): Promise<{ origin: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const file = site.get(path) ?? (path.startsWith("/dist/") ? readDist(path) : undefined);
    if (!file) return void res.writeHead(404).end("not found");
    res.writeHead(200, { "content-type": file.type }).end(file.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
const readDist = (path: string) => {
  const file = join(ROOT, "dist", basename(path));
  return existsSync(file) ? { type: "text/javascript", body: readFileSync(file, "utf8") } : undefined;
};

/** Opens a page of the host's site at `path`, with `body`; `head` holds its scripts. */
async function hostPage(path: string, head: string, body: string): Promise<Page> {
  site.set(path, {
    type: "text/html",
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>${head}</head><body>${body}</body></html>`,
  });
  const context = await browser.newContext();
  await context.addInitScript({ path: join(ROOT, "test/e2e/pages/record.js") });
  const page = await context.newPage();
  page.on("dialog", (d) => {
    throw new Error(`Unexpected ${d.type()} dialog: ${d.message()}`);
  });
  await page.goto(shop.origin + path);
  return page;
}

/**
 * The host's signed-in page: its own sign-in's token (here a JWT from its issuer) given to the
 * elements' shared client through `setClientFactory`, then the console, from the ES build.
 */
async function signedInConsole(subject: string): Promise<Page> {
  const token = JSON.stringify(await sign(subject));
  return hostPage(
    `/admin-${subject}`,
    `<script>window.hostToken = ${token};</script><script type="module" src="/signed-in.js"></script>`,
    `<ai-chat-console ${attributes()}></ai-chat-console>`,
  );
}

beforeAll(async () => {
  if (!existsSync(join(ROOT, "dist/ai-chat-console.js")))
    throw new Error("dist/ is missing: run `npm run build` first (npm test does).");
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" }] };
  sign = (subject) =>
    new SignJWT({})
      .setProtectedHeader({ alg: "RS256", kid: "k1", typ: "JWT" })
      .setIssuer(ISSUER)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(privateKey);
  dataDir = mkdtempSync(join(tmpdir(), "host-app-"));
  provider = await startProvider();
  const bundled = build({
    stdin: {
      contents: `
        import { ConvexClient } from "convex/browser";
        import { setClientFactory } from "./dist/ai-chat-stream.js";
        import { AiChatConsole } from "./dist/ai-chat-console.js";
        // Before the tag is defined: the element connects as it is upgraded.
        setClientFactory((url) => {
          const client = new ConvexClient(url);
          client.setAuth(async () => window.hostToken);
          return client;
        });
        AiChatConsole.define();
      `,
      resolveDir: ROOT,
    },
    bundle: true,
    format: "esm",
    write: false,
    logLevel: "silent",
  });
  [backend, browser] = await Promise.all([
    startLocalBackend({
      port: 0,
      convexDir: HOST_APP,
      dataDir,
      reset: true,
      quiet: true,
      env: {
        AUTH_JWT_ISSUER: ISSUER,
        AUTH_JWKS_URL: `data:application/json,${encodeURIComponent(JSON.stringify(jwks))}`,
        OPENAI_BASE_URL: provider.baseUrl,
        OPENAI_API_KEY: "fake-key",
        AI_MODEL: "fake-model",
        // The Node clients below mint visitors without solving the proof of work the widget
        // solves (tested in test/backend/abuse.test.ts and test/e2e): this is the wiring.
        PROOF_OF_WORK: "off",
      },
    }),
    chromium.launch({ executablePath: findChrome(), args: CHROME_ARGS, headless: true }),
  ]);
  shop = await startSite();
  site.set("/signed-in.js", { type: "text/javascript", body: (await bundled).outputFiles[0]!.text });
}, 60_000);

afterAll(async () => {
  for (const c of clients) await c.close();
  await browser?.close();
  await shop?.close();
  await backend?.stop();
  await provider?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("a host app with its own users and messages, plus the chat component", () => {
  let visitorThread: string;

  test("a visitor's widget chats through the component's routes under /chat/ and the host's aiChat module", async () => {
    const page = await hostPage(
      "/",
      `<script src="/dist/ai-chat-stream.iife.js"></script>`,
      `<ai-chat-stream ${attributes()} heading="Ask the shop"></ai-chat-stream>`,
    );
    await sendPrompt(page, "Hello from the shop, a short answer please");
    const end = await waitForEnd(page);
    expect(end.status).toBe("done");
    expect(end.text).toBe(SHORT_REPLY);
    expect((await visibleReplies(page)).at(-1)).toBe(collapse(SHORT_REPLY));
    visitorThread = (await page.locator("ai-chat-stream").getAttribute("thread"))!;
    expect(visitorThread).toBeTruthy();
    // The site root has no chat routes: they are only under the mount.
    expect((await fetch(`${backend.siteUrl}/chat-stream`, { method: "POST", body: "{}" })).status).toBe(404);
    await page.context().close();
  });

  test("the host's own users and messages tables are its own", async () => {
    const admin = await client("alice");
    const member = await client("bob");
    await admin.mutation(api.users.signUp, { name: "Alice" });
    await member.mutation(api.users.signUp, { name: "Bob" });
    expect(await admin.query(api.users.me, {})).toEqual({ name: "Alice", role: "admin" });
    expect(await member.query(api.users.me, {})).toEqual({ name: "Bob", role: "member" });
    await member.mutation(api.board.post, { body: "Shipping on Friday" });
    // The chat's messages (a prompt and a reply so far) are not in the host's `messages`.
    expect(await admin.query(api.board.list, {})).toEqual([{ author: "Bob", body: "Shipping on Friday" }]);
  });

  test("a signed-in member owns the threads they create, on any device", async () => {
    const member = await client("bob");
    const { threadId } = await member.mutation(api.aiChat.threadsCreate, {});
    const mine = await member.query(api.aiChat.threadsListMine, {});
    expect(mine.map((t: { _id: string }) => t._id)).toEqual([threadId]);
    expect((await member.query(api.aiChat.threadsGet, { threadId })).access).toBe("visitor");
    // Signed out, the same call has no identity and no token.
    await expect((await client()).query(api.aiChat.threadsGet, { threadId })).rejects.toThrow(/UNAUTHORIZED|access/);
  });

  test("the host's signed-in admin is the chat's operator: the console shows the visitor's thread, no secret asked", async () => {
    const admin = await signedInConsole("alice");
    const row = admin.locator("ai-chat-console [part~='thread']", { hasText: "Hello from the shop" });
    await row.waitFor({ timeout: 15_000 });
    await expect.poll(() => admin.locator("ai-chat-console").getAttribute("phase")).toBe("signed-in");
    await row.click();
    await expect
      .poll(async () => (await visibleReplies(admin)).at(-1), { timeout: 10_000 })
      .toBe(collapse(SHORT_REPLY));
    expect(await admin.locator("ai-chat-console ai-chat-stream").getAttribute("thread")).toBe(visitorThread);
    await admin.context().close();

    // A member's console stays signed out: it asks for the operator secret, and lists nothing.
    const member = await signedInConsole("bob");
    await member.getByLabel("Operator secret").waitFor();
    // The list, asked without a token, is refused for a member; the admin's arrived well within this.
    await member.waitForTimeout(1_000);
    expect(await member.locator("ai-chat-console").getAttribute("phase")).toBe("signed-out");
    expect(await member.locator("ai-chat-console [part~='thread']").count()).toBe(0);
    await member.context().close();
  });

  test("clients cannot call the component's functions directly", async () => {
    const http = new ConvexHttpClient(backend.convexUrl);
    await expect(http.query(anyApi["aiChat/threads"]!.listMine!, {})).rejects.toThrow();
  });
});
