// Starter prompts: the `suggestions` property or JSON attribute shows buttons in the empty state
// (the `suggestions` part); a click or the keyboard sends one; anything malformed is ignored with
// one warning.
import { expect } from "@open-wc/testing";
import { sendKeys } from "@web/test-runner-commands";
import type { AiChatStream } from "../../src/shell/ai-chat-stream.js";
import { until } from "./fake-backend.js";
import { animationsDone, mount, settle, setup, type Setup } from "./helpers.js";

const buttons = (el: AiChatStream) => [...el.shadowRoot!.querySelectorAll<HTMLButtonElement>("[part=suggestion]")];

describe("starter prompts", () => {
  let env: Setup;
  let warnings: unknown[][];
  const warn = console.warn;
  beforeEach(() => {
    env = setup();
    warnings = [];
    console.warn = (...args: unknown[]) => warnings.push(args);
  });
  afterEach(() => {
    console.warn = warn;
    env.restore();
  });

  it("shows the attribute's prompts as buttons in the empty state, axe clean", async () => {
    const el = await mount(env.url, `suggestions='["What can you do?", "Opening hours"]'`);
    await until(() => buttons(el).length === 2);
    expect(buttons(el).map((b) => b.textContent)).to.deep.equal(["What can you do?", "Opening hours"]);
    expect(el.shadowRoot!.querySelector(".empty")!.contains(buttons(el)[0]!)).to.equal(true);
    await settle(el);
    await animationsDone(el);
    await expect(el).to.be.accessible();
    expect(warnings).to.have.length(0);
  });

  it("is axe clean in dark mode", async () => {
    const el = await mount(env.url, `theme="dark" suggestions='["What can you do?"]'`);
    await until(() => buttons(el).length === 1);
    await settle(el);
    await animationsDone(el);
    await expect(el).to.be.accessible();
  });

  it("sends the prompt clicked, and the buttons leave with the empty state", async () => {
    const el = await mount(env.url);
    el.suggestions = ["Where is my order?"];
    await until(() => buttons(el).length === 1);
    buttons(el)[0]!.click();
    await until(() => env.backend.posts.length === 1);
    expect(env.backend.posts[0]!.prompt).to.equal("Where is my order?");
    await until(() => buttons(el).length === 0);
  });

  it("sends from the keyboard like any button", async () => {
    const el = await mount(env.url);
    el.suggestions = ["Pricing"];
    await until(() => buttons(el).length === 1);
    buttons(el)[0]!.focus();
    await sendKeys({ press: "Enter" });
    await until(() => env.backend.posts.length === 1);
    expect(env.backend.posts[0]!.prompt).to.equal("Pricing");
  });

  it("adds nothing to the empty state without suggestions", async () => {
    const el = await mount(env.url);
    expect(el.shadowRoot!.querySelector(".empty")!.textContent).to.not.match(/false|undefined/);
    expect(buttons(el)).to.have.length(0);
  });

  it("ignores an attribute that is not JSON, with one warning and no error", async () => {
    const el = await mount(env.url, `suggestions="[oops"`);
    await until(() => warnings.length > 0);
    el.requestUpdate();
    await settle(el);
    expect(buttons(el)).to.have.length(0);
    expect(warnings).to.have.length(1);
    expect(String(warnings[0]![0])).to.contain("suggestions");
    expect(el.shadowRoot!.querySelector("textarea")).to.not.equal(null);
  });

  it("keeps only non-empty strings, at most 6 of at most 300 characters, warning once", async () => {
    const el = await mount(env.url);
    el.suggestions = [1, "One", null, " ", "x".repeat(301), "Two", "3", "4", "5", "6", "7"] as unknown as string[];
    await until(() => buttons(el).length > 0);
    el.requestUpdate();
    await settle(el);
    expect(buttons(el).map((b) => b.textContent)).to.deep.equal(["One", "Two", "3", "4", "5", "6"]);
    expect(warnings).to.have.length(1);
  });
});
