// The host page's inherited styles stop at both elements' :host (e2e/host-page.test.ts checks
// the built widget against a whole CMS theme); the theming API and the text direction still pass.
import { expect, fixture } from "@open-wc/testing";
import type { AiChatConsole } from "../../src/console/ai-chat-console.js";
import { $, mount, settle, setup, type Setup } from "./helpers.js";

const HOSTILE =
  "text-transform: uppercase; letter-spacing: 4px; word-spacing: 20px; font-weight: 700; font-style: italic; " +
  "line-height: 3; text-align: right; text-indent: 40px; text-shadow: red 2px 2px 2px; white-space: pre; " +
  "cursor: wait; visibility: hidden; color: rgb(200, 0, 0); font-family: cursive";
const PROPS = [
  "text-transform",
  "letter-spacing",
  "word-spacing",
  "font-weight",
  "font-style",
  "line-height",
  "text-align",
  "text-indent",
  "text-shadow",
  "white-space",
  "cursor",
  "visibility",
  "color",
  "font-family",
];

const computed = (el: Element) => Object.fromEntries(PROPS.map((p) => [p, getComputedStyle(el).getPropertyValue(p)]));

/** `read()`'s computed styles, then the same after moving `el` into a wrapper with `style`. */
async function beforeAndAfter(
  el: HTMLElement & { updateComplete: Promise<unknown> },
  style: string,
  read: () => Element[],
) {
  const plain = read().map(computed);
  const wrapper = await fixture<HTMLDivElement>(`<div style="${style}"></div>`);
  wrapper.append(el);
  await settle(el);
  return { plain, themed: read().map(computed) };
}

describe("host page styles", () => {
  let env: Setup;
  beforeEach(() => (env = setup()));
  afterEach(() => env.restore());

  it("an ancestor's inherited styles do not reach the chat's title or textbox", async () => {
    const el = await mount(env.url, `heading="Support"`);
    const targets = () =>
      ["[part=header] .title", "[part=input]", "[part=send-button]"].map((selector) => $(el, selector)!);
    const { plain, themed } = await beforeAndAfter(el, HOSTILE, targets);
    expect(themed).to.deep.equal(plain);
  });

  it("an ancestor's inherited styles do not reach the console's sign-in form", async () => {
    const el = await fixture<AiChatConsole>(`<ai-chat-console convex-url="${env.url}"></ai-chat-console>`);
    await settle(el);
    const { plain, themed } = await beforeAndAfter(el, HOSTILE, () => [$(el, ".hint")!, $(el, "[part=secret-input]")!]);
    expect(themed).to.deep.equal(plain);
  });

  it("still takes --ai-chat-font, --ai-chat-text and the direction from its ancestors", async () => {
    const el = await mount(env.url);
    const style = "--ai-chat-font: monospace; --ai-chat-text: rgb(1, 2, 3); font-family: cursive";
    const wrapper = await fixture<HTMLDivElement>(`<div dir="rtl" style="${style}"></div>`);
    wrapper.append(el);
    await settle(el);
    const input = getComputedStyle($(el, "[part=input]")!);
    expect(input.fontFamily).to.equal("monospace");
    expect(input.color).to.equal("rgb(1, 2, 3)");
    expect(input.direction).to.equal("rtl");
  });
});
