// Human handoff's screens (docs/handoff.md) against the fake backend: the visitor's "Talk to a
// person", what a request and a takeover look like and sound like, operators' messages, and the
// console's handoff bar; axe clean in each state, light and dark.
import { expect, oneEvent } from "@open-wc/testing";
import type { AiChatConsole } from "../../src/console/ai-chat-console.js";
import type { AiChatHandoffEvent } from "../../src/events.js";
import type { AiChatStream } from "../../src/shell/ai-chat-stream.js";
import { deriveSiteUrl } from "../../src/site-url.js";
import { storageKey } from "../../src/storage.js";
import { until } from "./fake-backend.js";
import { $, $$, mount, settle, setup, type Setup } from "./helpers.js";
import { fixture } from "@open-wc/testing";
import { sendKeys } from "@web/test-runner-commands";

const TOKEN = "visitor-token";
let env: Setup;
afterEach(() => env.restore());

async function visitor(attrs = "human-handoff"): Promise<{ el: AiChatStream; threadId: string }> {
  env = setup();
  const threadId = env.backend.seedThread(TOKEN, [["Where is my order?", "It ships soon."]]);
  localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token: TOKEN }));
  const el = await mount(env.url, attrs);
  await until(() => $$(el, ".row").length === 2);
  await settle(el);
  return { el, threadId };
}

/** axe on `el` with the theme forced light, then dark. */
async function accessibleInBothThemes(el: HTMLElement & { theme: string; updateComplete: Promise<unknown> }) {
  for (const theme of ["light", "dark"]) {
    el.theme = theme;
    await el.updateComplete;
    await expect(el, theme).to.be.accessible();
  }
}

const liveRegion = (el: AiChatStream) => $(el, "[aria-live=polite]")!.textContent!.trim();

describe("the visitor", () => {
  it("with human-handoff, asks for a person: told plainly that nobody is online, then that someone will join", async () => {
    const { el, threadId } = await visitor();
    await until(() => !!$(el, "[part=handoff-button]"));
    await accessibleInBothThemes(el);
    const requested = oneEvent(el, "ai-chat-handoff") as Promise<AiChatHandoffEvent>;
    $<HTMLButtonElement>(el, "[part=handoff-button]")!.click();
    expect(await requested).to.include({ threadId, state: "requested" });
    await until(() => $(el, "[part=handoff-status]")?.textContent?.includes("No one is available") === true);
    expect($(el, "[part=handoff-button]")).to.equal(null);
    // The composer stays usable: they can keep writing.
    expect($<HTMLTextAreaElement>(el, "textarea")!.disabled).to.equal(false);
    await accessibleInBothThemes(el);
    env.backend.operatorOnlineUntil = Date.now() + 60_000;
    env.backend.flush();
    await until(() => $(el, "[part=handoff-status]")?.textContent?.includes("Someone will join") === true);
  });

  it("without human-handoff shows no button; requestHuman() still asks", async () => {
    const { el, threadId } = await visitor("");
    await settle(el);
    expect($(el, "[part=handoff-button]")).to.equal(null);
    await el.requestHuman();
    expect(env.backend.handoffOf(threadId).needsHumanAt).to.be.a("number");
  });

  it("hears a person join and leave; sees who answers, their messages under their name, and their typing", async () => {
    const { el, threadId } = await visitor();
    await until(() => !!$(el, "[part=handoff-button]"));
    const joined = oneEvent(el, "ai-chat-handoff") as Promise<AiChatHandoffEvent>;
    env.backend.hold(threadId, "Dana");
    expect(await joined).to.include({ state: "operator", operatorName: "Dana" });
    await until(() => liveRegion(el) === "Dana joined the chat");
    env.backend.operatorSays(threadId, "Dana", "Hi, Dana here.");
    env.backend.handoffOf(threadId).operatorTypingAt = Date.now();
    env.backend.flush();
    await until(() => !!$(el, "[part~=message][part~=operator]") && !!$(el, "[part=handoff-typing]"));
    const row = $(el, "[part~=message][part~=operator]")!;
    expect(row.textContent).to.contain("Dana").and.contain("Hi, Dana here.");
    expect($(el, "[part=handoff-status]")!.textContent).to.contain("Dana is answering");
    expect($(el, "[part=handoff-typing]")!.textContent).to.contain("Dana is typing");
    await accessibleInBothThemes(el);
    const left = oneEvent(el, "ai-chat-handoff") as Promise<AiChatHandoffEvent>;
    env.backend.hold(threadId, null);
    expect(await left).to.include({ state: "ai" });
    await until(() => liveRegion(el) === "Dana left the chat. The AI answers again.");
  });

  it("tells the operator holding the thread when the visitor types, at most once per 2.5 s", async () => {
    const { el, threadId } = await visitor();
    env.backend.hold(threadId, "Dana");
    await until(() => !!$(el, "[part=handoff-status]"));
    const box = $<HTMLTextAreaElement>(el, "textarea")!;
    box.focus();
    await sendKeys({ type: "hello" });
    await until(() => env.backend.handoffOf(threadId).visitorTypingAt !== null);
    expect(env.backend.calls.filter((c) => c.name === "handoff:typing")).to.have.length(1);
  });
});

describe("the console", () => {
  async function signedIn(): Promise<AiChatConsole> {
    const el = await fixture<AiChatConsole>(`<ai-chat-console convex-url="${env.url}"></ai-chat-console>`);
    await settle(el);
    await el.signIn(env.backend.operatorSecret, { name: "Ops" });
    await settle(el);
    return el;
  }

  it("lists a thread waiting for a person first, takes it over, replies, and hands it back", async () => {
    env = setup();
    env.backend.seedThread("a", [["Newest question", "Answer"]], { title: "Newest question" });
    const waiting = env.backend.seedThread("b", [["Older question", "Answer"]], {
      title: "Older question",
      origin: "https://shop.example",
      lastMessageAt: Date.now() - 60_000,
    });
    env.backend.handoffOf(waiting).needsHumanAt = Date.now();
    const el = await signedIn();
    await until(() => $$(el, "[part~=thread]")[0]?.getAttribute("part")?.includes("needs-human") === true);
    expect($$(el, "[part~=thread]")[0]!.dataset.id).to.equal(waiting);
    // Rows from two sites with one title are told apart: the page's host, and when it started.
    expect($$(el, "[part~=thread]")[0]!.querySelector("[part=origin]")!.textContent).to.equal("shop.example");
    expect($$(el, "[part~=thread]")[0]!.querySelector(".row-meta")!.getAttribute("title")).to.match(/^First seen /);
    expect($(el, "[part=waiting-badge]")!.textContent).to.contain("1 waiting");
    expect(document.title).to.contain("1 waiting");
    el.open(waiting);
    await until(() => !!$(el, "[part=take-over-button]"));
    await accessibleInBothThemes(el);
    $<HTMLButtonElement>(el, "[part=take-over-button]")!.click();
    await until(() => !!$(el, "[part=reply-input]"));
    const input = $<HTMLTextAreaElement>(el, "[part=reply-input]")!;
    input.focus();
    await sendKeys({ type: "Hello from a person" });
    await sendKeys({ press: "Enter" });
    await until(() => env.backend.messages.some((m) => m.role === "operator" && m.text === "Hello from a person"));
    await until(() => input.value === "");
    await accessibleInBothThemes(el);
    $<HTMLButtonElement>(el, "[part=hand-back-button]")!.click();
    await until(() => !!$(el, "[part=take-over-button]"));
    expect(env.backend.handoffOf(waiting).heldBy).to.equal(null);
    el.remove();
    expect(document.title).to.not.contain("waiting");
  });

  it("filters the list (live, needs a person, held by me, failed) and searches titles and message text", async () => {
    env = setup();
    env.backend.seedThread("a", [["Billing question", "Answer"]], { title: "Billing question" });
    const live = env.backend.seedThread("b", [], { title: "Shipping question" });
    env.backend.seedActiveReply(live, "Where is it?");
    const waiting = env.backend.seedThread("c", [["Refund please", "Your parcel is on its way"]], {
      title: "Refund please",
    });
    env.backend.handoffOf(waiting).needsHumanAt = Date.now();
    // Another operator signed in with this console's name ("Ops"): theirs, not mine.
    const billing = [...env.backend.threads.values()].find((t) => t.title === "Billing question")!._id;
    env.backend.hold(billing, "Ops");
    const el = await signedIn();
    await until(() => $$(el, "[part~=thread]").length === 3);
    const titles = () => $$(el, "[part~=thread] .row-title").map((n) => n.textContent);
    const filter = $<HTMLSelectElement>(el, "[part=filter]")!;
    const choose = async (value: string) => {
      filter.value = value;
      filter.dispatchEvent(new Event("change"));
      await settle(el);
    };
    await choose("live");
    expect(titles()).to.deep.equal(["Shipping question"]);
    await choose("waiting");
    expect(titles()).to.deep.equal(["Refund please"]);
    await choose("failed");
    expect(titles()).to.deep.equal([]);
    expect($(el, ".empty")!.textContent).to.contain("No conversation matches.");
    await choose("mine");
    expect(titles()).to.deep.equal([]);
    el.open(waiting);
    await until(() => !!$(el, "[part=take-over-button]"));
    await el.takeOver();
    env.backend.flush();
    await until(() => titles().length === 1);
    expect(titles()).to.deep.equal(["Refund please"]);
    await choose("all");
    const search = $<HTMLInputElement>(el, "[part=search]")!;
    search.focus();
    await sendKeys({ type: "QUESTION bill" });
    await settle(el);
    expect(titles()).to.deep.equal(["Billing question"]);
    // A word only in a reply: the deployment's search finds the thread once typing pauses.
    search.select();
    await sendKeys({ type: "parcel" });
    await settle(el);
    expect(titles()).to.deep.equal([]);
    await until(() => titles().length === 1);
    expect(titles()).to.deep.equal(["Refund please"]);
    await accessibleInBothThemes(el);
  });

  it("shows each row's newest message and message count", async () => {
    env = setup();
    const threadId = env.backend.seedThread("a", [["Where is my order?", "It ships\n  on Monday."]], {
      title: "Order",
    });
    env.backend.seedThread("b", [], { title: "Empty" });
    const el = await signedIn();
    await until(() => $$(el, "[part~=thread]").length === 2);
    const row = $(el, `[data-id="${threadId}"]`)!;
    expect(row.querySelector("[part=preview]")!.textContent).to.equal("It ships on Monday.");
    expect(row.querySelector("[part=message-count]")!.textContent).to.equal("2 messages");
    env.backend.operatorSays(threadId, "Ops", "Found it");
    await until(() => row.querySelector("[part=preview]")!.textContent === "Found it");
    expect(row.querySelector("[part=message-count]")!.textContent).to.equal("3 messages");
    // A thread with no message yet shows neither.
    const empty = $$(el, "[part~=thread]").find((r) => r !== row)!;
    expect(empty.querySelector("[part=preview]")).to.equal(null);
    expect(empty.querySelector("[part=message-count]")).to.equal(null);
    await accessibleInBothThemes(el);
  });

  it("shows a refused takeover: HELD_BY_OPERATOR names who holds it", async () => {
    env = setup();
    const threadId = env.backend.seedThread("a", [["Question", "Answer"]], { title: "Question" });
    env.backend.hold(threadId, "Dana");
    const el = await signedIn();
    el.open(threadId);
    await until(() => !!$(el, "[part=handoff]"));
    expect(await el.takeOver(threadId)).to.equal(false);
    await until(() => !!$(el, "[part=handoff-error]"));
    expect($(el, "[part=handoff-error]")!.textContent).to.contain("Dana is answering");
    expect($(el, "[part=handoff-error]")!.getAttribute("role")).to.equal("alert");
  });
});
