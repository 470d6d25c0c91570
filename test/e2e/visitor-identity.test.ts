// Who the visitor is, and new requests announced by sound, in real browsers on the local backend:
// the host page sets `visitor` on the widget; the console shows it verified when the site signed
// it (HMAC with VISITOR_IDENTITY_SECRET) and unverified when not; a console with `sound` plays a
// tone when a thread newly needs a person, one without stays silent. The tones are counted by a
// page-level spy on the browser's OscillatorNode.start, nothing of ours is stubbed.
import { createHmac } from "node:crypto";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { ROOT, startSystem, type System } from "./harness.ts";
import { OPERATOR_SECRET, openChat, sendPrompt, threadOf, useSystem, waitForEnd } from "./helpers.ts";

const SECRET = "visitor-identity-secret-for-e2e-0123456789";
const system = useSystem(() => startSystem({ DEMO_TOKEN_DELAY_MS: "1", VISITOR_IDENTITY_SECRET: SECRET }));

/** What the site's server does (docs/visitor-identity.md). */
const sign = (id: string) => createHmac("sha256", SECRET).update(id).digest("hex");

/** A console signed in as `name` (the click on Sign in is the page's first user gesture), counting tones. */
async function openConsole(sys: System, name: string, sound: boolean): Promise<Page> {
  const page = await (await sys.browser.newContext()).newPage();
  await page.addInitScript(() => {
    const w = window as unknown as { __tones: number };
    w.__tones = 0;
    const start = OscillatorNode.prototype.start;
    OscillatorNode.prototype.start = function (this: OscillatorNode, ...args: Parameters<typeof start>) {
      w.__tones++;
      return start.apply(this, args);
    };
  });
  await page.goto(`${sys.origin}/pages/operator.html`);
  if (sound) await page.locator("ai-chat-console").evaluate((el) => el.setAttribute("sound", ""));
  await page.getByLabel("Your name").fill(name);
  await page.getByLabel("Operator secret").fill(OPERATOR_SECRET);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("ai-chat-console [part~='sign-out-button']").waitFor();
  return page;
}

const tones = (page: Page) => page.evaluate(() => (window as unknown as { __tones: number }).__tones);

/** A visitor whose page says who they are, after one message and its reply; returns the thread. */
async function visitorWith(sys: System, visitor: Record<string, unknown>): Promise<{ page: Page; threadId: string }> {
  const page = await openChat(sys);
  await page.locator("ai-chat-stream").evaluate((el, v) => Object.assign(el, { visitor: v }), visitor);
  await sendPrompt(page, "Where is my order?");
  await waitForEnd(page);
  return { page, threadId: await threadOf(page) };
}

async function openThread(page: Page, threadId: string): Promise<void> {
  await page
    .locator("ai-chat-console")
    .evaluate((el, id) => (el as unknown as { open(id: string): void }).open(id), threadId);
}

const AXE = join(ROOT, "node_modules/axe-core/axe.min.js");

/** axe's violations on the console, light and dark, as "scheme rule" names. */
async function axeBothSchemes(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const found: string[] = [];
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    const ids = await page.evaluate(async () => {
      const { axe } = window as unknown as {
        axe: { run(ctx: Element, o: object): Promise<{ violations: { id: string }[] }> };
      };
      const result = await axe.run(document.querySelector("ai-chat-console")!, { resultTypes: ["violations"] });
      return result.violations.map((v) => v.id);
    });
    found.push(...ids.map((id) => `${colorScheme} ${id}`));
  }
  return found;
}

describe("who the visitor is", () => {
  it("the console shows a signed identity as verified and an unsigned or wrongly signed one as unverified; the signature never reaches the DOM", async () => {
    const sys = system();
    const signature = sign("u-1");
    const ada = await visitorWith(sys, {
      id: "u-1",
      name: "Ada Lovelace",
      email: "ada@example.com",
      plan: "pro",
      signature,
    });
    // Someone else's signature: stored and shown, marked unverified.
    const bob = await visitorWith(sys, { id: "guest-7", name: "Bob", signature: sign("u-2") });
    const dana = await openConsole(sys, "Dana", false);

    await openThread(dana, ada.threadId);
    const info = dana.locator("ai-chat-console [part~='visitor-info']");
    await expect.poll(() => info.textContent()).toContain("Ada Lovelace · ada@example.com · u-1");
    expect(await info.locator("[part~='visitor-verified']").textContent()).toBe("Verified");
    const pairs = await info.evaluate((dl) =>
      [...dl.querySelectorAll("div")].map(
        (d) => `${d.querySelector("dt")!.textContent}: ${d.querySelector("dd")!.textContent!.trim()}`,
      ),
    );
    expect(pairs).toContain("plan: pro");
    expect(pairs).toContain("Language: en-US");
    expect(pairs.some((p) => /^Page: 127\.0\.0\.1:\d+$/.test(p))).toBe(true);
    expect(pairs.some((p) => p.startsWith("First seen: "))).toBe(true);
    expect(await axeBothSchemes(dana)).toEqual([]);
    const dom = await dana.locator("ai-chat-console").evaluate((el) => el.shadowRoot!.innerHTML);
    expect(dom).not.toContain(signature);
    expect(await ada.page.content()).not.toContain(signature);

    await openThread(dana, bob.threadId);
    await expect.poll(() => info.locator("[part~='visitor-unverified']").textContent()).toBe("Unverified");
    expect(await info.textContent()).toContain("Bob · guest-7");
    expect(await info.locator("[part~='visitor-verified']").count()).toBe(0);
    expect(await axeBothSchemes(dana)).toEqual([]);
    for (const page of [ada.page, bob.page, dana]) await page.context().close();
  });

  it("a new request for a person plays a tone only in a console with sound on", async () => {
    const sys = system();
    const withSound = await openConsole(sys, "Dana", true);
    const silent = await openConsole(sys, "Sam", false);
    const { page: visitor, threadId } = await visitorWith(sys, { id: "anon-3" });
    expect(await tones(withSound)).toBe(0);
    await visitor.evaluate(() =>
      (document.querySelector("ai-chat-stream") as unknown as { requestHuman(): Promise<void> }).requestHuman(),
    );
    // Both consoles see the request; one chime (two oscillator notes) where sound is on.
    for (const page of [withSound, silent]) {
      await page.locator(`ai-chat-console [part~='needs-human'][data-id="${threadId}"]`).waitFor();
    }
    await expect.poll(() => tones(withSound)).toBe(2);
    expect(await tones(silent)).toBe(0);
    // The same request still waiting is not new: later updates (the visitor writing) stay silent.
    await sendPrompt(visitor, "Anyone there?");
    await waitForEnd(visitor, 2);
    const row = withSound.locator(`ai-chat-console [data-id="${threadId}"] [part~='message-count']`);
    await expect.poll(() => row.textContent()).toContain("4 messages");
    expect(await tones(withSound)).toBe(2);
    for (const page of [visitor, withSound, silent]) await page.context().close();
  });
});
