// The script-tag embed as a site owner sees it: a closed launcher costs the page the loader and
// nothing else (no WebSocket, no request to the deployment, no chat script); intent loads the
// chat from beside the loader, opening connects, and a returning visitor gets their
// conversation back when they open it.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { startSystem } from "./harness.ts";
import { defaultStrings } from "../../src/strings.ts";
import { events, sendPrompt, useSystem, visibleReplies, waitForEnd } from "./helpers.ts";

const system = useSystem(() => startSystem({ DEMO_TOKEN_DELAY_MS: "1" }));

/** Everything the page fetched or opened, as it happens. */
function watchNetwork(page: Page) {
  const seen = { sockets: [] as string[], scripts: [] as string[], deployment: [] as string[], errors: [] as string[] };
  page.on("websocket", (ws) => seen.sockets.push(ws.url()));
  page.on("pageerror", (e) => seen.errors.push(e.message));
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (r.resourceType() === "script")
      seen.scripts.push(`${url.host === new URL(system().origin).host ? "" : url.origin}${url.pathname}`);
    if (r.url().startsWith(system().convexUrl) || r.url().startsWith(system().siteUrl)) seen.deployment.push(r.url());
  });
  return seen;
}

describe("the script-tag loader", () => {
  it("a closed launcher opens no WebSocket and calls nothing; intent loads the chat; opening connects", async () => {
    const context = await system().browser.newContext();
    const page = await context.newPage();
    const seen = watchNetwork(page);
    await page.goto(`${system().origin}/pages/loader-closed.html`, { waitUntil: "networkidle" });
    const launcher = page.getByRole("button", { name: "Open chat" });
    await launcher.waitFor();
    await page.waitForTimeout(300);
    expect(seen.sockets).toEqual([]);
    expect(seen.deployment).toEqual([]);
    expect(seen.scripts).toEqual(["/pages/record.js", "/dist/ai-chat-stream.iife.js"]);

    // Pointer over the launcher: the chat's code, from beside the loader; still no connection.
    await launcher.hover();
    await expect.poll(() => seen.scripts).toContain("/dist/ai-chat-stream.chat.js");
    await page.waitForLoadState("networkidle");
    expect(seen.sockets).toEqual([]);
    expect(seen.deployment).toEqual([]);

    await launcher.click();
    await expect.poll(() => seen.sockets.length).toBe(1);
    expect(seen.sockets[0]).toContain(new URL(system().convexUrl).host);
    await sendPrompt(page, "Hello from a launcher");
    expect((await waitForEnd(page)).status).toBe("done");
    // One copy of each script: the chat did not bring a second Lit or load itself twice.
    expect(seen.scripts.filter((s) => s.endsWith(".chat.js"))).toHaveLength(1);
    expect(seen.errors).toEqual([]);

    // A returning visitor (a new tab: the panel's open state is per tab, the conversation is not):
    // nothing until they open the panel, then their conversation.
    const replies = await visibleReplies(page);
    const next = await context.newPage();
    const again = watchNetwork(next);
    await next.goto(`${system().origin}/pages/loader-closed.html`, { waitUntil: "networkidle" });
    await next.waitForTimeout(300);
    expect(again.sockets).toEqual([]);
    expect(again.deployment).toEqual([]);
    await next.getByRole("button", { name: "Open chat" }).click();
    await expect.poll(() => visibleReplies(next), { timeout: 10_000 }).toEqual(replies);
    expect(again.sockets).toHaveLength(1);
    await context.close();
  });

  it("a chat script that fails to load says so, with Retry, and Retry brings the chat", async () => {
    const context = await system().browser.newContext();
    const page = await context.newPage();
    await page.route("**/ai-chat-stream.chat.js", (route) => route.abort("internetdisconnected"));
    await page.goto(`${system().origin}/pages/loader-closed.html`, { waitUntil: "networkidle" });
    await page.getByRole("button", { name: "Open chat" }).click();
    const alert = page.locator("ai-chat-stream").getByRole("alert");
    await expect.poll(() => alert.count()).toBe(1);
    expect(await alert.textContent()).toContain(defaultStrings.networkError);
    const [failure] = await events(page, "ai-chat-error");
    expect(failure?.code).toBe("NETWORK");

    await page.unroute("**/ai-chat-stream.chat.js");
    await alert.getByRole("button", { name: defaultStrings.retry }).click();
    await page.getByRole("textbox", { name: "Message" }).waitFor();
    expect(await alert.count()).toBe(0);
    await sendPrompt(page, "Hello after a retry");
    expect((await waitForEnd(page)).status).toBe("done");
    await context.close();
  });

  it("included twice, it defines the tag once, loads the chat once and works", async () => {
    const context = await system().browser.newContext();
    const page = await context.newPage();
    const seen = watchNetwork(page);
    await page.goto(`${system().origin}/pages/loader-twice.html`);
    await sendPrompt(page, "Twice?");
    expect((await waitForEnd(page)).status).toBe("done");
    expect(seen.scripts.filter((s) => s.endsWith(".chat.js"))).toHaveLength(1);
    expect(seen.errors).toEqual([]);
    await context.close();
  });
});
