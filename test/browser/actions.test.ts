// The action row under finished replies (issue 24, items 2-4): copy, thumbs with a comment, and
// regenerate, loaded as a part when the first finished reply renders.
import { expect, oneEvent } from "@open-wc/testing";
import { sendKeys, setViewport } from "@web/test-runner-commands";
import type { AiChatStream } from "../../src/shell/ai-chat-stream.js";
import type { AiChatErrorEvent, AiChatFeedbackEvent } from "../../src/events.js";
import { deriveSiteUrl } from "../../src/site-url.js";
import { storageKey } from "../../src/storage.js";
import { FakeConvexError, until } from "./fake-backend.js";
import { $, $$, animationsDone, mount, replyText, sendAndStart, settle, setup, type Setup } from "./helpers.js";

const TOKEN = "visitor-token";

/** Mounts the visitor's stored thread holding `history`, and waits for the action rows. */
async function mountThread(env: Setup, history: Array<[string, string]>, attrs = "") {
  const threadId = env.backend.seedThread(TOKEN, history);
  localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token: TOKEN }));
  const el = await mount(env.url, attrs);
  await until(() => $$(el, "[part=copy-button]").length === history.length);
  await settle(el);
  return { el, threadId };
}

const replies = (env: Setup) => env.backend.messages.filter((m) => m.role === "assistant");
const rateCalls = (env: Setup) => env.backend.calls.filter((c) => c.name === "feedback:rate");
const pressed = (el: AiChatStream, part: string) => $$(el, `[part=${part}]`).map((b) => b.getAttribute("aria-pressed"));
const live = (el: AiChatStream) => $(el, "[aria-live=polite]")?.textContent ?? "";

describe("the action row", () => {
  let env: Setup;
  afterEach(() => env.restore());

  // First in the file: the page has not loaded the part's module before this test.
  it("its code loads when the first finished reply renders, not with the chat", async () => {
    const loaded = () =>
      performance.getEntriesByType("resource").some((e) => e.name.includes("/src/actions/message-actions."));
    env = setup();
    const el = await mount(env.url);
    await sendAndStart(el, "Hello?");
    const streamId = env.backend.messages.at(-1)!.streamId!;
    env.backend.persist(streamId, "Hi");
    await until(() => replyText(el) === "Hi");
    await settle(el);
    expect(loaded()).to.equal(false);
    env.backend.persist(streamId, " there.");
    env.backend.finish(streamId);
    await until(() => $(el, ".row.assistant")?.getAttribute("data-status") === "done");
    const height = () => $(el, ".row.assistant")!.getBoundingClientRect().height;
    const before = height();
    await until(() => $(el, "[part=copy-button]") !== null);
    expect(loaded()).to.equal(true);
    // The row takes the room the chat kept for it: the reply is as tall as before it came.
    expect(height()).to.equal(before);
  });

  it("appears once a reply has finished, with regenerate on the last reply only", async () => {
    env = setup();
    const { el } = await mountThread(env, [
      ["First?", "One."],
      ["Second?", "Two."],
    ]);
    expect($$(el, "[part=feedback-up]")).to.have.length(2);
    expect($$(el, "[part=feedback-down]")).to.have.length(2);
    expect($$(el, "[part=regenerate-button]")).to.have.length(1);
    expect($$(el, ".row.assistant").at(-1)!.querySelector("[part=regenerate-button]")).to.not.equal(null);
    await sendAndStart(el, "Third?");
    const streamId = env.backend.messages.at(-1)!.streamId!;
    env.backend.persist(streamId, "Thr");
    await until(() => replyText(el) === "Thr");
    // While a reply is written, it has no row, and nothing offers to regenerate.
    expect($$(el, "[part=copy-button]")).to.have.length(2);
    expect($$(el, "[part=regenerate-button]")).to.have.length(0);
    env.backend.persist(streamId, "ee.");
    env.backend.finish(streamId);
    await until(() => $$(el, "[part=copy-button]").length === 3);
    expect($$(el, ".row.assistant").at(-1)!.querySelector("[part=regenerate-button]")).to.not.equal(null);
  });

  it("copy writes the reply's Markdown source to the clipboard and announces Copied", async () => {
    env = setup();
    const written: string[] = [];
    const clipboard = Object.getOwnPropertyDescriptor(Navigator.prototype, "clipboard")!;
    Object.defineProperty(navigator, "clipboard", {
      configurable: true,
      value: { writeText: (text: string) => (written.push(text), Promise.resolve()) },
    });
    try {
      const { el } = await mountThread(env, [["Code?", "Use **bold** and `code`."]]);
      const button = $<HTMLButtonElement>(el, "[part=copy-button]")!;
      expect(button.getAttribute("aria-label")).to.equal("Copy");
      button.click();
      await until(() => live(el) === "Copied");
      expect(written).to.deep.equal(["Use **bold** and `code`."]);
      expect($(el, "[part=copy-button]")!.getAttribute("aria-label")).to.equal("Copied");
    } finally {
      delete (navigator as { clipboard?: unknown }).clipboard;
      Object.defineProperty(Navigator.prototype, "clipboard", clipboard);
    }
  });

  it("a thumb rates the reply, is pressed, fires ai-chat-feedback and offers a comment", async () => {
    env = setup();
    const { el, threadId } = await mountThread(env, [["Why?", "Because."]]);
    const messageId = replies(env)[0]!._id;
    const fired = oneEvent(el, "ai-chat-feedback") as Promise<AiChatFeedbackEvent>;
    $<HTMLButtonElement>(el, "[part=feedback-up]")!.click();
    const event = await fired;
    expect([event.threadId, event.messageId, event.rating, event.comment]).to.deep.equal([
      threadId,
      messageId,
      "up",
      null,
    ]);
    expect(rateCalls(env).map((c) => [c.args.messageId, c.args.rating])).to.deep.equal([[messageId, "up"]]);
    await until(() => $(el, "[part=feedback-comment]") !== null);
    expect(pressed(el, "feedback-up")).to.deep.equal(["true"]);
    expect(pressed(el, "feedback-down")).to.deep.equal(["false"]);
    expect(el.shadowRoot!.activeElement).to.equal($(el, "[part=feedback-comment]"));
    await until(() => live(el) === "Thanks for your feedback");
    // The comment goes with the same rating, and the box closes.
    await sendKeys({ type: "Clear and short" });
    const withComment = oneEvent(el, "ai-chat-feedback") as Promise<AiChatFeedbackEvent>;
    await sendKeys({ press: "Enter" });
    expect((await withComment).comment).to.equal("Clear and short");
    await until(() => $(el, "[part=feedback-comment]") === null);
    expect(rateCalls(env).at(-1)!.args).to.include({ rating: "up", comment: "Clear and short" });
    expect(env.backend.messages.find((m) => m._id === messageId)!.feedback).to.deep.equal({
      rating: "up",
      comment: "Clear and short",
    });
  });

  it("the other thumb replaces the rating; the pressed one takes it back", async () => {
    env = setup();
    const { el } = await mountThread(env, [["Why?", "Because."]]);
    $<HTMLButtonElement>(el, "[part=feedback-up]")!.click();
    await until(() => pressed(el, "feedback-up")[0] === "true");
    $<HTMLButtonElement>(el, "[part=feedback-down]")!.click();
    await until(() => pressed(el, "feedback-down")[0] === "true");
    expect(pressed(el, "feedback-up")).to.deep.equal(["false"]);
    const back = oneEvent(el, "ai-chat-feedback") as Promise<AiChatFeedbackEvent>;
    $<HTMLButtonElement>(el, "[part=feedback-down]")!.click();
    expect((await back).rating).to.equal(null);
    await until(() => pressed(el, "feedback-down")[0] === "false");
    expect(rateCalls(env).map((c) => c.args.rating)).to.deep.equal(["up", "down", null]);
    expect(replies(env)[0]!.feedback).to.equal(undefined);
  });

  it("Escape closes the comment box (not the launcher's panel) and gives the focus back to the pressed thumb", async () => {
    env = setup();
    const { el } = await mountThread(env, [["Why?", "Because."]], "launcher open");
    $<HTMLButtonElement>(el, "[part=feedback-down]")!.click();
    await until(() => el.shadowRoot!.activeElement === $(el, "[part=feedback-comment]"));
    await sendKeys({ press: "Escape" });
    await until(() => $(el, "[part=feedback-comment]") === null);
    await settle(el);
    expect(el.shadowRoot!.activeElement).to.equal($(el, "[part=feedback-down]"));
    expect(el.open).to.equal(true);
  });

  it("rate() rates from script; a rating comes back from the server after a reload", async () => {
    env = setup();
    const { el } = await mountThread(env, [
      ["One?", "1"],
      ["Two?", "2"],
    ]);
    const [first, second] = replies(env);
    await el.rate(first!._id, "down", "Wrong number");
    await el.rate(second!._id, "up");
    await settle(el);
    expect(pressed(el, "feedback-down")).to.deep.equal(["true", "false"]);
    el.remove();
    const again = await mount(env.url);
    await until(() => $$(again, "[part=feedback-up]").length === 2);
    await settle(again);
    expect(pressed(again, "feedback-down")).to.deep.equal(["true", "false"]);
    expect(pressed(again, "feedback-up")).to.deep.equal(["false", "true"]);
  });

  it("a rating refused by the server leaves the thumbs as they were and fires ai-chat-error", async () => {
    env = setup();
    const { el } = await mountThread(env, [["Why?", "Because."]]);
    env.backend.failNext.set(
      "feedback:rate",
      new FakeConvexError({ code: "BAD_REQUEST", message: "comment is 900 characters; the limit is 500" }),
    );
    const failed = oneEvent(el, "ai-chat-error") as Promise<AiChatErrorEvent>;
    $<HTMLButtonElement>(el, "[part=feedback-up]")!.click();
    expect((await failed).code).to.equal("BAD_REQUEST");
    await settle(el);
    expect(pressed(el, "feedback-up")).to.deep.equal(["false"]);
    expect($(el, "[part=feedback-comment]")).to.equal(null);
  });

  it("regenerate asks for one new reply to the same prompt, which replaces the old one", async () => {
    env = setup();
    const { el } = await mountThread(env, [["Tell a joke", "Knock knock."]]);
    const started = oneEvent(el, "ai-chat-stream-start");
    $<HTMLButtonElement>(el, "[part=regenerate-button]")!.click();
    await started;
    const posts = env.fetchCalls.filter((c) => c.url.endsWith("/chat-stream"));
    expect(posts.map((c) => (JSON.parse(String(c.init.body)) as { retry?: string }).retry)).to.deep.equal([
      replies(env)[0]!._id,
    ]);
    expect(env.backend.calls.filter((c) => c.name === "messages:retry")).to.have.length(1);
    const again = env.backend.messages.at(-1)!.streamId!;
    env.backend.persist(again, "Why did the chicken cross the road?");
    env.backend.finish(again);
    await until(() => replyText(el) === "Why did the chicken cross the road?");
    expect($$(el, ".row.assistant")).to.have.length(1);
    expect($$(el, ".row.user")).to.have.length(1);
    // The old reply stays on the server, marked as replaced.
    expect(replies(env)[0]!.supersededBy).to.equal(replies(env)[1]!._id);
  });

  it("regenerate() does the same from script, and nothing while a reply is on its way", async () => {
    env = setup();
    const { el } = await mountThread(env, [["Tell a joke", "Knock knock."]]);
    const started = oneEvent(el, "ai-chat-stream-start");
    await el.regenerate();
    await started;
    await el.regenerate();
    expect(env.backend.calls.filter((c) => c.name === "messages:retry")).to.have.length(1);
  });

  it("a viewer (mode=observe) can copy but not rate or regenerate, and reads the rating", async () => {
    env = setup();
    const threadId = env.backend.seedThread(TOKEN, [["Why?", "Because."]]);
    replies(env)[0]!.feedback = { rating: "down", comment: "Too short" };
    env.backend.threads.get(threadId)!.observers.add("obs");
    const el = await mount(env.url, `mode="observe" observer-token="obs" thread="${threadId}"`);
    await until(() => $(el, "[part=copy-button]") !== null);
    await settle(el);
    expect($$(el, "[part=feedback-up], [part=feedback-down], [part=regenerate-button]")).to.have.length(0);
    expect($(el, "[part=feedback-rating]")!.textContent!.replace(/\s+/g, " ").trim()).to.equal("Rated bad: Too short");
    await el.rate(replies(env)[0]!._id, "up");
    await el.regenerate();
    expect(env.backend.calls.filter((c) => c.name === "feedback:rate" || c.name === "messages:retry")).to.deep.equal(
      [],
    );
  });

  it("is accessible with the row and the comment box, light and dark, and fits a phone", async () => {
    env = setup();
    await setViewport({ width: 360, height: 700 });
    try {
      const { el } = await mountThread(env, [["Why?", "Because."]], `theme="dark"`);
      await animationsDone(el);
      await expect(el).to.be.accessible();
      $<HTMLButtonElement>(el, "[part=feedback-up]")!.click();
      await until(() => $(el, "[part=feedback-comment]") !== null);
      await settle(el);
      await expect(el).to.be.accessible();
      el.setAttribute("theme", "light");
      await settle(el);
      await expect(el).to.be.accessible();
      const messages = $(el, ".messages")!;
      expect(messages.scrollWidth).to.be.at.most(messages.clientWidth);
      for (const part of ["copy-button", "feedback-up", "feedback-down", "regenerate-button"]) {
        const box = $(el, `[part=${part}]`)!.getBoundingClientRect();
        expect(box.width, part).to.be.at.least(24);
        expect(box.right, part).to.be.at.most(messages.getBoundingClientRect().right);
      }
    } finally {
      await setViewport({ width: 800, height: 600 });
    }
  });
});
