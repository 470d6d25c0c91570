// Where the transcript is held, on the built widget against the local backend and a streaming
// model (issue 25): the question sent goes to the top and stays there while its reply streams,
// and a reply that fits raises no "New messages" pill.
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { openChat, sendPrompt, useSystem, waitForEnd } from "./helpers.ts";
import { startSystemWithProvider } from "./provider.ts";

const system = useSystem(() => startSystemWithProvider());

/** The last question's top, relative to the transcript's top, and whether a click there lands on it. */
async function question(page: Page): Promise<{ offset: number; hit: boolean; pill: boolean }> {
  return page.locator("ai-chat-stream").evaluate((el) => {
    const root = el.shadowRoot!;
    const box = root.querySelector(".messages")!.getBoundingClientRect();
    const row = [...root.querySelectorAll(".row.user")].at(-1)!;
    const r = row.getBoundingClientRect();
    const hit = root.elementFromPoint(r.left + r.width / 2, r.top + 4)?.closest(".row.user") === row;
    return { offset: r.top - box.top, hit, pill: !!root.querySelector("[part=new-messages]") };
  });
}

describe("the question stays in view", () => {
  for (const viewport of [
    { width: 1280, height: 800 },
    { width: 390, height: 844 },
  ]) {
    it(`at ${viewport.width} px: a short reply leaves the question at the top with no pill; a long one streams below it`, async () => {
      const context = await system().browser.newContext({ viewport });
      const page = await openChat(system(), context);
      await sendPrompt(page, "short: how do I export my notes?");
      await waitForEnd(page, 1);
      let q = await question(page);
      expect(q.offset).toBeGreaterThanOrEqual(0);
      expect(q.offset).toBeLessThan(24);
      expect(q.hit).toBe(true);
      expect(q.pill).toBe(false);

      await sendPrompt(page, "slow: tell me everything");
      const samples: Array<{ offset: number; hit: boolean }> = [];
      for (let i = 0; i < 10; i++) {
        await page.waitForTimeout(150);
        samples.push(await question(page));
      }
      await waitForEnd(page, 2, 60_000);
      q = await question(page);
      for (const s of [...samples, q]) {
        expect(s.offset).toBeGreaterThanOrEqual(0);
        expect(s.offset).toBeLessThan(24);
        expect(s.hit).toBe(true);
      }
      await context.close();
    });
  }
});
