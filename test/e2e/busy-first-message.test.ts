// A busy deployment never turns a first message away (issue 21): with every HTTP-action slot taken,
// a new visitor's first POST is refused for load (429 TooManyConcurrentRequests, as a deployment
// answers it); the widget queues the same prompt over the socket with the queue ticket its warm-up
// brought (and the proof of work the refused POST carried), shows "Queued…" while the reply waits
// for a slot, and then shows it stream through its subscription. The local backend runs with one
// action slot (LOCAL_MAX_CONCURRENT_ACTIONS=1: HTTP actions share it), held by another visitor's reply.
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
import { SHORT_REPLY, startSystemWithProvider } from "./provider.ts";

/** The deployment's limits for this file only: read by the backend when it starts. */
async function startBusySystem() {
  const names = { LOCAL_MAX_CONCURRENT_ACTIONS: "1", LOCAL_ACTION_CONCURRENCY_WAIT_MS: "300" };
  Object.assign(process.env, names);
  try {
    return await startSystemWithProvider();
  } finally {
    for (const name of Object.keys(names)) delete process.env[name];
  }
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
