// A visitor's image, end to end: a PNG drawn on a canvas in the visitor's page is uploaded to
// POST /chat-upload and sent with a prompt over the widget's own HTTP contract (POST /chat-stream
// with the visitor's token and thread); the model request carries it as an image part, the reply
// completes, and its thumbnail loads in the visitor's widget, an observer's and the operator
// console ([part~="attachment"], the lazily loaded attachments part).
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
  it("an image made in the page reaches the model and shows for the visitor, an observer and the operator", async () => {
    const driver = await openChat(system());
    await sendPrompt(driver, "short first question");
    await waitForEnd(driver);
    const threadId = await threadOf(driver);
    const siteUrl = system().siteUrl;

    const status = await driver.evaluate(
      async ({ siteUrl, threadId }) => {
        const canvas = document.createElement("canvas");
        canvas.width = canvas.height = 8;
        const g = canvas.getContext("2d")!;
        g.fillStyle = "#e11d48";
        g.fillRect(0, 0, 8, 8);
        const png = await new Promise<Blob>((resolve) => canvas.toBlob((b) => resolve(b!), "image/png"));
        const session = Object.keys(localStorage)
          .map((k) => JSON.parse(localStorage.getItem(k)!) as { token?: string; threadId?: string })
          .find((s) => s.threadId === threadId)!;
        const uploaded = await fetch(`${siteUrl}/chat-upload`, {
          method: "POST",
          headers: { Authorization: `Bearer ${session.token}`, "Content-Type": "image/png", "X-File-Name": "dot.png" },
          body: png,
        });
        const { attachmentId } = (await uploaded.json()) as { attachmentId: string };
        const sent = await fetch(`${siteUrl}/chat-stream`, {
          method: "POST",
          body: JSON.stringify({
            prompt: "short: what colour?",
            threadId,
            token: session.token,
            attachments: [attachmentId],
          }),
        });
        await sent.text();
        return [uploaded.status, sent.status];
      },
      { siteUrl, threadId },
    );
    expect(status).toEqual([200, 200]);

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
