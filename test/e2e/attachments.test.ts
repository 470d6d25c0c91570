// A visitor's image, end to end: a new visitor attaches a PNG drawn on a canvas in their page
// through the widget's attach button (the attach part mints their token, uploads to
// POST /chat-upload, shows a chip) and sends it with a prompt; the model request carries it as an
// image part, the reply completes, and its thumbnail loads in the visitor's widget, an observer's
// and the operator console ([part~="attachment"], the lazily loaded attachments part).
import { describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import {
  OPERATOR_SECRET,
  openChat,
  openObserver,
  sendPrompt,
  shareToken,
  threadOf,
  useSystem,
  waitForEnd,
  whatThePageSaw,
} from "./helpers.ts";
import { startSystemWithProvider } from "./provider.ts";

const system = useSystem(() => startSystemWithProvider());

/** Waits until the message's thumbnail has loaded (decoded, not a broken image). */
async function thumbnailLoads(page: Page) {
  const img = page.locator("ai-chat-stream [part~='attachment'][part~='image'] img").first();
  await img.waitFor({ state: "attached", timeout: 10_000 });
  await expect
    .poll(() => img.evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth), { timeout: 10_000 })
    .toBe(8);
  expect(await img.getAttribute("alt")).toMatch(/^dot\.png, \d+ B$/);
}

describe("attachments", () => {
  it("a new visitor attaches an image made in the page with the attach button and sends it: it reaches the model and shows for the visitor, an observer and the operator", async () => {
    const driver = await openChat(system());
    // The PNG is drawn in the visitor's page, then chosen in the file picker the attach button opens.
    const base64 = await driver.evaluate(async () => {
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 8;
      const g = canvas.getContext("2d")!;
      g.fillStyle = "#e11d48";
      g.fillRect(0, 0, 8, 8);
      return canvas.toDataURL("image/png").split(",")[1]!;
    });
    const chooser = driver.waitForEvent("filechooser");
    await driver.getByRole("button", { name: "Attach files" }).click();
    await (await chooser).setFiles({ name: "dot.png", mimeType: "image/png", buffer: Buffer.from(base64, "base64") });
    const chip = driver.locator("ai-chat-stream [part=attachment-chip]");
    await expect
      .poll(() => chip.count(), { timeout: 10_000 })
      .toBe(1)
      .catch(async (e: unknown) => {
        // Seen once in CI (no chip after 10 s): say what the page saw, for the next time.
        throw new Error(`no attachment chip. ${await whatThePageSaw(driver)}`, { cause: e });
      });
    await expect
      .poll(() => chip.locator("img").evaluate((el: HTMLImageElement) => el.complete && el.naturalWidth), {
        timeout: 10_000,
      })
      .toBe(8);
    // Sent before its upload may have finished: the send waits for it.
    await sendPrompt(driver, "short: what colour?");
    await waitForEnd(driver);
    const threadId = await threadOf(driver);
    await expect.poll(() => chip.count()).toBe(0);

    const request = system().provider.requests.at(-1)!;
    const content = request.body.messages.at(-1).content as { type: string; image_url?: { url: string } }[];
    expect(content[0]!.type).toBe("image_url");
    expect(content[0]!.image_url!.url).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
    expect(request.completed).toBe(true);

    await thumbnailLoads(driver);
    await thumbnailLoads(await openObserver(system(), threadId, await shareToken(driver)));

    const operator = await (await system().browser.newContext()).newPage();
    await operator.goto(`${system().origin}/pages/operator.html`);
    await operator.getByLabel("Operator secret").fill(OPERATOR_SECRET);
    await operator.getByRole("button", { name: "Sign in" }).click();
    await operator.locator("ai-chat-console [part~='thread']").first().click();
    await thumbnailLoads(operator);
  });
});
