// A driver that dies mid-reply (a deployment restart, a push, the action's time or memory
// limit) must not hold its thread: the reply's lease lapses, the reply ends as `error` keeping
// its text, the widget shows that end, and the visitor can send again. The driving HTTP action
// is killed on the local backend as a restart kills it (LocalBackend.killActions()).
import { describe, expect, it } from "vitest";
import { REPLY_ERRORS } from "../../convex/lib/errors.ts";
import { STOP_GRACE_MS } from "../../convex/lib/replies.ts";
import { defaultStrings } from "../../src/strings.ts";
import {
  collapse,
  events,
  openChat,
  persisted,
  sendPrompt,
  threadOf,
  useSystem,
  visibleReplies,
  waitForEnd,
  waitForReplyText,
} from "./helpers.ts";
import { LONG_REPLY, SHORT_REPLY, startSystemWithProvider } from "./provider.ts";

/** Short enough for a test, long enough for several heartbeats (the minimum is 5 s). */
const LEASE_MS = 6_000;
/** The lease check is a scheduled function; on 2 busy cores it may start a little late. */
const SCHEDULING_SLACK_MS = 3_000;

describe("a driver that dies mid-reply", () => {
  const system = useSystem(() => startSystemWithProvider({ REPLY_LEASE_MS: String(LEASE_MS) }));

  it("ends the reply within the lease, keeping its text, and the visitor can send again", async () => {
    const page = await openChat(system());
    // "held": the model stops sending halfway, so the reply is mid-stream whenever we kill it.
    await sendPrompt(page, "held reply whose driver dies");
    const shown = await waitForReplyText(page, 40);
    expect(LONG_REPLY.startsWith(shown.replace(/\s+$/, ""))).toBe(true);

    expect(system().killActions()).toBe(1);
    const killedAt = Date.now();
    const end = await waitForEnd(page, 1, LEASE_MS + SCHEDULING_SLACK_MS);
    const endedAfterMs = Date.now() - killedAt;

    expect(end.status).toBe("error");
    expect(endedAfterMs).toBeLessThanOrEqual(LEASE_MS + SCHEDULING_SLACK_MS);
    const threadId = await threadOf(page);
    const [, reply] = await persisted(system(), threadId);
    expect(reply).toMatchObject({ status: "error", error: REPLY_ERRORS.driverLost });
    // The text persisted before the kill is kept, and it is what the widget shows.
    expect(reply!.text.length).toBeGreaterThan(0);
    expect(LONG_REPLY.startsWith(reply!.text)).toBe(true);
    await expect.poll(async () => (await visibleReplies(page)).at(-1), { timeout: 5_000 }).toBe(collapse(reply!.text));
    // The visitor sees the failure once, on the reply itself; the page's script gets the detail.
    const failedNote = page.locator("ai-chat-stream .row.assistant").last().locator(".note.failed");
    await expect.poll(() => failedNote.textContent(), { timeout: 5_000 }).toContain(defaultStrings.replyError);
    expect(await events(page, "ai-chat-error")).toContainEqual(
      expect.objectContaining({ code: "REPLY_FAILED", message: REPLY_ERRORS.driverLost }),
    );

    await sendPrompt(page, "short one after the lost reply");
    const next = await waitForEnd(page, 2, 30_000);
    expect(next.status).toBe("done");
    expect((await persisted(system(), threadId)).map((m) => m.status)).toEqual(["done", "error", "done", "done"]);
    expect((await visibleReplies(page)).at(-1)).toBe(collapse(SHORT_REPLY));
    expect((await events(page, "ai-chat-error")).map((e) => e.code)).not.toContain("REPLY_IN_PROGRESS");
    await page.context().close();
  });
});

describe("stopping a reply whose driver died", () => {
  const system = useSystem(() => startSystemWithProvider()); // the default 30 s lease

  it("ends it within seconds, not when the 30 s lease lapses", async () => {
    const page = await openChat(system());
    await sendPrompt(page, "held reply stopped after its driver dies");
    await waitForReplyText(page, 40);
    expect(system().killActions()).toBe(1);

    const stoppedAt = Date.now();
    await page.getByRole("button", { name: "Stop" }).click();
    const end = await waitForEnd(page, 1, STOP_GRACE_MS + SCHEDULING_SLACK_MS);
    expect(end.status).toBe("stopped");
    expect(Date.now() - stoppedAt).toBeLessThan(STOP_GRACE_MS + SCHEDULING_SLACK_MS);
    const [, reply] = await persisted(system(), await threadOf(page));
    expect(reply).toMatchObject({ status: "stopped", error: null });
    expect(reply!.text.length).toBeGreaterThan(0);
    expect(LONG_REPLY.startsWith(reply!.text)).toBe(true);
    await page.context().close();
  });
});
