// The unmodified ConvexClient from `convex/browser`, running in real Chromium (its native
// WebSocket, no polyfill), against the local backend: subscribe, mutate, act, get ConvexError.
import { build } from "esbuild";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CHROME_ARGS, findChrome } from "../../scripts/find-chrome.mjs";
import { startFixture, type Fixture } from "./helpers.js";

// The in-page script: the stock client, reached through window for the test to drive.
const PAGE_SCRIPT = `
import { ConvexClient } from "convex/browser";
import { anyApi } from "convex/server";
import { ConvexError } from "convex/values";
window.run = async (url) => {
  const client = new ConvexClient(url, { logger: false });
  const api = anyApi;
  const updates = [];
  const unsubscribe = client.onUpdate(api.notes.list, {}, (notes) => updates.push(notes.map((n) => n.text)));
  const id = await client.mutation(api.notes.add, { text: "from chromium" });
  const afterMutation = updates.at(-1);
  const action = await client.action(api.notes.addViaAction, { text: "via action" });
  await new Promise((resolve) => {
    const check = () => (updates.at(-1)?.includes("via action") ? resolve() : setTimeout(check, 20));
    check();
  });
  const failure = await client.mutation(api.notes.fail, {}).catch((e) => e);
  unsubscribe();
  await client.close();
  return {
    id,
    afterMutation,
    action,
    last: updates.at(-1),
    isConvexError: failure instanceof ConvexError,
    errorData: failure?.data,
  };
};
`;

let fx: Fixture;
let browser: Browser;
let server: Server;
let page: Page;

beforeAll(async () => {
  fx = await startFixture();
  const bundle = await build({
    stdin: { contents: PAGE_SCRIPT, resolveDir: process.cwd(), loader: "js" },
    bundle: true,
    format: "esm",
    platform: "browser",
    write: false,
    logLevel: "silent",
  });
  const script = bundle.outputFiles[0].text;
  server = createServer((req, res) => {
    if (req.url === "/client.js") res.writeHead(200, { "content-type": "text/javascript" }).end(script);
    else
      res
        .writeHead(200, { "content-type": "text/html" })
        .end('<!doctype html><script type="module" src="/client.js"></script>');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  browser = await chromium.launch({ executablePath: findChrome(), args: CHROME_ARGS });
  page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  await page.waitForFunction(() => typeof (window as unknown as { run?: unknown }).run === "function");
});
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  await fx?.cleanup();
});

describe("ConvexClient in Chromium", () => {
  test("subscribes, runs a mutation and an action, receives the updates and ConvexError data", async () => {
    const result = await page.evaluate(
      (url) => (window as unknown as { run(u: string): Promise<any> }).run(url),
      fx.backend.convexUrl,
    );
    expect(typeof result.id).toBe("string");
    // The mutation resolved only once the subscription had seen its write.
    expect(result.afterMutation).toContain("from chromium");
    expect(result.action.upper).toBe("VIA ACTION");
    expect(result.last).toEqual(expect.arrayContaining(["from chromium", "via action"]));
    expect(result.isConvexError).toBe(true);
    expect(result.errorData).toEqual({ code: "NOPE", message: "not allowed", retryAfterMs: 5 });
  });
});
