// The demo's "Reload mid-reply" on a page with an inline chat and a launcher of one deployment
// (issue 25): after the reload each widget has its own state back. Before, the launcher came
// back closed and its unsent text and the inline chat's streaming reply both showed up inline.
import { describe, expect, it } from "vitest";
import { useSystem } from "./helpers.ts";
import { startSystemWithProvider } from "./provider.ts";

const system = useSystem(() => startSystemWithProvider());

describe("two widgets on one page", () => {
  it("a reload mid-reply gives the inline chat its streaming reply and the launcher its open panel and draft", async () => {
    const context = await system().browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${system().origin}/pages/two-widgets.html`);
    const inline = page.locator("ai-chat-stream.inline");
    const launcher = page.locator("ai-chat-stream[launcher]");
    await launcher.locator("[part=launcher]").click();
    await launcher.locator("textarea").fill("Half-written in the launcher");
    await inline.locator("textarea").fill("slow: tell me about Notes");
    await inline.locator("textarea").press("Enter");
    const reply = inline.locator(".row.assistant .bubble.markdown");
    await expect
      .poll(async () => ((await reply.count()) ? (await reply.innerText()).length : 0), { timeout: 15_000 })
      .toBeGreaterThan(20);
    // Mid-reply, still streaming.
    expect(await inline.getAttribute("status")).toBe("streaming");

    await page.reload();
    await expect
      .poll(() => launcher.evaluate((el) => el.shadowRoot?.querySelector("dialog")?.open ?? false))
      .toBe(true);
    await expect.poll(() => launcher.locator("textarea").inputValue()).toBe("Half-written in the launcher");
    expect(await launcher.locator(".row").count()).toBe(0);
    await expect.poll(() => inline.locator(".row.user").count(), { timeout: 10_000 }).toBe(1);
    expect(await inline.locator(".row.user").innerText()).toContain("slow: tell me about Notes");
    expect(await inline.locator("textarea").inputValue()).toBe("");
    // The reply keeps streaming in the inline chat, to its end.
    await expect.poll(() => inline.getAttribute("status"), { timeout: 30_000 }).toBe("idle");
    expect(await inline.locator(".row.assistant[data-status=done]").count()).toBe(1);
    await context.close();
  });
});
