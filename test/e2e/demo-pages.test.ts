// The demo pages as a newcomer meets them (issue 25): they pass axe, page rules included (an h1,
// a main, a scrollable code sample that takes focus), in light and dark; the support desk's
// form fields are styled, and before a conversation is shared its frame says what to do.
// index.html and operator.html run their widgets from source through Vite (`npm start`); here
// they are checked as pages (their widgets have their own tests).
import { join } from "node:path";
import type { Frame, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { ROOT, startSystem } from "./harness.ts";
import { sendPrompt, shareToken, threadOf, useSystem, waitForEnd } from "./helpers.ts";

const system = useSystem(() => startSystem({ DEMO_TOKEN_DELAY_MS: "1" }));
const AXE = join(ROOT, "node_modules/axe-core/axe.min.js");

type Violation = { id: string; nodes: { target: string[] }[] };

/** axe on the whole page (best practices included), as `{ rule: [targets] }`. */
async function axe(page: Page | Frame): Promise<Record<string, string[]>> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const run = (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: Violation[] }> } })
      .axe.run;
    return (await run(document, { resultTypes: ["violations"] })).violations;
  });
  return Object.fromEntries(violations.map((v: Violation) => [v.id, v.nodes.map((n) => n.target.join(" "))]));
}

async function open(path: string, colorScheme: "light" | "dark" = "light"): Promise<Page> {
  const context = await system().browser.newContext({ colorScheme, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${system().origin}${path}`, { waitUntil: "networkidle" });
  return page;
}

describe("demo pages", () => {
  for (const scheme of ["light", "dark"] as const) {
    for (const path of ["/demo/index.html", "/demo/script-tag.html", "/demo/iframe.html", "/demo/operator.html"]) {
      it(`${path} passes axe, page rules included (${scheme})`, async () => {
        const page = await open(path, scheme);
        expect(await axe(page)).toEqual({});
        await page.context().close();
      });
    }
  }

  it("/demo/script-tag.html on a 390 px phone, where its code sample scrolls sideways, passes axe", async () => {
    const context = await system().browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const page = await context.newPage();
    await page.goto(`${system().origin}/demo/script-tag.html`, { waitUntil: "networkidle" });
    const pre = page.locator("pre");
    expect(await pre.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
    expect(await axe(page)).toEqual({});
    await context.close();
  });

  it("the empty support desk explains what to do, in its frame, and that frame passes axe", async () => {
    const page = await open("/demo/iframe.html");
    const frame = page.frames().find((f) => f.url().endsWith("/observe-empty.html"))!;
    expect(frame).toBeDefined();
    const text = await frame.locator("body").innerText();
    expect(text).toContain("No conversation shared yet");
    expect(text).toContain("Open in support desk");
    expect(await axe(frame)).toEqual({});
    await page.context().close();
  });

  it("the support desk's fields are styled like its cards, not the browser's defaults", async () => {
    const page = await open("/demo/iframe.html");
    const field = page.locator("#open-form input[name=thread]");
    const style = await field.evaluate((el) => {
      const s = getComputedStyle(el);
      return { radius: s.borderTopLeftRadius, padding: s.paddingLeft, font: s.fontFamily };
    });
    const body = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
    expect(style.radius).toBe("8px");
    expect(parseFloat(style.padding)).toBeGreaterThanOrEqual(10);
    expect(style.font).toBe(body);
    await page.context().close();
  });

  it("a shared conversation in the support desk's observer frame passes axe", async () => {
    const visitor = await open("/pages/chat.html");
    await sendPrompt(visitor, "Where is my order?");
    await waitForEnd(visitor);
    const hash = new URLSearchParams({ thread: await threadOf(visitor), token: await shareToken(visitor) });
    const desk = await open(`/demo/observe.html#${hash}`);
    await expect.poll(() => desk.locator("ai-chat-stream .row.assistant").count(), { timeout: 15_000 }).toBe(1);
    expect(await axe(desk)).toEqual({});
    await desk.context().close();
    await visitor.context().close();
  });
});
