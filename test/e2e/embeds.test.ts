// Scenario 9: the script-tag page and the support-desk iframe work with the IIFE build only,
// against the built-in demo model (no keys), plus screenshots of the main states in light and
// dark, desktop and mobile (kept in test-artifacts/, not committed).
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { ROOT, startSystem } from "./harness.ts";
import {
  ARTIFACTS,
  persisted,
  sendPrompt,
  shareToken,
  threadOf,
  useSystem,
  visibleReplies,
  waitForEnd,
} from "./helpers.ts";

const RECORDER = join(ROOT, "test/e2e/pages/record.js");

const system = useSystem(() => startSystem({ DEMO_TOKEN_DELAY_MS: "1" }));

async function openDemo(
  path: string,
  options: { colorScheme?: "light" | "dark"; mobile?: boolean } = {},
): Promise<{ page: Page; requests: string[] }> {
  const context = await system().browser.newContext({
    colorScheme: options.colorScheme ?? "light",
    viewport: options.mobile ? { width: 390, height: 780 } : { width: 1280, height: 800 },
    isMobile: options.mobile,
    hasTouch: options.mobile,
  });
  await context.addInitScript({ path: RECORDER });
  const page = await context.newPage();
  const requests: string[] = [];
  page.on("request", (r) => requests.push(new URL(r.url()).pathname));
  await page.goto(`${system().origin}${path}`);
  return { page, requests };
}

describe("embeds that use only the IIFE build", () => {
  it("the script-tag page opens the launcher, chats with the demo model and closes on Escape", async () => {
    const { page, requests } = await openDemo("/demo/script-tag.html");
    const launcher = page.getByRole("button", { name: "Open chat" });
    await launcher.click();
    const box = page.getByRole("textbox", { name: "Message" });
    await expect
      .poll(() => box.evaluate((el) => el.matches(":focus") || el.getRootNode() instanceof ShadowRoot))
      .toBe(true);
    await sendPrompt(page, "What can you do?");
    const end = await waitForEnd(page);
    expect(end.status).toBe("done");
    expect(end.text).toContain("demo model");
    await expect.poll(() => page.getByText("Demo model", { exact: true }).count()).toBe(1);
    const bubble = page.locator("ai-chat-stream .row.assistant .bubble.markdown").last();
    expect(await bubble.locator("table").count()).toBe(1);
    // The demo reply's TypeScript block: the highlighter part loaded from beside the chat and its
    // colours set through the CSSOM, both allowed by this policy.
    const keyword = bubble.locator("pre code.hljs .hljs-keyword").first();
    await keyword.waitFor();
    expect(await keyword.evaluate((el) => getComputedStyle(el).color)).toBe("rgb(255, 123, 114)");
    expect(await bubble.locator("pre code").count()).toBe(1);
    await page.screenshot({ path: `${ARTIFACTS}/script-tag-launcher-open.png` });

    await page.keyboard.press("Escape");
    await expect.poll(() => page.getByRole("button", { name: "Open chat" }).count()).toBe(1);
    // Only the script-tag files were loaded (the loader, then the chat beside it, the highlighter at
    // the first code block, and with the first finished reply the action row's part): no module
    // graph, no source files.
    const scripts = requests.filter((p) => p.endsWith(".js") || p.endsWith(".ts"));
    expect(scripts.filter((p) => !p.startsWith("/pages/"))).toEqual([
      "/dist/ai-chat-stream.iife.js",
      "/dist/ai-chat-stream.chat.js",
      "/dist/ai-chat-stream.part.highlight.js",
      "/dist/ai-chat-stream.part.actions.js",
    ]);
    await page.context().close();
  });

  it("the support-desk page shows a shared conversation live in an observer iframe", async () => {
    const { page: visitor } = await openDemo("/pages/chat.html");
    await sendPrompt(visitor, "Please help me with my order");
    await waitForEnd(visitor);
    const threadId = await threadOf(visitor);
    const token = await shareToken(visitor);

    const { page: desk, requests } = await openDemo(
      `/demo/iframe.html#${new URLSearchParams({ thread: threadId, token })}`,
    );
    const frame = desk.frameLocator("iframe#observer");
    await expect
      .poll(async () => frame.locator("ai-chat-stream .row.assistant .bubble.markdown").count(), { timeout: 15_000 })
      .toBe(1);
    expect(
      await frame.locator("ai-chat-stream .row.user").filter({ hasText: "Please help me with my order" }).count(),
    ).toBe(1);
    expect(await frame.getByRole("textbox").count()).toBe(0);
    const observed = desk.frames().find((f) => f.url().includes("observe.html"))!;
    const [reply] = await persisted(system(), threadId).then((ms) => ms.filter((m) => m.role === "assistant"));
    expect((await visibleReplies(observed)).at(-1)).toBe((await visibleReplies(visitor)).at(-1));
    expect(reply.status).toBe("done");
    expect(requests.some((p) => p.startsWith("/src/"))).toBe(false);
    await desk.screenshot({ path: `${ARTIFACTS}/support-desk-iframe.png` });

    // And a live reply: the visitor asks again, the desk sees it stream in.
    await sendPrompt(visitor, "And another thing");
    await expect
      .poll(async () => frame.locator("ai-chat-stream .row.assistant .bubble.markdown").count(), { timeout: 15_000 })
      .toBe(2);
    await waitForEnd(visitor, 2);
    const second = (await persisted(system(), threadId)).at(-1)!;
    expect(second.status).toBe("done");
    await expect
      .poll(async () => (await visibleReplies(visitor)).at(-1), { timeout: 10_000 })
      .toContain("And another thing");
    await expect
      .poll(async () => (await visibleReplies(observed)).at(-1), { timeout: 10_000 })
      .toBe((await visibleReplies(visitor)).at(-1));
    await visitor.context().close();
    await desk.context().close();
  });
});

describe("a host page with a strict Content-Security-Policy", () => {
  it("runs the widget with no inline script or style and no eval, and no violation reported", async () => {
    const { page } = await openDemo("/pages/strict-csp.html");
    await sendPrompt(page, "Does this work under CSP?");
    const end = await waitForEnd(page);
    expect(end.status).toBe("done");
    const bubble = page.locator("ai-chat-stream .row.assistant .bubble.markdown").last();
    expect(await bubble.locator("table").count()).toBe(1);
    // Styles applied (adoptedStyleSheets are allowed by style-src 'self'): the composer is laid out.
    const composer = await page.locator("ai-chat-stream [part~='composer']").boundingBox();
    expect(composer?.height).toBeGreaterThan(30);
    expect(await page.evaluate(() => (window as any).__cspViolations)).toEqual([]);
    await page.context().close();
  });
});

describe("how it looks", () => {
  for (const colorScheme of ["light", "dark"] as const) {
    for (const mobile of [false, true]) {
      it(`screenshots the empty, streaming and finished states (${colorScheme}, ${mobile ? "mobile" : "desktop"})`, async () => {
        const name = `${colorScheme}-${mobile ? "mobile" : "desktop"}`;
        const { page } = await openDemo("/pages/chat.html", { colorScheme, mobile });
        await page.screenshot({ path: `${ARTIFACTS}/${name}-empty.png` });
        await sendPrompt(page, "Show me what you can render");
        await waitForEnd(page);
        await page.screenshot({ path: `${ARTIFACTS}/${name}-reply.png` });
        // The theme follows the page's colour scheme.
        const background = await page
          .locator("ai-chat-stream")
          .evaluate((el) => getComputedStyle(el.shadowRoot!.querySelector(".panel")!).backgroundColor);
        const [r, g, b] = background.match(/\d+/g)!.map(Number);
        const luminance = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
        if (colorScheme === "dark") expect(luminance).toBeLessThan(0.3);
        else expect(luminance).toBeGreaterThan(0.7);
        await page.context().close();
      });
    }
  }
});
