// The console's header (issue 25): at every width from 320 px up, Sign out is where a click
// lands on it, today's usage is readable whole, and the signed-in operator's name shows.
import { expect, fixture } from "@open-wc/testing";
import { sendKeys, setViewport } from "@web/test-runner-commands";
import type { AiChatConsole } from "../../src/console/ai-chat-console.js";
import type { AiChatStream } from "../../src/shell/ai-chat-stream.js";
import { until } from "./fake-backend.js";
import { $, $$, settle, setup, type Setup } from "./helpers.js";

async function signedInAs(env: Setup, name: string, width: number): Promise<AiChatConsole> {
  const el = await fixture<AiChatConsole>(
    `<ai-chat-console convex-url="${env.url}" style="width: ${width}px"></ai-chat-console>`,
  );
  await settle(el);
  $<HTMLInputElement>(el, "input[name=operator-name]")!.focus();
  await sendKeys({ type: name });
  $<HTMLInputElement>(el, "input[type=password]")!.focus();
  await sendKeys({ type: env.backend.operatorSecret });
  $<HTMLButtonElement>(el, "[part=sign-in-button]")!.click();
  await until(() => el.phase === "signed-in");
  await until(() => $(el, "[part=usage]") !== null);
  await settle(el);
  return el;
}

/** `inner` lies inside `outer` (1 px of rounding allowed). */
function inside(inner: DOMRect, outer: DOMRect): boolean {
  return (
    inner.left >= outer.left - 1 &&
    inner.right <= outer.right + 1 &&
    inner.top >= outer.top - 1 &&
    inner.bottom <= outer.bottom + 1
  );
}

/** The element a click at the middle of `target` lands on, through shadow roots. */
function hit(el: AiChatConsole, target: Element): Element | null {
  const r = target.getBoundingClientRect();
  return el.shadowRoot!.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
}

describe("<ai-chat-console> header", () => {
  let env: Setup;
  beforeEach(() => {
    env = setup();
    env.backend.usageTokens = 1_234_567;
    for (let i = 0; i < 3; i++) env.backend.seedThread(`v${i}`, [[`Question ${i}`, "Answer"]]);
  });
  afterEach(async () => {
    env.restore();
    await setViewport({ width: 800, height: 600 });
  });

  for (const [viewport, width] of [
    [1280, 1240],
    [390, 370],
    [320, 320],
  ] as const) {
    it(`at ${viewport} px, with a thread open, Sign out takes a click, the usage shows whole and the operator's name shows`, async () => {
      await setViewport({ width: viewport, height: 800 });
      const el = await signedInAs(env, "Dana from Support", width);
      $$<HTMLButtonElement>(el, "[part~=thread]")[0]!.click();
      await settle(el);
      await settle($<AiChatStream>(el, "ai-chat-stream")!);
      const sidebar = $(el, "[part=sidebar]")!.getBoundingClientRect();
      const header = $(el, "[part=header]")!;
      const signOut = $<HTMLButtonElement>(el, "[part=sign-out-button]")!;
      const usage = $(el, "[part=usage]")!;
      const who = $(el, "[part=operator]")!;
      for (const part of [header, signOut, usage, who]) {
        expect(
          inside(part.getBoundingClientRect(), sidebar),
          `${part.getAttribute("part")} inside the sidebar`,
        ).to.equal(true);
        expect(part.scrollWidth, `${part.getAttribute("part")} not cut`).to.be.at.most(part.clientWidth + 1);
      }
      expect(hit(el, signOut)).to.equal(signOut);
      expect(usage.textContent).to.contain("1,234,567");
      expect(who.textContent).to.contain("Dana from Support");
      // The keyboard reaches it, and it signs out.
      signOut.focus();
      expect(el.shadowRoot!.activeElement).to.equal(signOut);
      await sendKeys({ press: "Enter" });
      await until(() => el.phase === "signed-out");
    });
  }

  it("a remembered session still shows the operator's name after a reload; signing out forgets it", async () => {
    const first = await fixture<AiChatConsole>(`<ai-chat-console convex-url="${env.url}"></ai-chat-console>`);
    await settle(first);
    $<HTMLInputElement>(first, "input[name=operator-name]")!.focus();
    await sendKeys({ type: "Dana" });
    $<HTMLInputElement>(first, "input[type=password]")!.focus();
    await sendKeys({ type: env.backend.operatorSecret });
    $<HTMLInputElement>(first, "input[type=checkbox]")!.checked = true;
    $<HTMLButtonElement>(first, "[part=sign-in-button]")!.click();
    await until(() => first.phase === "signed-in");
    first.remove();
    const second = await fixture<AiChatConsole>(`<ai-chat-console convex-url="${env.url}"></ai-chat-console>`);
    await until(() => second.phase === "signed-in");
    await settle(second);
    expect($(second, "[part=operator]")?.textContent).to.equal("Signed in as Dana");
    $<HTMLButtonElement>(second, "[part=sign-out-button]")!.click();
    await until(() => second.phase === "signed-out");
    expect(Object.keys(sessionStorage).filter((k) => k.startsWith("ai-chat-console:"))).to.deep.equal([]);
  });

  it("styles the name field like the secret field", async () => {
    const el = await fixture<AiChatConsole>(`<ai-chat-console convex-url="${env.url}"></ai-chat-console>`);
    await settle(el);
    const name = getComputedStyle($(el, "input[name=operator-name]")!);
    const secret = getComputedStyle($(el, "input[type=password]")!);
    for (const prop of ["borderTopLeftRadius", "paddingLeft", "borderTopColor", "backgroundColor"] as const)
      expect(name[prop], prop).to.equal(secret[prop]);
  });
});
