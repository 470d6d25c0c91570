// A read-only observer view (issue 25) speaks to a viewer: no greeting, no visitor wording, and
// a refused or expired link says so. The panel's header adds no landmark and shows its whole title.
import { expect, fixture } from "@open-wc/testing";
import { setViewport } from "@web/test-runner-commands";
import { deriveSiteUrl } from "../../src/site-url.js";
import { storageKey } from "../../src/storage.js";
import { until } from "./fake-backend.js";
import { $, animationsDone, mount, settle, setup, type Setup } from "./helpers.js";

/** What a person reads in the widget (its shadow tree's rendered text). */
const visibleText = (el: HTMLElement) => (el.shadowRoot!.querySelector(".panel") as HTMLElement).innerText;

describe("observer views", () => {
  let env: Setup;
  afterEach(() => env.restore());

  it("with an expired or refused link, says the link no longer works, with no greeting and no visitor wording", async () => {
    env = setup();
    const threadId = env.backend.seedThread("visitor", [["Hello", "Hi"]]);
    const el = await mount(env.url, `mode="observe" observer-token="expired-token" thread="${threadId}"`);
    await until(() => $(el, ".banner.error") !== null);
    await settle(el);
    const text = visibleText(el);
    expect($(el, ".banner.error")!.textContent!.trim()).to.equal(
      "This link has expired or is not valid. Ask whoever shared it for a new one.",
    );
    expect(text).to.not.contain("How can I help");
    expect(text).to.not.contain("Start a new one");
    expect(text).to.not.contain("Ask a question");
    expect($(el, "textarea") === null, "textarea").to.equal(true);
    await expect(el).to.be.accessible();
  });

  it("on a conversation with no messages yet, says so instead of greeting a visitor", async () => {
    env = setup();
    const threadId = env.backend.seedThread("visitor", []);
    env.backend.threads.get(threadId)!.observers.add("obs");
    const el = await mount(env.url, `mode="observe" observer-token="obs" thread="${threadId}"`);
    await settle(el);
    const text = visibleText(el);
    expect(text).to.contain("No messages yet");
    expect(text).to.not.contain("How can I help");
    expect(text).to.not.contain("written by an AI");
    expect($(el, ".banner") === null, ".banner").to.equal(true);
  });
});

describe("headers and landmarks", () => {
  let env: Setup;
  afterEach(async () => {
    env.restore();
    await setViewport({ width: 800, height: 600 });
  });

  it("adds no banner landmark to a page that has its own header: the panel is a labelled region or dialog", async () => {
    env = setup();
    const page = await fixture<HTMLDivElement>(
      `<div><header><p>Northwind</p></header><main><h1>Product</h1><ai-chat-stream convex-url="${env.url}"></ai-chat-stream><ai-chat-stream convex-url="${env.url}" launcher open heading="Northwind help"></ai-chat-stream></main></div>`,
    );
    const [inline, launcher] = [...page.querySelectorAll("ai-chat-stream")];
    await settle(inline!);
    await settle(launcher!);
    await animationsDone(launcher!);
    for (const el of [inline!, launcher!]) {
      expect($(el, "header") === null, "no <header> (a banner outside sectioning content)").to.equal(true);
      expect($(el, "[role=banner]") === null, "[role=banner]").to.equal(true);
      const panel = $(el, "[part=panel]")!;
      expect(panel.getAttribute("aria-label")).to.be.a("string").and.not.equal("");
    }
    await expect(page).to.be.accessible();
  });

  for (const theme of ["light", "dark"]) {
    it(`on a 390 px phone the header shows the whole title, with the demo badge, New chat and Close (${theme})`, async () => {
      env = setup();
      env.backend.config.demo = true;
      await setViewport({ width: 390, height: 844 });
      const threadId = env.backend.seedThread("visitor-token", [["Q", "A"]]);
      localStorage.setItem(
        storageKey(env.url, deriveSiteUrl(env.url)),
        JSON.stringify({ threadId, token: "visitor-token" }),
      );
      const el = await mount(env.url, `launcher open theme="${theme}" heading="Northwind help"`);
      await until(() => $(el, "[part=new-conversation]") !== null && $(el, ".badge") !== null);
      await animationsDone(el);
      const title = $(el, "[part=header] .title")!;
      expect(title.textContent).to.equal("Northwind help");
      expect(title.scrollWidth, "the title is not cut").to.be.at.most(title.clientWidth);
      const range = document.createRange();
      range.selectNodeContents(title);
      const text = range.getBoundingClientRect();
      const box = title.getBoundingClientRect();
      expect(text.right).to.be.at.most(box.right + 1);
      expect(text.left).to.be.at.least(box.left - 1);
      // Nothing in the header overlaps the title.
      for (const other of [$(el, ".badge")!, $(el, "[part=new-conversation]")!]) {
        const r = other.getBoundingClientRect();
        const apart =
          r.left >= box.right - 1 || r.right <= box.left + 1 || r.top >= box.bottom - 1 || r.bottom <= box.top + 1;
        expect(apart, `${other.className} overlaps the title`).to.equal(true);
      }
      await expect(el).to.be.accessible();
    });
  }
});
