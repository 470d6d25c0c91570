// Past conversations: the history button, the live list of the visitor's own threads (the
// `history` part, loaded at the first click), opening one, deleting one after a confirmation.
import { expect } from "@open-wc/testing";
import { sendKeys, setViewport } from "@web/test-runner-commands";
import type { AiChatStream } from "../../src/shell/ai-chat-stream.js";
import { deriveSiteUrl } from "../../src/site-url.js";
import { storageKey } from "../../src/storage.js";
import { until } from "./fake-backend.js";
import { animationsDone, mount, settle, setup, type Setup } from "./helpers.js";

const MINUTE = 60_000;
const $ = (el: AiChatStream, sel: string) => el.shadowRoot!.querySelector<HTMLElement>(sel);
const items = (el: AiChatStream) => [...el.shadowRoot!.querySelectorAll<HTMLElement>("[part=history-item]")];

describe("past conversations", () => {
  let env: Setup;
  let older: string;
  let newer: string;
  afterEach(() => env.restore());

  async function visitor(): Promise<AiChatStream> {
    env = setup();
    older = env.backend.seedThread("tok", [["First question", "First answer"]], {
      title: "First question",
      lastMessageAt: Date.now() - 60 * MINUTE,
    });
    newer = env.backend.seedThread("tok", [["Second question", "Second answer"]], {
      title: "Second question",
      lastMessageAt: Date.now() - MINUTE,
    });
    env.backend.seedThread("someone-else", [["Not yours", "Hidden"]], { title: "Not yours" });
    localStorage.setItem(
      storageKey(env.url, deriveSiteUrl(env.url)),
      JSON.stringify({ threadId: newer, token: "tok" }),
    );
    const el = await mount(env.url);
    await until(() => $(el, "[part=history-button]"));
    return el;
  }

  async function openList(el: AiChatStream): Promise<void> {
    $(el, "[part=history-button]")!.click();
    await until(() => items(el).length === 2);
    await settle(el);
  }

  it("lists only the visitor's own threads, newest first, with title and time, axe clean", async () => {
    const el = await visitor();
    const chat = (el as unknown as { _chat: { onDemand: { parts: object } } })._chat;
    expect("history" in chat.onDemand.parts, "the list's code loads at the first click").to.equal(false);
    expect(env.backend.subscriptions("threads:listMine")).to.have.length(0);
    await openList(el);
    expect(items(el).map((i) => i.querySelector(".history-title")!.textContent)).to.deep.equal([
      "Second question",
      "First question",
    ]);
    expect(items(el)[0]!.querySelector("time")!.getAttribute("datetime")).to.match(/^\d{4}-/);
    expect($(el, "[part=history-button]")!.getAttribute("aria-expanded")).to.equal("true");
    const listed = env.backend.subscriptions("threads:listMine");
    expect(listed.every((s) => s.args.token === "tok" && !("threadId" in s.args))).to.equal(true);
    await animationsDone(el);
    await expect(el).to.be.accessible();
  });

  it("is live: a new conversation elsewhere joins the open list", async () => {
    const el = await visitor();
    await openList(el);
    env.backend.seedThread("tok", [["Third", "Yes"]], { title: "Third" });
    env.backend.flush();
    await until(() => items(el).length === 3);
    expect(items(el)[0]!.textContent).to.contain("Third");
  });

  it("opens an older conversation, closes, announces and gives the focus to the message box", async () => {
    const el = await visitor();
    await openList(el);
    (items(el)[1]!.querySelector(".history-open") as HTMLElement).click();
    await until(() => el.thread === older && !$(el, ".history"));
    await until(() => el.shadowRoot!.textContent!.includes("First answer"));
    expect(el.shadowRoot!.activeElement?.tagName).to.equal("TEXTAREA");
    await until(() => $(el, "[aria-live]")!.textContent!.includes("Conversation opened"));
  });

  it("deletes a conversation only after the confirmation, and Cancel keeps it", async () => {
    const el = await visitor();
    await openList(el);
    (items(el)[1]!.querySelector(".history-delete") as HTMLElement).click();
    await settle(el);
    expect(env.backend.calls.some((c) => c.name === "threads:remove")).to.equal(false);
    await expect(el).to.be.accessible();
    [...items(el)[1]!.querySelectorAll("button")].find((b) => b.textContent === "Cancel")!.click();
    await settle(el);
    expect(items(el)).to.have.length(2);
    (items(el)[1]!.querySelector(".history-delete") as HTMLElement).click();
    await settle(el);
    [...items(el)[1]!.querySelectorAll("button")].find((b) => b.textContent === "Delete")!.click();
    await until(() => items(el).length === 1);
    const removed = env.backend.calls.find((c) => c.name === "threads:remove")!;
    expect(removed.args).to.deep.equal({ threadId: older, token: "tok" });
    expect(el.thread, "the conversation shown stays").to.equal(newer);
  });

  it("Escape closes the list and gives the focus back to the history button", async () => {
    const el = await visitor();
    await openList(el);
    expect(el.shadowRoot!.activeElement?.closest(".history")).to.not.equal(null);
    await sendKeys({ press: "Escape" });
    await until(() => !$(el, ".history"));
    await settle(el);
    expect(el.shadowRoot!.activeElement?.getAttribute("part")).to.equal("history-button");
  });

  it("in the launcher's panel, Escape closes the list first and leaves the panel open", async () => {
    env = setup();
    const threadId = env.backend.seedThread("tok", [["Q", "A"]], { title: "Q" });
    localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token: "tok" }));
    const el = await mount(env.url, "launcher open");
    await until(() => $(el, "[part=history-button]"));
    $(el, "[part=history-button]")!.click();
    await until(() => items(el).length === 1);
    await settle(el);
    await sendKeys({ press: "Escape" });
    await until(() => !$(el, ".history"));
    expect(el.open).to.equal(true);
    await sendKeys({ press: "Escape" });
    await until(() => !el.open);
  });

  it("starting a new conversation keeps the old ones in the list", async () => {
    const el = await visitor();
    el.newConversation();
    await settle(el);
    await openList(el);
    expect(items(el)).to.have.length(2);
  });

  it("pages: 20 at first, Show more asks for 20 more", async () => {
    const el = await visitor();
    for (let i = 0; i < 23; i++)
      env.backend.seedThread("tok", [], { title: `Extra ${i}`, lastMessageAt: Date.now() - i });
    $(el, "[part=history-button]")!.click();
    await until(() => items(el).length === 20);
    $(el, ".history-more")!.click();
    await until(() => items(el).length === 25);
    expect($(el, ".history-more")).to.equal(null);
    expect(env.backend.subscriptions("threads:listMine").at(-1)!.args.limit).to.equal(40);
  });

  it("deleting the conversation shown starts a new one and keeps the rest listed", async () => {
    const el = await visitor();
    await openList(el);
    (items(el)[0]!.querySelector(".history-delete") as HTMLElement).click();
    await settle(el);
    [...items(el)[0]!.querySelectorAll("button")].find((b) => b.textContent === "Delete")!.click();
    await until(() => items(el).length === 1);
    expect(el.thread).to.equal(null);
    expect(items(el)[0]!.textContent).to.contain("First question");
  });

  it("fits a phone in dark mode, axe clean", async () => {
    await setViewport({ width: 390, height: 700 });
    try {
      const el = await visitor();
      el.theme = "dark";
      await openList(el);
      const list = $(el, ".history")!;
      expect(list.scrollWidth).to.be.at.most(list.clientWidth);
      await animationsDone(el);
      await expect(el).to.be.accessible();
    } finally {
      await setViewport({ width: 800, height: 600 });
    }
  });

  it("a new visitor without a token has no history button", async () => {
    env = setup();
    const el = await mount(env.url);
    expect($(el, "[part=history-button]")).to.equal(null);
  });
});
