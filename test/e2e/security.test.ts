// Scenarios 4 and 5: a thread ID alone grants nothing, observer tokens are read-only, and a
// model that answers with hostile Markdown/HTML cannot run code, fetch images or plant
// unsafe links in the visitor's page.
import { ConvexError } from "convex/values";
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  collapse,
  events,
  openChat,
  persisted,
  sendPrompt,
  shareToken,
  threadOf,
  useSystem,
  visibleReplies,
  waitForEnd,
} from "./helpers.ts";
import { SHORT_REPLY, startSystemWithProvider } from "./provider.ts";

let sink: Server;
let sinkOrigin: string;
const sinkHits: string[] = [];

beforeAll(async () => {
  // Anything the hostile reply tries to load points here, on loopback, so a fetch is caught.
  sink = createServer((req, res) => {
    sinkHits.push(req.url ?? "");
    res.writeHead(200, { "content-type": "image/png" }).end();
  });
  await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));
  sinkOrigin = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => sink?.close(r));
});
const system = useSystem(() => startSystemWithProvider({}, sinkOrigin));

const send = makeFunctionReference<"mutation", { threadId: string; token?: string; prompt: string }>("messages:send");
const remove = makeFunctionReference<"mutation", { threadId: string; token?: string }>("threads:remove");
const share = makeFunctionReference<"mutation", { threadId: string; token?: string }>("threads:share");

async function expectUnauthorized(call: Promise<unknown>): Promise<void> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConvexError);
  expect((error as ConvexError<{ code: string }>).data.code).toBe("UNAUTHORIZED");
}

describe("access control across visitors", () => {
  it("keeps two visitors' threads apart, even when one sets the other's thread attribute", async () => {
    const alice = await openChat(system());
    await sendPrompt(alice, "short secret plans of alice");
    await waitForEnd(alice);
    const aliceThread = await threadOf(alice);

    const bob = await openChat(system()); // a separate browser context: separate storage
    await bob.locator("ai-chat-stream").evaluate((el, id) => el.setAttribute("thread", id), aliceThread);
    // Bob's widget asks for Alice's thread with Bob's (absent) token: the backend refuses.
    await expect
      .poll(async () => (await events(bob, "ai-chat-error")).some((e) => e.code === "UNAUTHORIZED"), {
        timeout: 10_000,
      })
      .toBe(true);
    expect(await bob.getByText("secret plans of alice").count()).toBe(0);
    expect(await visibleReplies(bob)).toEqual([]);

    // Bob then chats himself; his token still does not open Alice's thread.
    await bob.locator("ai-chat-stream").evaluate((el) => (el as any).newConversation());
    await sendPrompt(bob, "short hello from bob");
    await waitForEnd(bob);
    const bobToken = await bob.evaluate(() => {
      const key = Object.keys(localStorage).find((k) => k.startsWith("ai-chat-stream"))!;
      return JSON.parse(localStorage.getItem(key)!).token as string;
    });
    const client = new ConvexHttpClient(system().convexUrl);
    await expectUnauthorized(
      client.query(makeFunctionReference<"query">("messages:list"), { threadId: aliceThread, token: bobToken }),
    );
    await expectUnauthorized(client.mutation(send, { threadId: aliceThread, token: bobToken, prompt: "hijack" }));
    expect((await persisted(system(), aliceThread)).map((m) => m.text)).not.toContain("hijack");
    await alice.context().close();
    await bob.context().close();
  });

  it("gives an observer token reads only: it cannot send, delete or mint more tokens", async () => {
    const visitor = await openChat(system());
    await sendPrompt(visitor, "short question to share");
    await waitForEnd(visitor);
    const threadId = await threadOf(visitor);
    const observerToken = await shareToken(visitor);

    const client = new ConvexHttpClient(system().convexUrl);
    const messages = await client.query(
      makeFunctionReference<"query", { threadId: string; token?: string }, { text: string }[]>("messages:list"),
      { threadId, token: observerToken },
    );
    expect(messages.at(-1)?.text).toBe(SHORT_REPLY);
    await expectUnauthorized(client.mutation(send, { threadId, token: observerToken, prompt: "sneaky" }));
    await expectUnauthorized(client.mutation(remove, { threadId, token: observerToken }));
    await expectUnauthorized(client.mutation(share, { threadId, token: observerToken }));
    expect(await persisted(system(), threadId)).toHaveLength(2);

    // The observer view has no composer at all.
    const observer = await (await system().browser.newContext()).newPage();
    await observer.goto(
      `${system().origin}/pages/observe.html#${new URLSearchParams({ thread: threadId, token: observerToken })}`,
    );
    await expect.poll(async () => (await visibleReplies(observer)).at(-1)).toBe(collapse(SHORT_REPLY));
    expect(await observer.getByRole("textbox").count()).toBe(0);
    await visitor.context().close();
    await observer.context().close();
  });
});

describe("hostile model output", () => {
  it("renders inert: nothing executes, no external image is requested, links are safe", async () => {
    const page = await openChat(system());
    const dialogs: string[] = [];
    page.removeAllListeners("dialog");
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.evaluate(() => {
      (window as any).__alerts = 0;
      window.alert = () => void ((window as any).__alerts += 1);
    });

    await sendPrompt(page, "hostile please");
    const end = await waitForEnd(page);
    expect(end.status).toBe("done");
    await page.waitForTimeout(300); // let any injected handler or lazy load fire, if one slipped through
    await page.screenshot({ path: "test-artifacts/hostile.png" });

    expect(dialogs).toEqual([]);
    expect(await page.evaluate(() => (window as any).__alerts)).toBe(0);
    expect(sinkHits).toEqual([]);
    expect(requests.filter((u) => u.startsWith(sinkOrigin))).toEqual([]);

    const bubble = page.locator("ai-chat-stream .row.assistant .bubble.markdown").last();
    // The heading and the safe links made it; the blocked image shows as a link with its alt text.
    await expect.poll(() => bubble.locator("h1").count()).toBe(1);
    expect(await bubble.locator("script, iframe, form, svg script, object, embed, img[src^='http']").count()).toBe(0);
    const handlers = await bubble.evaluate((root) =>
      [...root.querySelectorAll("*")].flatMap((el) =>
        [...el.attributes].filter((a) => a.name.startsWith("on")).map((a) => `${el.tagName}[${a.name}]`),
      ),
    );
    expect(handlers).toEqual([]);
    // An unsafe URL loses its href (an inert <a> is plain text); every remaining link is safe.
    expect(
      await bubble.locator("a[href^='javascript'], a[href^='data'], [href^='javascript'], [src^='data']").count(),
    ).toBe(0);
    const links = await bubble.locator("a[href]").evaluateAll((as) =>
      as.map((a) => ({
        href: a.getAttribute("href") ?? "",
        rel: a.getAttribute("rel") ?? "",
        target: a.getAttribute("target"),
      })),
    );
    expect(links.length).toBeGreaterThanOrEqual(2);
    for (const link of links) {
      expect(link.href).toMatch(/^(https?:|mailto:)/);
      if (link.href.startsWith("http")) {
        expect(link.target).toBe("_blank");
        expect(link.rel.split(" ")).toEqual(expect.arrayContaining(["noopener", "noreferrer", "nofollow"]));
      }
    }
    expect(links.map((l) => l.href)).toEqual(
      expect.arrayContaining(["https://example.com/docs", "mailto:help@example.com"]),
    );
    expect(await bubble.getByText("exfiltrate").count()).toBeGreaterThan(0);
    await page.context().close();
  });
});
