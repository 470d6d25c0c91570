// Scenarios 1-3, 6 and 7 of the end-to-end suite: a reply streams to the driver and to every
// observer, survives a reload and a cut connection, can be stopped, and recovers from a
// provider failure. Real Chromium, the local backend on free ports, the built IIFE widget;
// only the model provider is fake.
import { describe, expect, it } from "vitest";
import {
  OPERATOR_SECRET,
  ARTIFACTS,
  collapse,
  events,
  expectReplyOnlyGrew,
  openChat,
  openObserver,
  persisted,
  sendPrompt,
  shareToken,
  threadOf,
  useSystem,
  visibleReplies,
  waitForEnd,
  waitForReplyText,
} from "./helpers.ts";
import { LONG_REPLY, SHORT_REPLY, startSystemWithProvider } from "./provider.ts";

const system = useSystem(() => startSystemWithProvider());

describe("a visitor's reply", () => {
  it("streams in the driver and live in an observer and the operator console, all ending equal to the persisted text", async () => {
    const driver = await openChat(system());
    await sendPrompt(driver, "Tell me about streaming, held halfway please");
    await waitForReplyText(driver, 20);
    const threadId = await threadOf(driver);

    // An observer joins mid-reply with a read-only token and follows it live.
    const observer = await openObserver(system(), threadId, await shareToken(driver));
    await waitForReplyText(observer, 40);

    // The operator signs in (typing the secret), finds the live thread first, and opens it.
    const operator = await (await system().browser.newContext()).newPage();
    await operator.goto(`${system().origin}/pages/operator.html`);
    await operator.getByLabel("Operator secret").fill(OPERATOR_SECRET);
    await operator.getByRole("button", { name: "Sign in" }).click();
    const firstRow = operator.locator("ai-chat-console [part~='thread']").first();
    await expect.poll(() => firstRow.textContent(), { timeout: 10_000 }).toContain("Tell me about streaming");
    await firstRow.click();
    await waitForReplyText(operator, 60);
    const midDriver = (await visibleReplies(driver)).at(-1)!;
    expect(collapse(LONG_REPLY).length).toBeGreaterThan(midDriver.length); // still streaming when the observer saw text
    system().provider.releaseHeld();

    const end = await waitForEnd(driver);
    expect(end.status).toBe("done");
    expect(end.driven).toBeUndefined(); // start events carry `driven`; end events carry status + text
    const starts = await events(driver, "ai-chat-stream-start");
    expect(starts[0]?.driven).toBe(true);

    const [, reply] = await persisted(system(), threadId);
    expect(reply.status).toBe("done");
    expect(reply.text).toBe(LONG_REPLY);
    expect(end.text).toBe(LONG_REPLY);

    await expect
      .poll(async () => (await visibleReplies(observer)).at(-1), { timeout: 10_000 })
      .toBe(collapse(LONG_REPLY));
    await expect
      .poll(async () => (await visibleReplies(operator)).at(-1), { timeout: 10_000 })
      .toBe(collapse(LONG_REPLY));
    expect((await visibleReplies(driver)).at(-1)).toBe(collapse(LONG_REPLY));
    await expectReplyOnlyGrew(driver);
    await expectReplyOnlyGrew(observer);
    // The secret was typed, and is nowhere a page script can read: no attribute, own property
    // or storage value of any element, shadow roots included.
    const attributesWithSecret = await operator.evaluate((secret) => {
      const hits: string[] = [];
      const props = (where: string, obj: object) => {
        for (const k of Object.getOwnPropertyNames(obj)) {
          try {
            const v = (obj as Record<string, unknown>)[k];
            if (typeof v === "string" && v.includes(secret)) hits.push(`${where}.${k}`);
          } catch {
            // a throwing getter holds nothing readable
          }
        }
      };
      const walk = (root: Document | ShadowRoot) => {
        for (const el of root.querySelectorAll("*")) {
          for (const a of el.attributes) if (a.value.includes(secret)) hits.push(`${el.tagName}[${a.name}]`);
          props(el.tagName, el);
          if (el.shadowRoot) walk(el.shadowRoot);
        }
      };
      walk(document);
      for (const [name, storage] of [
        ["localStorage", localStorage],
        ["sessionStorage", sessionStorage],
      ] as const) {
        for (let i = 0; i < storage.length; i++)
          if (storage.getItem(storage.key(i)!)!.includes(secret)) hits.push(name);
      }
      return hits;
    }, OPERATOR_SECRET);
    expect(attributesWithSecret).toEqual([]);
    await driver.screenshot({ path: `${ARTIFACTS}/driver-done.png` });
    await operator.screenshot({ path: `${ARTIFACTS}/operator-console.png` });
    for (const page of [driver, observer, operator]) await page.context().close();
  });

  it("continues live after the driver reloads mid-reply, to the same final text", async () => {
    const page = await openChat(system());
    await sendPrompt(page, "slow reply that I will reload");
    await waitForReplyText(page, 30);
    const threadId = await threadOf(page);

    await page.reload();
    // Restored from localStorage: the prompt, and the reply still streaming in.
    await expect.poll(() => page.getByText("slow reply that I will reload").count()).toBeGreaterThan(0);
    await waitForEnd(page);
    const [, reply] = await persisted(system(), threadId);
    expect(reply.text).toBe(LONG_REPLY);
    expect((await visibleReplies(page)).at(-1)).toBe(collapse(LONG_REPLY));
    await expectReplyOnlyGrew(page);
    await page.context().close();
  });

  it("hands over to the subscription when the HTTP stream is cut mid-reply, never shrinking or doubling", async () => {
    const context = await system().browser.newContext();
    // The network drops the reply body after its first 120 bytes.
    await context.addInitScript(() => {
      const realFetch = window.fetch.bind(window);
      window.fetch = async (input, init) => {
        const response = await realFetch(input, init);
        // The reply's POST only: the warm-up GET (its proof-of-work challenge) goes through whole.
        const isReply =
          String(input instanceof Request ? input.url : input).endsWith("/chat-stream") && init?.method === "POST";
        if (!isReply || !response.body) return response;
        const reader = response.body.getReader();
        let sent = 0;
        const cut = new ReadableStream<Uint8Array>({
          async pull(controller) {
            const { value, done } = await reader.read();
            if (done) return controller.close();
            sent += value.byteLength;
            controller.enqueue(value);
            if (sent >= 120) {
              void reader.cancel();
              controller.error(new TypeError("network connection lost"));
            }
          },
        });
        (window as any).__cut = true;
        return new Response(cut, { status: response.status, headers: response.headers });
      };
    });
    const page = await openChat(system(), context);
    await sendPrompt(page, "slow reply over a flaky network");
    const end = await waitForEnd(page);
    expect(await page.evaluate(() => (window as any).__cut)).toBe(true);
    expect(end.status).toBe("done");
    expect(end.text).toBe(LONG_REPLY);
    expect((await visibleReplies(page)).at(-1)).toBe(collapse(LONG_REPLY));
    await expectReplyOnlyGrew(page);
    await context.close();
  });

  it("stops mid-reply: partial text kept, status stopped, and the observer agrees", async () => {
    const driver = await openChat(system());
    await sendPrompt(driver, "slow reply I will stop");
    await waitForReplyText(driver, 30);
    const threadId = await threadOf(driver);
    const observer = await openObserver(system(), threadId, await shareToken(driver));

    await driver.getByRole("button", { name: "Stop" }).click();
    const end = await waitForEnd(driver);
    expect(end.status).toBe("stopped");

    const [, reply] = await persisted(system(), threadId);
    expect(reply.status).toBe("stopped");
    expect(reply.text.length).toBeGreaterThan(0);
    expect(reply.text.length).toBeLessThan(LONG_REPLY.length);
    expect(LONG_REPLY.startsWith(reply.text)).toBe(true);
    expect(end.text).toBe(reply.text);
    await expect.poll(async () => (await visibleReplies(driver)).at(-1)).toContain(collapse(reply.text));
    await expect
      .poll(async () => (await visibleReplies(observer)).at(-1), { timeout: 10_000 })
      .toContain(collapse(reply.text));
    await expect
      .poll(() => observer.locator("ai-chat-stream .row.assistant").last().getAttribute("data-status"))
      .toBe("stopped");
    // The composer is usable again.
    await expect.poll(() => driver.getByRole("button", { name: "Send" }).count()).toBe(1);
    await driver.context().close();
    await observer.context().close();
  });

  it("marks a reply the provider cut off on its bubble, and Retry regenerates it in place: one question, one answer", async () => {
    const page = await openChat(system());
    await sendPrompt(page, "fail-once please");
    const failed = await waitForEnd(page);
    expect(failed.status).toBe("error");
    // Marked on the bubble itself, in plain words, and reported with its code.
    const marker = page.locator("ai-chat-stream [part=reply-error]");
    await expect.poll(() => marker.textContent()).toContain("The reply could not be completed.");
    expect((await events(page, "ai-chat-error")).map((e) => e.code)).toContain("REPLY_FAILED");
    await page.screenshot({ path: `${ARTIFACTS}/provider-error.png` });

    // Retry generates the reply again in place: one question, one answer.
    await marker.getByRole("button", { name: "Retry" }).click();
    const retried = await waitForEnd(page, 2);
    expect(retried.status).toBe("done");
    expect(retried.text).toBe(SHORT_REPLY);
    // The operator's read keeps the failed attempt, marked as replaced by the new reply.
    const messages = await persisted(system(), await threadOf(page));
    expect(messages.map((m) => [m.role, m.status, m.supersededBy === messages[2]?._id])).toEqual([
      ["user", "done", false],
      ["assistant", "error", true],
      ["assistant", "done", false],
    ]);
    expect(messages.map((m) => m.text)).toEqual(["fail-once please", expect.any(String), SHORT_REPLY]);
    expect(await visibleReplies(page)).toEqual([collapse(SHORT_REPLY)]);
    expect(await page.locator("ai-chat-stream .row.user").count()).toBe(1);
    await expect.poll(() => marker.count()).toBe(0);
    await expect.poll(() => page.getByRole("alert").count()).toBe(0);
    await page.context().close();
  });
});
