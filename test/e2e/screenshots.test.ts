// The README's screenshots (docs/screenshots/), taken from the built widget against the real
// local backend: a phone (390×844) and a desktop (1280×800), each in light, dark and
// right-to-left, with a finished reply in view. axe-free checks live in the browser suite;
// this file only asserts that each state rendered what it shows.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, type System } from "./harness.ts";
import { collapse, openChat, sendPrompt, visibleReplies, waitForEnd } from "./helpers.ts";
import { SHORT_REPLY, startSystemWithProvider } from "./provider.ts";

const OUT = join(ROOT, "docs", "screenshots");
mkdirSync(OUT, { recursive: true });

let system: System;
beforeAll(async () => {
  system = await startSystemWithProvider();
});
afterAll(async () => {
  await system?.close();
});

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
        const context = await system.browser.newContext({ viewport, deviceScaleFactor: 1 });
        const page = await openChat(system, context);
        await page.evaluate(
          ([theme, dir]) => {
            const el = document.querySelector("ai-chat-stream")!;
            el.setAttribute("theme", theme);
            el.setAttribute("dir", dir);
            if (dir === "rtl") document.documentElement.lang = "ar";
          },
          [theme, dir],
        );
        await sendPrompt(page, "short: how do I export my notes?");
        await waitForEnd(page, 1);
        await expect.poll(async () => (await visibleReplies(page)).at(-1)).toBe(collapse(SHORT_REPLY));
        await page.getByRole("textbox", { name: "Message" }).fill(dir === "rtl" ? "كيف أصدّر ملاحظاتي؟" : "And as PDF?");
        await page.screenshot({ path: join(OUT, `${size}-${look}.png`) });
        await context.close();
      });
    }
  }
});
