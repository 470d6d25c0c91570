// Past conversations on the local backend, as a visitor uses them: two conversations, the
// history list shows both newest first, the older one opens with its messages, one is deleted
// after the confirmation and is gone from the database too.
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { describe, expect, it } from "vitest";
import { startSystem } from "./harness.ts";
import { openChat, sendPrompt, threadOf, useSystem, waitForEnd } from "./helpers.ts";

const listMine = makeFunctionReference<"query", { token: string }, { _id: string }[]>("threads:listMine");

const system = useSystem(() => startSystem({ DEMO_TOKEN_DELAY_MS: "1" }));

describe("past conversations", () => {
  it("lists two conversations, opens the older one, and deletes one after confirming", async () => {
    const page = await openChat(system());
    const chat = page.locator("ai-chat-stream");
    await sendPrompt(page, "Apples: first conversation");
    await waitForEnd(page, 1);
    const first = await threadOf(page);
    await chat.locator("[part=new-conversation]").click();
    await sendPrompt(page, "Pears: second conversation");
    await waitForEnd(page, 2);
    const second = await threadOf(page);
    expect(second).not.toBe(first);

    await chat.locator("[part=history-button]").click();
    const items = chat.locator("[part=history-item]");
    await expect.poll(() => items.count()).toBe(2);
    expect(await items.nth(0).innerText()).toContain("Pears");
    expect(await items.nth(1).innerText()).toContain("Apples");

    await items.nth(1).locator(".history-open").click();
    await expect.poll(() => chat.getAttribute("thread")).toBe(first);
    await expect.poll(() => chat.locator(".row.user").innerText()).toContain("Apples");

    await chat.locator("[part=history-button]").click();
    await expect.poll(() => items.count()).toBe(2);
    await items.nth(0).locator(".history-delete").click();
    await items.nth(0).getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => items.count()).toBe(1);
    expect(await items.nth(0).innerText()).toContain("Apples");
    // Gone for the visitor's token at the deployment too, not only from the list.
    const token = await page.evaluate(() => {
      for (let i = 0; i < localStorage.length; i++) {
        const value = localStorage.getItem(localStorage.key(i)!) ?? "";
        if (value.includes('"token"')) return (JSON.parse(value) as { token: string }).token;
      }
      return "";
    });
    const listed = await new ConvexHttpClient(system().convexUrl).query(listMine, { token });
    expect(listed.map((t) => t._id)).toEqual([first]);
    await page.context().close();
  });
});
