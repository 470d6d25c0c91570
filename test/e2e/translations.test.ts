// Built-in translations in the script-tag build (issue 25): a page in Arabic gets the chat in
// Arabic, right to left, from one language file loaded beside the chat script (never by the
// loader, and no other language), and the conversation works as in English.
import { describe, expect, it } from "vitest";
import { startSystem } from "./harness.ts";
import { useSystem, waitForEnd } from "./helpers.ts";

const system = useSystem(() => startSystem({ DEMO_TOKEN_DELAY_MS: "1" }));

describe("translations, script-tag build", () => {
  it("a page with lang=ar gets the chat in Arabic, right to left, loading only the Arabic file, after the chat", async () => {
    const context = await system().browser.newContext();
    const page = await context.newPage();
    const scripts: string[] = [];
    page.on("request", (r) => {
      if (r.resourceType() === "script") scripts.push(new URL(r.url()).pathname);
    });
    await page.goto(`${system().origin}/pages/translated.html`, { waitUntil: "networkidle" });
    // A closed launcher: the loader alone, no language file yet.
    expect(scripts.filter((s) => s.includes(".locale."))).toEqual([]);
    await page.locator("ai-chat-stream [part=launcher]").click();
    const box = page.locator("ai-chat-stream textarea");
    await expect.poll(() => box.getAttribute("placeholder"), { timeout: 10_000 }).toBe("اكتب رسالة…");
    expect(scripts.filter((s) => s.includes(".locale."))).toEqual(["/dist/ai-chat-stream.locale.ar.js"]);
    expect(scripts.indexOf("/dist/ai-chat-stream.locale.ar.js")).toBeGreaterThan(
      scripts.indexOf("/dist/ai-chat-stream.chat.js"),
    );
    const panel = page.locator("ai-chat-stream [part=panel]");
    expect(await panel.evaluate((el) => getComputedStyle(el).direction)).toBe("rtl");
    expect(await page.locator("ai-chat-stream [part=send-button]").getAttribute("aria-label")).toBe("إرسال");
    await box.fill("مرحبا");
    await box.press("Enter");
    expect((await waitForEnd(page)).status).toBe("done");
    await context.close();
  });
});
