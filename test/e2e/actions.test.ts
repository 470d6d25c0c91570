// Issue 24, items 2-4 end to end: a visitor rates a reply and regenerates it; the rating survives
// a reload, the regenerate costs one model request and leaves one reply for the prompt, and the
// operator console shows both replies and the rating. Real Chromium, the local backend, the built
// script-tag widget and console; only the model provider is fake.
import { describe, expect, it } from "vitest";
import {
  OPERATOR_SECRET,
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

const system = useSystem(() => startSystemWithProvider());

describe("reply actions", () => {
  it("a rating survives a reload; regenerate makes one model request and replaces the reply; the console shows both and the rating", async () => {
    const page = await openChat(system());
    await sendPrompt(page, "A short answer please");
    await waitForEnd(page);
    const threadId = await threadOf(page);

    // Rate it, with a comment. The event is the class the loader exports (the part uses the chat's).
    type Loader = { AiChatStreamElement: { AiChatFeedbackEvent: typeof Event }; __loadersClass?: boolean };
    await page.evaluate(() =>
      document.addEventListener(
        "ai-chat-feedback",
        (e) => {
          const w = window as unknown as Loader;
          w.__loadersClass ??= e instanceof w.AiChatStreamElement.AiChatFeedbackEvent;
        },
        { once: true },
      ),
    );
    await page.locator("ai-chat-stream [part=feedback-up]").click();
    await expect.poll(() => page.evaluate(() => (window as unknown as Loader).__loadersClass)).toBe(true);
    await page.locator("ai-chat-stream [part=feedback-comment]").fill("Clear");
    await page.locator("ai-chat-stream [part=feedback-send]").click();
    await expect
      .poll(async () => (await events(page, "ai-chat-feedback")).map((e) => e.comment))
      .toEqual([null, "Clear"]);

    await page.reload();
    const up = page.locator("ai-chat-stream [part=feedback-up]");
    await expect.poll(() => up.getAttribute("aria-pressed"), { timeout: 10_000 }).toBe("true");

    // Regenerate: one model request, one reply shown for the prompt.
    const requests = system().provider.requests.length;
    await page.locator("ai-chat-stream [part=regenerate-button]").click();
    await waitForEnd(page);
    expect(system().provider.requests.length).toBe(requests + 1);
    await expect.poll(() => visibleReplies(page)).toEqual([SHORT_REPLY]);
    expect(await page.locator("ai-chat-stream .row.user").count()).toBe(1);
    // The new reply is not rated.
    expect(await page.locator("ai-chat-stream [part=feedback-up]").getAttribute("aria-pressed")).toBe("false");

    const stored = await persisted(system(), threadId);
    expect(stored.map((m) => [m.role, m.status, m.supersededBy === undefined])).toEqual([
      ["user", "done", true],
      ["assistant", "done", false],
      ["assistant", "done", true],
    ]);
    expect(stored[1].feedback).toEqual({ rating: "up", comment: "Clear" });

    // The operator console shows both replies, the old one marked and rated (the action row's
    // part loads from beside the console's one file, not beside the page).
    const operator = await (await system().browser.newContext()).newPage();
    await operator.goto(`${system().origin}/pages/operator.html`);
    await operator.getByLabel("Operator secret").fill(OPERATOR_SECRET);
    await operator.getByRole("button", { name: "Sign in" }).click();
    await operator.locator("ai-chat-console [part~='thread']").first().click();
    await expect.poll(() => visibleReplies(operator), { timeout: 10_000 }).toEqual([SHORT_REPLY, SHORT_REPLY]);
    await expect
      .poll(() => operator.locator("ai-chat-stream [part=feedback-rating]").allTextContents(), { timeout: 10_000 })
      .toEqual([expect.stringMatching(/^\s*Rated good: Clear\s*$/)]);
    expect(await operator.locator("ai-chat-stream [part=replaced]").count()).toBe(1);
    expect(await operator.locator("ai-chat-stream [part=feedback-up]").count()).toBe(0);
  }, 20_000);
});
