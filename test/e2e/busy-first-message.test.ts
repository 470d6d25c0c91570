// A busy deployment never turns a first message away (issue 21): with every HTTP-action slot taken,
// a new visitor's first POST is refused for load (429 TooManyConcurrentRequests, as a deployment
// answers it); the widget queues the same prompt over the socket with the queue ticket its warm-up
// brought (and the proof of work the refused POST carried), shows "Queued…" while the reply waits
// for a slot, and then shows it stream through its subscription. The local backend runs with one
// action slot (LOCAL_MAX_CONCURRENT_ACTIONS=1: HTTP actions share it), held by another visitor's reply.
import type { BrowserContext } from "playwright-core";
import { describe, expect, it } from "vitest";
import { defaultStrings } from "../../src/strings.ts";
import {
  collapse,
  openChat,
  persisted,
  sendPrompt,
  threadOf,
  useSystem,
  visibleReplies,
  waitForEnd,
  waitForReplyText,
} from "./helpers.ts";
import { startFakeSiteverify } from "../support/fake-providers.ts";
import { SHORT_REPLY, startSystemWithProvider } from "./provider.ts";

/** The deployment's limits for this file only: read by the backend when it starts. */
async function startBusySystem(
  limits: Record<string, string> = { LOCAL_MAX_CONCURRENT_ACTIONS: "1" },
  env: Record<string, string> = {},
) {
  const names = { ...limits, LOCAL_ACTION_CONCURRENCY_WAIT_MS: "300" };
  Object.assign(process.env, names);
  try {
    return await startSystemWithProvider(env);
  } finally {
    for (const name of Object.keys(names)) delete process.env[name];
  }
}

const TURNSTILE_PASS = "e2e-pass-visitor";

/** Cloudflare's widget, stood in for on every page of `context`: the check passes at once with `pass`. */
async function standInTurnstile(context: BrowserContext, pass: string) {
  await context.addInitScript((token) => {
    (window as unknown as { turnstile: unknown }).turnstile = {
      render: (_el: HTMLElement, params: { callback: (token: string) => void }) => {
        setTimeout(() => params.callback(token), 0);
        return "stand-in";
      },
      remove: () => {},
    };
  }, pass);
}

describe("a new visitor's first message on a busy deployment", () => {
  const system = useSystem(startBusySystem);

  it("is queued over the socket with the warm-up's ticket, shows Queued…, then streams and ends done", async () => {
    // The new visitor opens the chat while the deployment is idle: the warm-up brings a ticket.
    const page = await openChat(system());
    const warmedUp = () =>
      page.evaluate(() => performance.getEntriesByType("resource").some((e) => e.name.endsWith("/chat-stream")));
    await expect.poll(warmedUp, { timeout: 10_000 }).toBe(true);
    // Each POST's answer: its status, or "failed" (the refusal has no CORS headers: to a page on
    // another origin it is a failed fetch).
    const posts: (number | "failed")[] = [];
    const isPost = (r: { method(): string; url(): string }) =>
      r.method() === "POST" && r.url().endsWith("/chat-stream");
    page.on("response", (r) => {
      if (isPost(r.request())) posts.push(r.status());
    });
    page.on("requestfailed", (r) => {
      if (isPost(r)) posts.push("failed");
    });

    // Another visitor's reply takes the one slot and holds it (the model pauses halfway).
    const other = await openChat(system());
    await sendPrompt(other, "held reply that keeps the deployment busy");
    await waitForReplyText(other, 40);

    await sendPrompt(page, "short one while the deployment is busy");
    const queued = page.locator("ai-chat-stream").getByText(defaultStrings.queued);
    await expect.poll(() => queued.count(), { timeout: 20_000 }).toBeGreaterThan(0);
    // Refused for load, every time: the reply is not this page's POST.
    expect(posts.length).toBeGreaterThan(0);
    expect(posts.every((s) => s === 429 || s === "failed")).toBe(true);
    const threadId = await threadOf(page);
    expect((await persisted(system(), threadId)).map((m) => [m.role, m.status])).toEqual([
      ["user", "done"],
      ["assistant", "pending"],
    ]);

    // The slot frees: the queued reply is generated in the background and followed here.
    system().provider.releaseHeld();
    const end = await waitForEnd(page, 1, 30_000);
    expect(end.status).toBe("done");
    expect((await visibleReplies(page)).at(-1)).toBe(collapse(SHORT_REPLY));
    expect(await queued.count()).toBe(0);
    const [, reply] = await persisted(system(), threadId);
    expect(reply).toMatchObject({ status: "done", text: SHORT_REPLY });
    expect(posts.every((s) => s === 429 || s === "failed")).toBe(true);
    await other.context().close();
    await page.context().close();
  });
});

describe("a new visitor's first message on a busy deployment with Turnstile on", () => {
  let siteverify: Awaited<ReturnType<typeof startFakeSiteverify>>;
  // One HTTP-action slot, held by another visitor's reply; actions still have room.
  const system = useSystem(async () => {
    // Cloudflare's siteverify: each `e2e-pass-…` token passes, once.
    siteverify = await startFakeSiteverify((token) => token.startsWith("e2e-pass-"));
    const started = await startBusySystem(
      { LOCAL_MAX_CONCURRENT_ACTIONS: "4", LOCAL_MAX_CONCURRENT_HTTP_ACTIONS: "1" },
      { TURNSTILE_SECRET_KEY: "e2e-turnstile-secret", TURNSTILE_VERIFY_URL: siteverify.url },
    );
    const closeSystem = started.close;
    return Object.assign(started, {
      async close() {
        await closeSystem();
        await siteverify.close();
      },
    });
  });

  it("passes the check with the token its refused POST carried (chat:checkHuman), then queues and streams", async () => {
    const context = await system().browser.newContext();
    await standInTurnstile(context, TURNSTILE_PASS);
    const page = await openChat(system(), context);
    await page.locator("ai-chat-stream").evaluate((el) => el.setAttribute("turnstile-site-key", "e2e-site-key"));
    const posts: number[] = [];
    page.on("response", (r) => {
      if (r.request().method() === "POST" && r.url().endsWith("/chat-stream")) posts.push(r.status());
    });
    // The other visitor (checked too) takes the one HTTP-action slot and holds it.
    const otherContext = await system().browser.newContext();
    await standInTurnstile(otherContext, "e2e-pass-other");
    const other = await openChat(system(), otherContext);
    await other.locator("ai-chat-stream").evaluate((el) => el.setAttribute("turnstile-site-key", "e2e-site-key"));
    await sendPrompt(other, "held reply that keeps the deployment busy");
    await waitForReplyText(other, 40);

    await sendPrompt(page, "short one while the deployment is busy");
    const end = await waitForEnd(page, 1, 30_000);
    expect(end.status).toBe("done");
    expect((await visibleReplies(page)).at(-1)).toBe(collapse(SHORT_REPLY));
    // Its POSTs were refused for load before any check ran: siteverify saw its token once, from
    // chat:checkHuman.
    expect(posts.every((s) => s === 429)).toBe(true);
    expect(siteverify.asked.filter((t) => t === TURNSTILE_PASS)).toHaveLength(1);
    const threadId = await threadOf(page);
    const [, reply] = await persisted(system(), threadId);
    expect(reply).toMatchObject({ status: "done", text: SHORT_REPLY });
    system().provider.releaseHeld();
    await otherContext.close();
    await context.close();
  });
});
