// Keyboard focus around the launcher's panel with real Tab presses (web-test-runner could not
// press Tab into a modal dialog without hanging, so the browser suite checks only that the
// dialog is modal). On a phone the open panel covers the page and is modal: Tab and Shift+Tab
// cycle inside the widget and never reach the host links around it. On a desktop the panel
// floats beside the page, which stays usable (src/controllers/modal.ts), so Tab can leave it.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { startSystem } from "./harness.ts";
import { useSystem } from "./helpers.ts";

const system = useSystem(() => startSystem());

type FocusPlace = { outer: string; deep: string; inShadow: boolean };

/** Where focus is: the light-DOM active element, and the deepest active element through shadow roots. */
function focusPlace(page: Page): Promise<FocusPlace> {
  return page.evaluate(() => {
    const host = document.querySelector("ai-chat-stream")!;
    let deep: Element | null = document.activeElement;
    while (deep?.shadowRoot?.activeElement) deep = deep.shadowRoot.activeElement;
    const describe = (el: Element | null) =>
      !el
        ? "none"
        : `${el.localName}${el.id ? `#${el.id}` : ""}${el.getAttribute("part") ? `[${el.getAttribute("part")}]` : ""}`;
    return {
      outer: describe(document.activeElement),
      deep: describe(deep),
      inShadow: !!deep && deep !== host && host.shadowRoot!.contains(deep),
    };
  });
}

/** How many parts of the open panel take focus by Tab. */
function panelTabStops(page: Page): Promise<number> {
  return page
    .locator("ai-chat-stream dialog.panel")
    .evaluate(
      (dialog) =>
        [...dialog.querySelectorAll<HTMLElement>("a[href], button, textarea, input, select, [tabindex]")].filter(
          (el) => !el.matches(":disabled") && el.tabIndex >= 0 && el.checkVisibility(),
        ).length,
    );
}

/** The launcher page (its host element has no box of its own), panel opened by a click. */
async function openLauncherPage(viewport: { width: number; height: number }): Promise<Page> {
  const page = await (await system().browser.newContext({ viewport })).newPage();
  await page.goto(`${system().origin}/pages/launcher.html`);
  await page.getByRole("button", { name: "Open chat" }).click();
  await expect
    .poll(() => page.locator("ai-chat-stream dialog.panel").evaluate((d) => (d as HTMLDialogElement).open))
    .toBe(true);
  await expect.poll(async () => (await focusPlace(page)).deep).toBe("textarea[input]");
  return page;
}

describe("focus around the launcher's panel", () => {
  it("at 390×844 the open panel traps Tab and Shift+Tab, and Escape returns focus to the launcher", async () => {
    const page = await openLauncherPage({ width: 390, height: 844 });
    expect(await page.locator("ai-chat-stream dialog.panel").evaluate((d) => d.matches(":modal"))).toBe(true);
    const stops = await panelTabStops(page);
    expect(stops).toBeGreaterThanOrEqual(2);

    const visited = new Set<string>();
    let leftToBrowser = 0;
    for (const key of ["Tab", "Shift+Tab"]) {
      for (let i = 0; i < stops * 2 + 2; i++) {
        await page.keyboard.press(key);
        const place = await focusPlace(page);
        // Past the panel's first or last part Chromium hands focus to the browser's own UI (in
        // headless: nothing, so the body), as a native modal <dialog> does; the next press
        // comes back into the panel. It never reaches the host page's links under the panel.
        if (place.outer === "body") {
          expect(place.deep, `after ${key} #${i + 1}`).toBe("body");
          leftToBrowser++;
          continue;
        }
        expect(place, `after ${key} #${i + 1}`).toMatchObject({ outer: "ai-chat-stream", inShadow: true });
        visited.add(place.deep);
      }
    }
    // It cycled through the panel rather than sticking on one part.
    expect(visited.size).toBeGreaterThanOrEqual(2);
    // At most once per pass over the panel's parts.
    expect(leftToBrowser).toBeLessThanOrEqual(2 * Math.ceil((stops * 2 + 2) / (stops + 1)));

    await page.keyboard.press("Escape");
    await expect
      .poll(() => page.locator("ai-chat-stream dialog.panel").evaluate((d) => (d as HTMLDialogElement).open))
      .toBe(false);
    await expect.poll(async () => (await focusPlace(page)).deep).toBe("button[launcher]");
    expect((await focusPlace(page)).outer).toBe("ai-chat-stream");
    await page.context().close();
  });

  it("at 1280×800 the panel is not modal: Tab moves on to the host page's link after the widget", async () => {
    const page = await openLauncherPage({ width: 1280, height: 800 });
    expect(await page.locator("ai-chat-stream dialog.panel").evaluate((d) => d.matches(":modal"))).toBe(false);
    // It floats above the launcher in the corner, not at the browser's default spot for a dialog.
    const panel = await page.locator("ai-chat-stream dialog.panel").boundingBox();
    const launcher = await page.locator("ai-chat-stream [part=launcher]").boundingBox();
    expect(Math.abs(panel!.x + panel!.width - (launcher!.x + launcher!.width))).toBeLessThan(30);
    expect(panel!.y + panel!.height).toBeLessThan(launcher!.y);
    const stops = await panelTabStops(page);
    const places: string[] = [];
    for (let i = 0; i < stops + 3; i++) {
      await page.keyboard.press("Tab");
      places.push((await focusPlace(page)).outer);
    }
    expect(places).toContain("a#after");
    await page.context().close();
  });
});
