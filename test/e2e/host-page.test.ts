// The widget as a guest on pages we do not control: the script tags included twice or on a
// page that already owns the tag cause no error, and a CMS theme's inherited styles do not reach
// inside the shadow root (pages/theme.html with and without hostile-theme.css).
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { startSystem } from "./harness.ts";
import { sendPrompt, useSystem, waitForEnd } from "./helpers.ts";

const system = useSystem(() => startSystem({ DEMO_TOKEN_DELAY_MS: "1" }));

/** Opens a page in a fresh context, collecting uncaught errors and console errors. */
async function open(path: string): Promise<{ page: Page; errors: string[] }> {
  const context = await system().browser.newContext();
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    // Chromium asks every page for /favicon.ico, which the test server does not have.
    if (m.type() === "error" && !m.location().url.endsWith("/favicon.ico"))
      errors.push(`console: ${m.text()} ${m.location().url}`);
  });
  await page.goto(`${system().origin}${path}`);
  return { page, errors };
}

describe("script tags on any page", () => {
  it("both script-tag files included twice define each tag once, without an error, and the chat works", async () => {
    const { page, errors } = await open("/pages/twice.html");
    expect(
      await page.evaluate(() => ["ai-chat-stream", "ai-chat-console"].map((t) => !!customElements.get(t))),
    ).toEqual([true, true]);
    await sendPrompt(page, "Still working?");
    expect((await waitForEnd(page)).status).toBe("done");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("a page that already defines <ai-chat-stream> keeps its element, and the script tags raise no error", async () => {
    const { page, errors } = await open("/pages/predefined.html");
    await page.waitForFunction(() => !!customElements.get("ai-chat-console"));
    expect(await page.evaluate(() => customElements.get("ai-chat-stream") === (window as any).PageOwnChat)).toBe(true);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

// Every inherited property a theme could set (hostile-theme.css sets each one on html and body).
const INHERITED = [
  "color",
  "caret-color",
  "font-family",
  "font-size",
  "font-weight",
  "font-style",
  "font-variant-caps",
  "font-stretch",
  "font-kerning",
  "font-feature-settings",
  "line-height",
  "letter-spacing",
  "word-spacing",
  "text-transform",
  "text-align",
  "text-indent",
  "text-shadow",
  "white-space-collapse",
  "text-wrap-mode",
  "word-break",
  "overflow-wrap",
  "hyphens",
  "tab-size",
  "list-style-type",
  "list-style-position",
  "quotes",
  "cursor",
  "visibility",
  "-webkit-text-stroke-width",
  "-webkit-text-stroke-color",
  "-webkit-text-fill-color",
  "direction",
];

// Inside the shadow root: the launcher, the header title, both message bubbles, the textbox, Send.
const TARGETS: Record<string, string> = {
  launcher: "#launcher [part=launcher]",
  title: "#inline [part=header] .title",
  "user message": "#inline .row.user .bubble",
  "reply text": "#inline .row.assistant .bubble.markdown p",
  input: "#inline [part=input]",
  "send button": "#inline [part=send-button]",
};

type Styles = Record<string, Record<string, string>>;

/** Computed INHERITED styles of each target after one exchange with the demo model, and of the page's body. */
async function widgetStyles(path: string): Promise<{ widget: Styles; body: Record<string, string> }> {
  const { page, errors } = await open(path);
  // Through the element's API: typing would wait for the textbox to be visible, and the old
  // widget inherited the theme's visibility: hidden.
  await page.locator("#inline").evaluate((el: any) => el.send("Show me what you can render"));
  await waitForEnd(page);
  const read = (selector: string) =>
    page
      .locator(selector)
      .first()
      .evaluate((el, props) => {
        const style = getComputedStyle(el);
        return Object.fromEntries(props.map((p) => [p, style.getPropertyValue(p)]));
      }, INHERITED);
  const widget: Styles = {};
  for (const [name, selector] of Object.entries(TARGETS)) widget[name] = await read(selector);
  const body = await read("body");
  expect(errors).toEqual([]);
  await page.context().close();
  return { widget, body };
}

describe("a host page's CSS", () => {
  it("a CMS theme's inherited styles do not change the message text, textbox, buttons or launcher", async () => {
    const plain = await widgetStyles("/pages/theme.html");
    const hostile = await widgetStyles("/pages/theme.html?theme=hostile");
    // The theme is in force on the page itself: every property differs there.
    for (const prop of INHERITED.filter((p) => p !== "direction"))
      expect(hostile.body[prop], prop).not.toBe(plain.body[prop]);
    expect(hostile.widget).toEqual(plain.widget);
  });
});
