// Scenarios 8 and 10: the visitor hits the rate limit and is told how long to wait, losing
// nothing; the backend restarts mid-session and the widget reconnects with history intact.
import { describe, expect, it } from "vitest";
import {
  ARTIFACTS,
  collapse,
  events,
  openChat,
  persisted,
  sendPrompt,
  threadOf,
  useSystem,
  visibleReplies,
  waitForEnd,
} from "./helpers.ts";
import { SHORT_REPLY, startSystemWithProvider } from "./provider.ts";

const system = useSystem(() => startSystemWithProvider({ RATE_LIMIT_MESSAGES_PER_MINUTE: "2" }));

describe("limits and restarts", () => {
  it("tells a rate-limited visitor how long to wait, and keeps their typed message", async () => {
    const page = await openChat(system());
    await sendPrompt(page, "short one");
    await waitForEnd(page, 1);
    await sendPrompt(page, "short two");
    await waitForEnd(page, 2);

    await sendPrompt(page, "short three, over the limit");
    const alert = page.getByRole("alert");
    await expect.poll(() => alert.textContent(), { timeout: 10_000 }).toMatch(/Try again in \d+ s/);
    const seconds = Number(/in (\d+) s/.exec((await alert.textContent())!)![1]);
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(60);
    expect((await events(page, "ai-chat-error")).map((e) => e.code)).toContain("RATE_LIMITED");
    await page.screenshot({ path: `${ARTIFACTS}/rate-limited.png` });

    // Nothing lost: the refused prompt is still in the composer, the transcript is intact.
    expect(await page.getByRole("textbox", { name: "Message" }).inputValue()).toBe("short three, over the limit");
    const messages = await persisted(system(), await threadOf(page));
    expect(messages.map((m) => m.text)).toEqual(["short one", SHORT_REPLY, "short two", SHORT_REPLY]);
    expect(await visibleReplies(page)).toEqual([collapse(SHORT_REPLY), collapse(SHORT_REPLY)]);
    await page.context().close();
  });

  it("reconnects after the backend restarts mid-session, with the history intact", async () => {
    const page = await openChat(system());
    await sendPrompt(page, "short before the restart");
    await waitForEnd(page, 1);
    const threadId = await threadOf(page);

    await system().stopBackend();
    // While it is down the visitor is told, and can still type.
    await expect.poll(() => page.getByText("You are offline").count(), { timeout: 15_000 }).toBe(1);
    await page.screenshot({ path: `${ARTIFACTS}/offline.png` });
    await system().startBackend();
    await expect.poll(() => page.getByText("You are offline").count(), { timeout: 30_000 }).toBe(0);
    await page.getByRole("textbox", { name: "Message" }).fill("short after the restart");
    await page.getByRole("textbox", { name: "Message" }).press("Enter");
    const end = await waitForEnd(page, 2, 45_000);
    expect(end.status).toBe("done");
    expect(await threadOf(page)).toBe(threadId);
    const messages = await persisted(system(), threadId);
    expect(messages.map((m) => m.text)).toEqual([
      "short before the restart",
      SHORT_REPLY,
      "short after the restart",
      SHORT_REPLY,
    ]);

    // A reload after the restart shows the whole conversation from the saved data.
    await page.reload();
    await expect.poll(async () => (await visibleReplies(page)).length, { timeout: 15_000 }).toBe(2);
    expect(await page.getByText("short before the restart").count()).toBe(1);
    await page.context().close();
  });
});
