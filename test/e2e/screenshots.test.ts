// The README's screenshots, taken from the built widget against the real
// local backend: a phone (390×844) and a desktop (1280×800), each in light, dark and
// right-to-left, with a finished reply in view; then, in light and dark, each state a visitor
// meets (the empty state, a failed reply, an unread reply on the closed launcher, the "New
// messages" pill, the action row with a rating and its comment box, the composer over
// its limit, highlighted code, the list of past
// conversations). axe-free checks live in the browser suite; this file only asserts that each
// state rendered what it shows.
//
// `npm test` writes them to test-artifacts/screenshots/ (to look at, never committed: pixels
// differ a little from machine to machine); `npm run screenshots` writes the README's copies in
// docs/screenshots/.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { ROOT } from "./harness.ts";
import {
  ARTIFACTS,
  collapse,
  openChat,
  sendPrompt,
  visibleReplies,
  useSystem,
  waitForEnd,
  waitForReplyText,
} from "./helpers.ts";
import { SHORT_REPLY, startSystemWithProvider } from "./provider.ts";
import arabic from "../../src/locales/ar.ts";
import { defaultStrings } from "../../src/strings.ts";

const OUT = process.env.UPDATE_SCREENSHOTS ? join(ROOT, "docs", "screenshots") : join(ARTIFACTS, "screenshots");
const PROMPT_LIMIT = 200;
mkdirSync(OUT, { recursive: true });

// A small prompt limit, so the counter's screenshot shows a short over-long message.
const system = useSystem(() => startSystemWithProvider({ MAX_PROMPT_CHARS: String(PROMPT_LIMIT) }));

const sizes = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } } as const;
const looks = {
  light: { theme: "light", dir: "ltr" },
  dark: { theme: "dark", dir: "ltr" },
  rtl: { theme: "light", dir: "rtl" },
} as const;

describe("screenshots", () => {
  for (const [size, viewport] of Object.entries(sizes)) {
    for (const [look, { theme, dir }] of Object.entries(looks)) {
      it(`${size}, ${look}`, async () => {
        const context = await system().browser.newContext({ viewport, deviceScaleFactor: 1 });
        const page = await openChat(system(), context);
        await page.evaluate(
          ([theme, dir]) => {
            const el = document.querySelector("ai-chat-stream")!;
            el.setAttribute("theme", theme);
            el.setAttribute("dir", dir);
            if (dir === "rtl") document.documentElement.lang = "ar";
          },
          [theme, dir],
        );
        // lang="ar" gives the Arabic interface (its translation loads after the chat).
        const strings = dir === "rtl" ? arabic : defaultStrings;
        const box = page.getByRole("textbox", { name: strings.inputLabel, exact: true });
        await expect.poll(() => box.getAttribute("placeholder")).toBe(strings.placeholder);
        await box.fill("short: how do I export my notes?");
        await box.press("Enter");
        await waitForEnd(page, 1);
        await expect.poll(async () => (await visibleReplies(page)).at(-1)).toBe(collapse(SHORT_REPLY));
        await box.fill(dir === "rtl" ? "كيف أصدّر ملاحظاتي؟" : "And as PDF?");
        // The reply has ended, so what the visitor typed can be sent; Send fades in (0.15 s) as the
        // text arrives, and the picture should show where it settles.
        const send = page.getByRole("button", { name: strings.send, exact: true });
        expect(await send.isEnabled()).toBe(true);
        await expect.poll(() => send.evaluate((b) => getComputedStyle(b).opacity)).toBe("1");
        await page.screenshot({ path: join(OUT, `${size}-${look}.png`) });
        await context.close();
      });
    }
  }
});

/** Opens a page of the suite with the widget in `theme`; launcher pages get their panel opened. */
async function openThemed(context: BrowserContext, path: string, theme: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(system().origin + path);
  await page
    .locator("ai-chat-stream")
    .first()
    .evaluate((el, theme) => el.setAttribute("theme", theme), theme);
  if (path.includes("launcher")) await page.getByRole("button", { name: "Open chat" }).click();
  await page.getByRole("textbox", { name: "Message" }).waitFor();
  return page;
}

/** Each state: the page it is shown on and how a visitor gets there (asserting it shows). */
const states: Record<string, { path: string; reach(page: Page, name: string): Promise<void> }> = {
  empty: {
    path: "/pages/chat.html",
    async reach(page) {
      await page.locator("ai-chat-stream [part=ai-note]").waitFor();
      expect(await page.getByText("Hi! How can I help?").count()).toBe(1);
    },
  },
  failed: {
    path: "/pages/chat.html",
    async reach(page, name) {
      await sendPrompt(page, `fail-once: ${name}`);
      expect((await waitForEnd(page)).status).toBe("error");
      const marker = page.locator("ai-chat-stream [part=reply-error]");
      await expect.poll(() => marker.getByRole("button", { name: "Retry" }).count()).toBe(1);
    },
  },
  unread: {
    path: "/pages/launcher.html",
    async reach(page) {
      await sendPrompt(page, "short: a reply that finishes while the panel is closed");
      await page.keyboard.press("Escape");
      await waitForEnd(page);
      await page.locator("ai-chat-stream [part=unread]").waitFor();
      await page.locator("ai-chat-stream [part=unread-preview]").waitFor();
      // The pointer would otherwise rest on the launcher where it clicked, hovering it.
      await page.mouse.move(0, 0);
    },
  },
  "new-messages": {
    path: "/pages/launcher.html",
    async reach(page) {
      await sendPrompt(page, "a first long reply to scroll back through");
      await waitForEnd(page);
      await sendPrompt(page, "slow: a second one that grows while the reader has scrolled up");
      await waitForReplyText(page, 200);
      // As a reader scrolls: at once (the transcript's smooth scrolling is for its own jumps).
      await page
        .locator("ai-chat-stream [part=messages]")
        .evaluate((el) => el.scrollTo({ top: 0, behavior: "instant" }));
      await page.locator("ai-chat-stream [part=new-messages]").waitFor();
    },
  },
  feedback: {
    path: "/pages/chat.html",
    async reach(page) {
      await sendPrompt(page, "short: how do I export my notes?");
      await waitForEnd(page);
      await page.locator("ai-chat-stream [part=feedback-up]").click();
      await page.locator("ai-chat-stream [part=feedback-comment]").fill("Clear steps, thanks");
      expect(await page.locator("ai-chat-stream [part=feedback-up]").getAttribute("aria-pressed")).toBe("true");
      expect(await page.locator("ai-chat-stream [part=regenerate-button]").count()).toBe(1);
    },
  },
  code: {
    path: "/pages/chat.html",
    async reach(page) {
      await sendPrompt(page, "code-reply: how do I total an order?");
      await waitForEnd(page);
      await page.locator("ai-chat-stream pre code.hljs .hljs-keyword").first().waitFor();
    },
  },
  history: {
    path: "/pages/chat.html",
    async reach(page) {
      await sendPrompt(page, "short: where is my order?");
      await waitForEnd(page, 1);
      await page.locator("ai-chat-stream [part=new-conversation]").click();
      await sendPrompt(page, "short: do you ship abroad?");
      await waitForEnd(page, 2);
      await page.locator("ai-chat-stream [part=history-button]").click();
      await expect.poll(() => page.locator("ai-chat-stream [part=history-item]").count()).toBe(2);
    },
  },
  counter: {
    path: "/pages/chat.html",
    async reach(page) {
      await sendPrompt(page, "short: how do I export my notes?");
      await waitForEnd(page);
      const box = page.getByRole("textbox", { name: "Message" });
      await box.fill(
        `Here is the whole error log from my export, ${"line after line of it, ".repeat(8)}`.slice(
          0,
          PROMPT_LIMIT + 12,
        ),
      );
      await expect
        .poll(() => page.locator("ai-chat-stream [part=counter]").textContent())
        .toBe(`${PROMPT_LIMIT + 12} / ${PROMPT_LIMIT}`);
      await expect.poll(() => page.getByText("12 characters too long.", { exact: false }).count()).toBe(1);
    },
  },
};

describe("screenshots of each state", () => {
  for (const [state, { path, reach }] of Object.entries(states)) {
    for (const [size, viewport] of Object.entries(sizes)) {
      for (const theme of ["light", "dark"]) {
        const name = `${state}-${size}-${theme}`;
        it(name, async () => {
          const context = await system().browser.newContext({ viewport, deviceScaleFactor: 1 });
          const page = await openThemed(context, path, theme);
          await reach(page, name);
          await page.screenshot({ path: join(OUT, `${name}.png`) });
          await context.close();
        });
      }
    }
  }
});
