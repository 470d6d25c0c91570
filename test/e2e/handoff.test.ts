// Human handoff in real browsers on the local backend, only the model provider fake: an operator
// takes a streaming reply over, talks to the visitor as a person, and hands back; a visitor asks
// for a person; a second operator is refused.
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { ROOT } from "./harness.ts";
import {
  ARTIFACTS,
  OPERATOR_SECRET,
  events,
  openChat,
  openObserver,
  persisted,
  sendPrompt,
  shareToken,
  threadOf,
  useSystem,
  waitForEnd,
  waitForReplyText,
} from "./helpers.ts";
import { startSystemWithProvider } from "./provider.ts";
import type { System } from "./harness.ts";

const system = useSystem(() => startSystemWithProvider());

/** An operator signed in to the console under `name`. */
async function openConsole(sys: System, name: string): Promise<Page> {
  const page = await (await sys.browser.newContext()).newPage();
  await page.goto(`${sys.origin}/pages/operator.html`);
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("Operator secret").fill(OPERATOR_SECRET);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("ai-chat-console [part~='thread']").first().waitFor();
  return page;
}

const AXE = join(ROOT, "node_modules/axe-core/axe.min.js");
type Violation = { id: string; nodes: { target: string[] }[] };

/**
 * axe on the element (`ai-chat-stream` or `ai-chat-console`), in light and in dark, as
 * `{ "scheme rule": [targets] }`; the state is also saved as a screenshot per scheme.
 */
async function axeBothSchemes(page: Page, selector: string, name: string): Promise<Record<string, string[]>> {
  await page.addScriptTag({ path: AXE });
  const found: Record<string, string[]> = {};
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    const violations = await page.evaluate(async (sel) => {
      const { axe } = window as unknown as {
        axe: { run(ctx: Element, o: object): Promise<{ violations: Violation[] }> };
      };
      return (await axe.run(document.querySelector(sel)!, { resultTypes: ["violations"] })).violations;
    }, selector);
    for (const v of violations) found[`${colorScheme} ${v.id}`] = v.nodes.map((n) => n.target.join(" "));
    await page.screenshot({ path: join(ARTIFACTS, `handoff-${name}-${colorScheme}.png`) });
  }
  return found;
}

const operatorRow = (page: Page) => page.locator("ai-chat-stream [part~='message'][part~='operator']");

describe("human handoff", () => {
  it("an operator takes a streaming reply over, talks to the visitor, and hands back", async () => {
    const sys = system();
    const visitor = await openChat(sys);
    await sendPrompt(visitor, "Where is my order? held please");
    await waitForReplyText(visitor, 20);
    const threadId = await threadOf(visitor);
    const observer = await openObserver(sys, threadId, await shareToken(visitor));

    const dana = await openConsole(sys, "Dana");
    await dana.evaluate(
      (id) => (document.querySelector("ai-chat-console") as unknown as { open(id: string): void }).open(id),
      threadId,
    );
    await dana.locator("ai-chat-console [part~='take-over-button']").click();

    // The reply ends `stopped`, its text kept, for the visitor and in the database.
    const end = await waitForEnd(visitor);
    sys.provider.releaseHeld();
    expect(end.status).toBe("stopped");
    expect(end.text!.length).toBeGreaterThan(20);
    const [, stopped] = await persisted(sys, threadId);
    expect(stopped).toMatchObject({ status: "stopped", text: end.text });
    const requestsBefore = sys.provider.requests.length;

    // The operator's message reaches the visitor and the observer within 2 s.
    const reply = dana.locator("ai-chat-console [part~='reply-input']");
    await reply.fill("Hi, I am Dana. Your order ships today.");
    const sentAt = Date.now();
    await reply.press("Enter");
    for (const page of [visitor, observer]) {
      await operatorRow(page).waitFor({ timeout: 2_000 });
      expect(await operatorRow(page).textContent()).toContain("Your order ships today");
      expect(await operatorRow(page).textContent()).toContain("Dana");
    }
    expect(Date.now() - sentAt).toBeLessThan(2_000);
    await dana.locator("ai-chat-console ai-chat-stream [part~='operator']").waitFor({ timeout: 5_000 });
    const joined = (await events(visitor, "ai-chat-handoff")).at(-1);
    expect(joined).toMatchObject({ state: "operator", operatorName: "Dana" });
    // Mid-takeover, both sides pass axe in light and dark.
    expect(await axeBothSchemes(visitor, "ai-chat-stream", "visitor")).toEqual({});
    expect(await axeBothSchemes(dana, "ai-chat-console", "console")).toEqual({});

    // While Dana holds the thread, the visitor's message is stored and no model request is made.
    await sendPrompt(visitor, "Thanks! short one more thing");
    await expect
      .poll(async () => (await persisted(sys, threadId)).at(-1)?.text, { timeout: 5_000 })
      .toBe("Thanks! short one more thing");
    await visitor.waitForTimeout(500);
    expect(sys.provider.requests.length).toBe(requestsBefore);
    expect(await visitor.locator("ai-chat-stream .bubble.thinking").count()).toBe(0);

    // Handed back: the next message gets an AI reply whose request carries Dana's turn.
    await dana.locator("ai-chat-console [part~='hand-back-button']").click();
    await expect.poll(async () => (await events(visitor, "ai-chat-handoff")).at(-1)?.state).toBe("ai");
    await sendPrompt(visitor, "And the invoice? short");
    const second = await waitForEnd(visitor, 2);
    expect(second.status).toBe("done");
    const request = sys.provider.requests.at(-1)!;
    const contents = (request.body.messages as { role: string; content: string }[]).map(
      (m) => `${m.role}: ${m.content}`,
    );
    expect(
      contents.some((c) => c.startsWith("assistant: ") && c.includes("Dana") && c.includes("Your order ships today")),
    ).toBe(true);
    // The console finds the thread by a word only a message holds (the local backend's search
    // index), and its row counts the six messages: two turns, Dana's, the one she got while holding it.
    await dana.locator("ai-chat-console [part~='search']").fill("ships");
    const found = dana.locator(`ai-chat-console [part~='thread'][data-id='${threadId}']`);
    await found.waitFor({ timeout: 5_000 });
    expect(await found.locator("[part~='message-count']").textContent()).toBe("6 messages");
    // Signing out takes Dana offline at once (the next test starts with nobody online).
    await dana.locator("ai-chat-console [part~='sign-out-button']").click();
    for (const page of [visitor, observer, dana]) await page.context().close();
  });

  it("a visitor's requestHuman() puts the thread first with needs-human; a second operator's takeover is refused naming who holds it", async () => {
    const sys = system();
    const visitor = await openChat(sys);
    await sendPrompt(visitor, "A short question first");
    await waitForEnd(visitor);
    const threadId = await threadOf(visitor);
    await visitor.evaluate(() =>
      (document.querySelector("ai-chat-stream") as unknown as { requestHuman(): Promise<void> }).requestHuman(),
    );
    await expect.poll(async () => (await events(visitor, "ai-chat-handoff")).at(-1)?.state).toBe("requested");
    // Nobody is online: the visitor is told so, in plain words, and can keep writing.
    await expect
      .poll(() => visitor.locator("ai-chat-stream [part~='handoff-status']").textContent())
      .toContain("No one is available");
    expect(await axeBothSchemes(visitor, "ai-chat-stream", "requested")).toEqual({});

    const dana = await openConsole(sys, "Dana");
    // An operator came online: the visitor now reads that someone will join.
    await expect
      .poll(() => visitor.locator("ai-chat-stream [part~='handoff-status']").textContent())
      .toContain("Someone will join");
    const first = dana.locator("ai-chat-console [part~='thread']").first();
    await expect.poll(() => first.getAttribute("part")).toContain("needs-human");
    expect(await first.getAttribute("data-id")).toBe(threadId);
    await first.click();
    await dana.locator("ai-chat-console [part~='take-over-button']").click();
    await dana.locator("ai-chat-console [part~='hand-back-button']").waitFor();

    const sam = await openConsole(sys, "Sam");
    const refused = await sam.evaluate(
      (id) =>
        (document.querySelector("ai-chat-console") as unknown as { takeOver(id: string): Promise<boolean> }).takeOver(
          id,
        ),
      threadId,
    );
    expect(refused).toBe(false);
    await sam.evaluate(
      (id) => (document.querySelector("ai-chat-console") as unknown as { open(id: string): void }).open(id),
      threadId,
    );
    await sam.evaluate(
      (id) =>
        (document.querySelector("ai-chat-console") as unknown as { takeOver(id: string): Promise<boolean> }).takeOver(
          id,
        ),
      threadId,
    );
    await expect
      .poll(() => sam.locator("ai-chat-console [part~='handoff-error']").textContent())
      .toContain("Dana is answering");
    for (const page of [visitor, dana, sam]) await page.context().close();
  });
});
