// Where the transcript is held while a person reads (issue 25): the question stays in view while
// its reply streams, reopening on an unread reply shows its start, the composer growing keeps
// the bottom, and another thread starts over (following its end, no pill).
import { expect } from "@open-wc/testing";
import type { AiChatStream } from "../../src/shell/ai-chat-stream.js";
import { deriveSiteUrl } from "../../src/site-url.js";
import { storageKey } from "../../src/storage.js";
import { until } from "./fake-backend.js";
import { $, $$, mount, replyText, sendAndStart, settle, setup, type Setup } from "./helpers.js";

const TOKEN = "visitor-token";
const history = (n: number): Array<[string, string]> =>
  Array.from({ length: n }, (_, i) => [`Question ${i}`, `Answer ${i}\n\n${"A long paragraph of text. ".repeat(8)}`]);
const paragraphs = (label: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${label} paragraph ${i}: ${"words that fill a line. ".repeat(4)}`).join("\n\n");

async function mountWithThread(env: Setup, rows: Array<[string, string]>, attrs = "") {
  const threadId = env.backend.seedThread(TOKEN, rows);
  localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token: TOKEN }));
  const el = await mount(env.url, attrs);
  await until(() => $$(el, ".row").length === rows.length * 2);
  await settle(el);
  return { el, threadId };
}

const box = (el: AiChatStream) => $(el, ".messages")!.getBoundingClientRect();
const distanceFromBottom = (el: AiChatStream) => {
  const m = $(el, ".messages")!;
  return m.scrollHeight - m.scrollTop - m.clientHeight;
};
const lastRow = (el: AiChatStream, sel: string) => $$(el, sel).at(-1)!.getBoundingClientRect();
/** The element a person would hit at the middle of `rect`'s top line. */
const hitAtTop = (el: AiChatStream, rect: DOMRect) =>
  el.shadowRoot!.elementFromPoint(rect.left + rect.width / 2, rect.top + 4);

describe("the question stays in view", () => {
  let env: Setup;
  afterEach(() => env.restore());

  it("after Send the question moves to the top of the transcript and stays there while a long reply streams below it", async () => {
    env = setup();
    const { el } = await mountWithThread(env, history(4));
    await sendAndStart(el, "What is the refund policy?");
    const streamId = env.backend.messages.at(-1)!.streamId!;
    await settle(el);
    const top = box(el).top;
    const question = () => lastRow(el, ".row.user");
    // At the top (within the transcript's padding), not at the bottom with history above it.
    expect(question().top - top).to.be.within(0, 20);
    for (let i = 0; i < 6; i++) {
      env.backend.persist(streamId, `${paragraphs(`Part ${i}`, 2)}\n\n`);
      await until(() => replyText(el).includes(`Part ${i} paragraph 1`));
      await settle(el);
      expect(question().top - top, `after chunk ${i}`).to.be.within(0, 20);
      expect(hitAtTop(el, question())?.closest(".row.user")).to.equal($$(el, ".row.user").at(-1));
    }
    // The reply is longer than the box now: its end is below, and the pill offers it.
    expect(lastRow(el, ".row.assistant").bottom).to.be.greaterThan(box(el).bottom);
    expect($(el, "[part=new-messages]") !== null, "[part=new-messages]").to.equal(true);
    env.backend.finish(streamId);
    await until(() => el.status === "idle");
    await settle(el);
    expect(question().top - top).to.be.within(0, 20);
  });

  it("a short reply leaves the question at the top with blank room below, not scrolled back down", async () => {
    env = setup();
    const { el } = await mountWithThread(env, history(4));
    await sendAndStart(el, "Short one?");
    const streamId = env.backend.messages.at(-1)!.streamId!;
    env.backend.persist(streamId, "Yes.");
    env.backend.finish(streamId);
    await until(() => el.status === "idle");
    await settle(el);
    expect(lastRow(el, ".row.user").top - box(el).top).to.be.within(0, 20);
    expect($(el, "[part=new-messages]") === null, "[part=new-messages]").to.equal(true);
  });

  it("the first question of a new conversation goes to the top too, and a short reply raises no New messages pill", async () => {
    env = setup();
    const el = await mount(env.url);
    await sendAndStart(el, "Hello there");
    const streamId = env.backend.messages.at(-1)!.streamId!;
    env.backend.persist(streamId, "Hi! A short answer.");
    env.backend.finish(streamId);
    await until(() => el.status === "idle");
    await settle(el);
    expect(lastRow(el, ".row.user").top - box(el).top).to.be.within(0, 20);
    expect($(el, "[part=new-messages]") === null, "no pill").to.equal(true);
  });

  it("once the reader scrolls down past the reply's end, the transcript follows the bottom again", async () => {
    env = setup();
    const { el } = await mountWithThread(env, history(2));
    await sendAndStart(el, "Tell me everything");
    const streamId = env.backend.messages.at(-1)!.streamId!;
    env.backend.persist(streamId, `${paragraphs("First", 10)}\n\n`);
    await until(() => replyText(el).includes("First paragraph 9"));
    await settle(el);
    const messages = $(el, ".messages")!;
    messages.scrollTo({ top: messages.scrollHeight, behavior: "instant" });
    messages.dispatchEvent(new Event("scroll"));
    await settle(el);
    expect($(el, "[part=new-messages]") === null, "[part=new-messages]").to.equal(true);
    env.backend.persist(streamId, paragraphs("Second", 6));
    await until(() => replyText(el).includes("Second paragraph 5"));
    await settle(el);
    expect(distanceFromBottom(el)).to.be.lessThan(2);
    expect($(el, "[part=new-messages]") === null, "[part=new-messages]").to.equal(true);
  });
});

describe("reopening and resizing", () => {
  let env: Setup;
  afterEach(() => env.restore());

  it("reopening the launcher after an unread reply shows the start of that reply", async () => {
    env = setup();
    const { el, threadId } = await mountWithThread(env, history(3), "launcher open");
    el.open = false;
    await settle(el);
    const { streamId } = env.backend.seedActiveReply(threadId, "Another question");
    env.backend.persist(streamId, `Start of the unread reply.\n\n${paragraphs("Unread", 12)}`);
    env.backend.finish(streamId);
    await until(() => $(el, "[part=unread]") !== null);
    $<HTMLButtonElement>(el, "[part=launcher]")!.click();
    await settle(el);
    const reply = $$(el, ".row.assistant").at(-1)!;
    const rect = reply.getBoundingClientRect();
    expect(rect.top - box(el).top).to.be.within(0, 20);
    expect(hitAtTop(el, rect)?.closest(".row.assistant")).to.equal(reply);
    expect(reply.textContent).to.contain("Start of the unread reply.");
  });

  it("closing the launcher while a reply streams and opening it again leaves the question at the top", async () => {
    env = setup();
    const { el } = await mountWithThread(env, history(4), "launcher open");
    await sendAndStart(el, "What is the refund policy?");
    const streamId = env.backend.messages.at(-1)!.streamId!;
    env.backend.persist(streamId, "First words.");
    await until(() => replyText(el).includes("First words"));
    await settle(el);
    const question = () => lastRow(el, ".row.user").top - box(el).top;
    expect(question()).to.be.within(0, 20);
    // Closed, its panel has no layout: nothing read there may move the question or its room.
    el.open = false;
    await settle(el);
    env.backend.persist(streamId, " More words.");
    await until(() => replyText(el).includes("More words"));
    await settle(el);
    el.open = true;
    await settle(el);
    await settle(el);
    expect(question()).to.be.within(0, 20);
  });

  it("keeps the bottom in view when the composer grows with a long paste, without a New messages pill", async () => {
    env = setup();
    const { el } = await mountWithThread(env, history(6));
    expect(distanceFromBottom(el)).to.be.lessThan(2);
    const before = $(el, ".messages")!.clientHeight;
    const box = $<HTMLTextAreaElement>(el, "textarea")!;
    box.focus();
    box.value = "A long pasted text that wraps over many lines. ".repeat(12);
    box.dispatchEvent(new Event("input", { bubbles: true, composed: true }));
    await settle(el);
    expect($(el, ".messages")!.clientHeight, "the composer grew").to.be.lessThan(before - 20);
    await new Promise((r) => requestAnimationFrame(r));
    await settle(el);
    expect(distanceFromBottom(el)).to.be.lessThan(2);
    expect($(el, "[part=new-messages]") === null, "[part=new-messages]").to.equal(true);
    // The last reply's end is on screen, above the composer.
    const last = lastRow(el, ".row.assistant");
    expect(last.bottom).to.be.at.most($(el, ".messages")!.getBoundingClientRect().bottom + 1);
  });
});

describe("another thread", () => {
  let env: Setup;
  afterEach(() => env.restore());

  it("showing another thread drops the pill and the scrolled-up position of the one before: the new one opens at its end", async () => {
    env = setup();
    const { el, threadId } = await mountWithThread(env, history(8));
    const { streamId } = env.backend.seedActiveReply(threadId, "Another question");
    env.backend.persist(streamId, "First words. ");
    await until(() => replyText(el).includes("First words."));
    await settle(el);
    const messages = $(el, ".messages")!;
    messages.scrollTo({ top: 0, behavior: "instant" });
    messages.dispatchEvent(new Event("scroll"));
    env.backend.persist(streamId, "More words.\n\n".repeat(10));
    await until(() => $(el, "[part=new-messages]") !== null);
    const other = env.backend.seedThread(TOKEN, history(10));
    el.thread = other;
    await until(() => $$(el, ".row").length === 20);
    await settle(el);
    expect($(el, "[part=new-messages]") === null, "[part=new-messages]").to.equal(true);
    expect(distanceFromBottom(el)).to.be.lessThan(2);
  });
});
