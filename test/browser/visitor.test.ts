// What a visitor notices (issue 13): scrolling, focus and keys, failures, unread replies,
// persistence, right-to-left text, small screens, the empty state and streaming polish.
import { expect, fixture, oneEvent } from "@open-wc/testing";
import { html } from "lit";
import { sendKeys, setViewport } from "@web/test-runner-commands";
import type { AiChatStream } from "../../src/shell/ai-chat-stream.js";
import type { AiChatErrorEvent } from "../../src/events.js";
import { deriveSiteUrl } from "../../src/site-url.js";
import { storageKey } from "../../src/storage.js";
import { controlledBody, until } from "./fake-backend.js";
import {
  $,
  $$,
  animationsDone,
  freshUrl,
  mount,
  replyText,
  sendAndStart,
  settle,
  setup,
  type Setup,
} from "./helpers.js";

const TOKEN = "visitor-token";
const longHistory = (n: number): Array<[string, string]> =>
  Array.from({ length: n }, (_, i) => [`Question ${i}`, `Answer ${i}\n\n${"A long paragraph of text. ".repeat(8)}`]);

/** Mounts `el` on the visitor's stored thread with `history`. */
async function mountWithThread(
  env: Setup,
  history: Array<[string, string]>,
  attrs = "",
): Promise<{ el: AiChatStream; threadId: string }> {
  const threadId = env.backend.seedThread(TOKEN, history);
  localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token: TOKEN }));
  const el = await mount(env.url, attrs);
  await until(() => $$(el, ".row").length === history.length * 2);
  await settle(el);
  return { el, threadId };
}

function type(el: AiChatStream, text: string): HTMLTextAreaElement {
  const box = $<HTMLTextAreaElement>(el, "textarea")!;
  box.focus();
  box.value = text;
  box.dispatchEvent(new Event("input", { bubbles: true, composed: true }));
  return box;
}

/** How far (px) the transcript is from its bottom. */
const distanceFromBottom = (el: AiChatStream) => {
  const m = $(el, ".messages")!;
  return m.scrollHeight - m.scrollTop - m.clientHeight;
};

/** Scrolls the transcript to its top as a reader does; returns the transcript. */
function scrollToTop(el: AiChatStream): HTMLElement {
  const messages = $(el, ".messages")!;
  // As a reader scrolls: at once (the transcript's smooth scrolling is for its own jumps).
  messages.scrollTo({ top: 0, behavior: "instant" });
  messages.dispatchEvent(new Event("scroll"));
  return messages;
}

describe("scrolling", () => {
  let env: Setup;
  afterEach(() => env.restore());

  it("shows your message after sending while scrolled up", async () => {
    env = setup();
    const { el } = await mountWithThread(env, longHistory(8));
    const messages = scrollToTop(el);
    void el.send("A new question");
    await until(() => $$(el, ".row.user").some((r) => r.textContent!.includes("A new question")));
    await settle(el);
    const row = $$(el, ".row.user")
      .find((r) => r.textContent!.includes("A new question"))!
      .getBoundingClientRect();
    const box = messages.getBoundingClientRect();
    expect(row.top).to.be.at.least(box.top);
    expect(row.bottom).to.be.at.most(box.bottom + 1);
  });

  it("shows a New messages pill when a reply grows below a reader who scrolled up; it jumps to the latest and follows again", async () => {
    env = setup();
    const { el, threadId } = await mountWithThread(env, longHistory(8));
    const { streamId } = env.backend.seedActiveReply(threadId, "Another question");
    env.backend.persist(streamId, "First words. ");
    await until(() => replyText(el).includes("First words."));
    await settle(el);
    expect(distanceFromBottom(el)).to.be.lessThan(2);
    expect($(el, "[part=new-messages]")).to.not.exist;
    const messages = scrollToTop(el);
    env.backend.persist(streamId, "More words.\n\n".repeat(10));
    await until(() => $(el, "[part=new-messages]") !== null);
    expect(messages.scrollTop).to.equal(0);
    await expect(el).to.be.accessible();
    $<HTMLButtonElement>(el, "[part=new-messages]")!.click();
    await settle(el);
    expect(distanceFromBottom(el)).to.be.lessThan(2);
    expect($(el, "[part=new-messages]")).to.not.exist;
    env.backend.persist(streamId, "And the end.\n\n".repeat(10));
    await until(() => replyText(el).includes("And the end."));
    await settle(el);
    expect(distanceFromBottom(el)).to.be.lessThan(2);
  });

  it("keeps following a reply while the page is hidden (no animation frames)", async () => {
    env = setup();
    const { el, threadId } = await mountWithThread(env, [["Q", "A"]]);
    const { streamId } = env.backend.seedActiveReply(threadId, "Hi");
    env.backend.persist(streamId, "Visible part. ");
    await until(() => replyText(el) === "Visible part.");
    // A background tab: document.hidden, and requestAnimationFrame never calls back.
    const raf = window.requestAnimationFrame;
    Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
    window.requestAnimationFrame = () => 0;
    try {
      env.backend.persist(streamId, "Hidden part.");
      await until(() => replyText(el) === "Visible part. Hidden part.", 3000);
    } finally {
      window.requestAnimationFrame = raf;
      delete (document as { hidden?: boolean }).hidden;
    }
  });
});

describe("focus and keys", () => {
  let env: Setup;
  afterEach(async () => {
    env.restore();
    await setViewport({ width: 800, height: 600 });
  });

  it("leaves Escape to the page when focus is outside the widget", async () => {
    env = setup();
    const page = await fixture<HTMLElement>(
      html`<div><button id="outside">Page menu</button><ai-chat-stream launcher open convex-url=${env.url}></ai-chat-stream></div>`,
    );
    const el = page.querySelector("ai-chat-stream")!;
    await settle(el);
    page.querySelector<HTMLButtonElement>("#outside")!.focus();
    await sendKeys({ press: "Escape" });
    await el.updateComplete;
    expect(el.open).to.equal(true);
    expect(document.activeElement!.id).to.equal("outside");
  });

  it("on a 390 px screen the open panel is modal: Tab stays inside and the page behind is inert", async () => {
    await setViewport({ width: 390, height: 844 });
    env = setup();
    const page = await fixture<HTMLElement>(
      html`<div><a id="before" href="#x">Before</a><ai-chat-stream launcher convex-url=${env.url}></ai-chat-stream><a id="after" href="#y">After</a></div>`,
    );
    const el = page.querySelector("ai-chat-stream")!;
    await settle(el);
    $<HTMLButtonElement>(el, "[part=launcher]")!.click();
    await settle(el);
    const dialog = $<HTMLDialogElement>(el, "dialog.panel")!;
    expect(dialog.matches(":modal")).to.equal(true);
    // Modal: the page's own links are inert, so neither Tab nor focus() can reach them.
    for (const id of ["before", "after"]) {
      const link = page.querySelector<HTMLAnchorElement>(`#${id}`)!;
      link.focus();
      expect(document.activeElement, id).to.not.equal(link);
    }
    page.querySelector<HTMLAnchorElement>("#after")!.focus();
    expect(document.activeElement).to.not.equal(page.querySelector("#after"));
    await animationsDone(el);
    await expect(el).to.be.accessible();
    // Closed, the page is usable again.
    await sendKeys({ press: "Escape" });
    await settle(el);
    expect(dialog.open).to.equal(false);
    page.querySelector<HTMLAnchorElement>("#after")!.focus();
    expect(document.activeElement).to.equal(page.querySelector("#after"));
  });

  it("on a wide screen the open panel is not modal: the page stays usable", async () => {
    env = setup();
    const page = await fixture<HTMLElement>(
      html`<div><a id="after" href="#y">After</a><ai-chat-stream launcher open convex-url=${env.url}></ai-chat-stream></div>`,
    );
    const el = page.querySelector("ai-chat-stream")!;
    await settle(el);
    expect($<HTMLDialogElement>(el, "dialog.panel")!.matches(":modal")).to.equal(false);
    page.querySelector<HTMLAnchorElement>("#after")!.focus();
    expect(document.activeElement).to.equal(page.querySelector("#after"));
  });

  for (const theme of ["light", "dark"]) {
    it(`draws a visible 2 px focus ring on code blocks and the transcript, inside the transcript's edge (${theme})`, async () => {
      const body = controlledBody();
      env = setup(() => new Response(body.stream, { status: 200 }));
      const el = await mount(env.url, `theme=${theme}`);
      await sendAndStart(el, "code");
      body.push(
        "```js\nconst aVeryLongIdentifierName = someFunction(argumentOne, argumentTwo, argumentThree);\n```\n\nDone",
      );
      body.close();
      await until(() => replyText(el).includes("Done"));
      const pre = $(el, "pre")!;
      pre.tabIndex = -1; // focus() needs it in case the browser does not make scrollers focusable
      pre.focus({ focusVisible: true } as FocusOptions);
      const ring = getComputedStyle(pre);
      expect([ring.outlineStyle, ring.outlineWidth]).to.deep.equal(["solid", "2px"]);
      expect(ring.outlineColor).to.not.equal(getComputedStyle($(el, ".row.assistant .bubble")!).backgroundColor);
      const messages = $(el, ".messages")!;
      messages.focus({ focusVisible: true } as FocusOptions);
      expect(parseFloat(getComputedStyle(messages).outlineOffset)).to.be.lessThan(0);
    });
  }
});

describe("failures", () => {
  let env: Setup;
  afterEach(() => env.restore());

  it("Retry on a failed reply regenerates it in place: one question, one answer, and fires ai-chat-error for the failure", async () => {
    env = setup();
    const el = await mount(env.url);
    const errored = oneEvent(el, "ai-chat-error") as Promise<AiChatErrorEvent>;
    await sendAndStart(el, "How do I export my notes?");
    const streamId = env.backend.messages.at(-1)!.streamId!;
    env.backend.persist(streamId, "You can export");
    env.backend.finish(streamId, "error", "The demo model failed mid-reply (DEMO_FAIL_AFTER_TOKENS is set).");
    const ev = await errored;
    expect([ev.code, ev.message]).to.deep.equal([
      "REPLY_FAILED",
      "The demo model failed mid-reply (DEMO_FAIL_AFTER_TOKENS is set).",
    ]);
    await until(() => $(el, "[part=retry-button]") !== null);
    await expect(el).to.be.accessible();
    const started = oneEvent(el, "ai-chat-stream-start");
    $<HTMLButtonElement>(el, "[part=retry-button]")!.click();
    await started;
    const retried = env.backend.messages.at(-1)!;
    expect(retried.streamId).to.not.equal(streamId);
    env.backend.persist(retried.streamId!, "You can export them from Settings.");
    env.backend.finish(retried.streamId!);
    await until(() => replyText(el) === "You can export them from Settings.");
    await settle(el);
    expect($$(el, ".row.user").map((r) => r.textContent!.replace("You:", "").trim())).to.deep.equal([
      "How do I export my notes?",
    ]);
    expect($$(el, ".row.assistant")).to.have.length(1);
    expect($(el, "[part=reply-error]")).to.not.exist;
    expect(env.backend.calls.filter((c) => c.name === "messages:send")).to.have.length(1);
    expect(el.status).to.equal("idle");
  });

  it("sending while offline keeps the text, says so, and fires ai-chat-error OFFLINE", async () => {
    env = setup();
    const el = await mount(env.url);
    env.backend.setConnected(false);
    window.dispatchEvent(new Event("offline"));
    await settle(el);
    type(el, "Are you there?");
    const errored = oneEvent(el, "ai-chat-error") as Promise<AiChatErrorEvent>;
    await sendKeys({ press: "Enter" });
    expect((await errored).code).to.equal("OFFLINE");
    await el.updateComplete;
    expect($<HTMLTextAreaElement>(el, "textarea")!.value).to.equal("Are you there?");
    expect($(el, ".banner.error")!.textContent).to.contain("You are offline.");
    expect(env.backend.calls.filter((c) => c.name === "messages:send")).to.have.length(0);
  });

  it("clears an old error banner as soon as a new send starts", async () => {
    env = setup();
    const el = await mount(env.url);
    env.backend.failNext.set("messages:send", new TypeError("Failed to fetch"));
    await el.send("First");
    await el.updateComplete;
    expect($(el, ".banner.error")).to.exist;
    type(el, "Second");
    await sendKeys({ press: "Enter" });
    await el.updateComplete;
    expect($(el, ".banner")).to.not.exist;
    expect($(el, ".thinking")).to.exist;
  });

  it("shows a counter near the prompt limit and, above it, disables Send with the reason", async () => {
    env = setup();
    env.backend.config.maxPromptChars = 100;
    const el = await mount(env.url);
    type(el, "a".repeat(80));
    await el.updateComplete;
    expect($(el, "[part=counter]")).to.not.exist;
    type(el, "a".repeat(95));
    await el.updateComplete;
    expect($(el, "[part=counter]")!.textContent).to.equal("95 / 100");
    expect($<HTMLButtonElement>(el, "[part=send-button]")!.disabled).to.equal(false);
    const box = type(el, "a".repeat(103));
    await el.updateComplete;
    expect($(el, "[part=counter]")!.textContent).to.equal("103 / 100");
    expect($<HTMLButtonElement>(el, "[part=send-button]")!.disabled).to.equal(true);
    expect($(el, "[part=composer-hint]")!.textContent).to.equal(
      "3 characters too long. Shorten your message to send it.",
    );
    expect(box.getAttribute("aria-invalid")).to.equal("true");
    expect(box.getAttribute("aria-describedby")).to.contain("composer-hint");
    await sendKeys({ press: "Enter" });
    await settle(el);
    expect(env.backend.calls.filter((c) => c.name === "messages:send")).to.have.length(0);
    expect(box.value).to.have.length(103);
    await expect(el).to.be.accessible();
  });

  it("Enter during a reply keeps the text and says why it waits", async () => {
    const body = controlledBody();
    env = setup(() => new Response(body.stream, { status: 200 }));
    const el = await mount(env.url);
    await sendAndStart(el, "First");
    body.push("Working on it");
    type(el, "Follow-up");
    await sendKeys({ press: "Enter" });
    await el.updateComplete;
    expect($<HTMLTextAreaElement>(el, "textarea")!.value).to.equal("Follow-up");
    expect($(el, "[part=composer-hint]")!.textContent).to.equal(
      "Wait for the reply to finish, or stop it, to send your message.",
    );
    body.close();
    env.backend.persist(env.backend.messages.at(-1)!.streamId!, "Working on it");
    env.backend.finish(env.backend.messages.at(-1)!.streamId!);
    await until(() => el.status === "idle");
    expect($(el, "[part=composer-hint]")!.textContent).to.equal("");
    expect($<HTMLTextAreaElement>(el, "textarea")!.value).to.equal("Follow-up");
  });
});

/**
 * A launcher opened once (one never opened connects to nothing), then closed; a reply `text`
 * then streams in and finishes behind it.
 */
async function replyFinishedWhileClosed(env: Setup, text: string): Promise<AiChatStream> {
  const { el, threadId } = await mountWithThread(env, [["Q", "A"]], "launcher open");
  el.open = false;
  await settle(el);
  const { streamId } = env.backend.seedActiveReply(threadId, "Another question");
  env.backend.persist(streamId, text);
  env.backend.finish(streamId);
  return el;
}

describe("unread replies and persistence", () => {
  let env: Setup;
  afterEach(() => env.restore());

  it("a reply that finishes while the panel is closed puts a badge and a preview on the launcher, and is announced", async () => {
    env = setup();
    const el = await replyFinishedWhileClosed(env, "**Yes**: you can export your notes as Markdown.");
    await until(() => $(el, "[part=unread]") !== null);
    expect($(el, "[part=unread]")!.textContent).to.equal("1");
    expect($(el, "[part=launcher]")!.getAttribute("aria-label")).to.equal("Open chat, 1 unread");
    expect($(el, "[part=unread-preview]")!.textContent).to.equal("Yes: you can export your notes as Markdown.");
    // Heard from a live region outside the closed panel.
    const live = $$(el, "[aria-live=polite]");
    expect(live).to.have.length(1);
    expect(live[0]!.closest("dialog")).to.equal(null);
    await until(() => live[0]!.textContent === "New reply: Yes: you can export your notes as Markdown.");
    await expect(el).to.be.accessible();
    $<HTMLButtonElement>(el, "[part=launcher]")!.click();
    await settle(el);
    expect($(el, "[part=unread]")).to.not.exist;
    expect($(el, "[part=unread-preview]")).to.not.exist;
  });

  it("setting thread from the page clears the unread badge and preview of the conversation it replaces", async () => {
    env = setup();
    const el = await replyFinishedWhileClosed(env, "A reply from the first conversation.");
    await until(() => $(el, "[part=unread]") !== null);
    el.thread = env.backend.seedThread(TOKEN, [["Other question", "Other answer"]]);
    await settle(el);
    // Text, not elements: a failure that prints a shadow-root element takes the runner down.
    expect($(el, "[part=unread]")?.textContent ?? null).to.equal(null);
    expect($(el, "[part=unread-preview]")?.textContent ?? null).to.equal(null);
    expect($(el, "[part=launcher]")!.getAttribute("aria-label")).to.equal("Open chat");
  });

  it("an unread preview cut at 80 units keeps whole emoji and shows no bidi or control characters", async () => {
    env = setup();
    // The emoji straddles units 79 and 80; U+202E would reverse the rest of the launcher's line.
    const text = `\u202e${"a".repeat(78)}\u0007😀 and the rest`;
    const el = await replyFinishedWhileClosed(env, text);
    await until(() => $(el, "[part=unread-preview]") !== null);
    const preview = $(el, "[part=unread-preview]")!.textContent!;
    expect(preview).to.equal(`${"a".repeat(78)}…`);
    expect(/[\ud800-\udfff]/.test(preview)).to.equal(false);
  });

  it("a long unread reply's preview shows two whole lines, with no third one peeking into its padding", async () => {
    env = setup();
    const el = await replyFinishedWhileClosed(
      env,
      "You can export your notes as Markdown, PDF or HTML from the menu. ".repeat(6),
    );
    await until(() => $(el, "[part=unread-preview]") !== null);
    const preview = $<HTMLElement>(el, "[part=unread-preview]")!;
    const box = preview.getBoundingClientRect();
    const style = getComputedStyle(preview);
    const contentTop = box.top + parseFloat(style.borderTopWidth) + parseFloat(style.paddingTop);
    const contentBottom = box.bottom - parseFloat(style.borderBottomWidth) - parseFloat(style.paddingBottom);
    // The line boxes of the preview's text, and which of them are not clipped away: an element
    // with overflow other than visible clips its content to its padding box.
    let clipTop = -Infinity;
    let clipBottom = Infinity;
    for (let node: Element | null = preview.querySelector("*") ?? preview; node; node = node.parentElement) {
      if (getComputedStyle(node).overflowY !== "visible") {
        const r = node.getBoundingClientRect();
        const s = getComputedStyle(node);
        clipTop = Math.max(clipTop, r.top + parseFloat(s.borderTopWidth));
        clipBottom = Math.min(clipBottom, r.bottom - parseFloat(s.borderBottomWidth));
      }
      if (node === preview) break;
    }
    const lines: DOMRect[] = [];
    const texts = document.createTreeWalker(preview, NodeFilter.SHOW_TEXT);
    for (let text = texts.nextNode(); text; text = texts.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(text);
      lines.push(...[...range.getClientRects()].filter((r) => r.width > 0));
    }
    const shown = lines.filter(
      (r) => r.bottom > Math.max(clipTop, box.top) && r.top < Math.min(clipBottom, box.bottom),
    );
    expect(lines.length, "the text is longer than two lines").to.be.greaterThan(2);
    for (const r of shown) {
      expect(r.top).to.be.at.least(contentTop - 0.5);
      expect(r.bottom).to.be.at.most(contentBottom + 0.5);
    }
    expect(new Set(shown.map((r) => Math.round(r.top))).size).to.equal(2);
  });

  it("the open panel and the unsent text survive a reload", async () => {
    env = setup();
    const first = await mount(env.url, "launcher");
    $<HTMLButtonElement>(first, "[part=launcher]")!.click();
    await settle(first);
    type(first, "Half-written question");
    await settle(first);
    first.remove();
    const second = await mount(env.url, "launcher");
    expect(second.open).to.equal(true);
    expect($<HTMLDialogElement>(second, "dialog.panel")!.open).to.equal(true);
    expect($<HTMLTextAreaElement>(second, "textarea")!.value).to.equal("Half-written question");
    // Another deployment's widget does not inherit it.
    const other = await mount(freshUrl(), "launcher");
    expect(other.open).to.equal(false);
  });
});

describe("right to left and small screens", () => {
  let env: Setup;
  afterEach(() => env.restore());

  it("gives every message its own direction (dir=auto) while the chrome follows the widget; code stays left-to-right", async () => {
    env = setup();
    const { el } = await mountWithThread(
      env,
      [["How do I export my notes?", "Use `export`:\n\n```sh\nnotes export --all\n```"]],
      `dir="rtl" lang="ar"`,
    );
    for (const row of $$(el, ".row")) expect(row.querySelector(".bubble > [dir=auto]"), row.className).to.exist;
    const userText = $(el, ".row.user [dir=auto]")!;
    expect(getComputedStyle(userText).direction).to.equal("ltr");
    expect(getComputedStyle($(el, ".header")!).direction).to.equal("rtl");
    expect(getComputedStyle($(el, "pre")!).direction).to.equal("ltr");
    await expect(el).to.be.accessible();
  });

  it("composer text is at least 16 px, so iOS does not zoom on focus", async () => {
    env = setup();
    const el = await mount(env.url, `style="--ai-chat-font-size: 13px"`);
    expect(parseFloat(getComputedStyle($(el, "textarea")!).fontSize)).to.be.at.least(16);
  });

  it("a long code line scrolls inside the bubble instead of widening it", async () => {
    env = setup();
    const { el } = await mountWithThread(env, [["code?", "```\n" + "x".repeat(200) + "\n```"]], `style="width: 400px"`);
    const pre = $(el, "pre")!;
    const row = $(el, ".row.assistant")!;
    expect(pre.scrollWidth).to.be.greaterThan(pre.clientWidth);
    expect($(el, ".row.assistant .bubble")!.getBoundingClientRect().right).to.be.at.most(
      row.getBoundingClientRect().right + 0.5,
    );
  });
});

describe("empty state and labels", () => {
  let env: Setup;
  afterEach(() => env.restore());

  it("greets with the greeting attribute (a default otherwise) and notes that replies come from an AI", async () => {
    env = setup();
    const plain = await mount(env.url);
    expect($(plain, ".empty-title")!.textContent).to.equal("Hi! How can I help?");
    expect($(plain, "[part=ai-note]")!.textContent).to.equal("Replies are written by an AI and can be wrong.");
    const custom = await mount(
      freshUrl(),
      `heading="Support" greeting="Ask us anything" ai-note="Answers by our AI assistant."`,
    );
    expect($(custom, ".empty-title")!.textContent).to.equal("Ask us anything");
    expect($(custom, ".title")!.textContent).to.equal("Support");
    expect($(custom, "[part=ai-note]")!.textContent).to.equal("Answers by our AI assistant.");
    const none = await mount(freshUrl(), `ai-note="-"`);
    expect($(none, "[part=ai-note]")).to.not.exist;
  });

  it("New chat has a visible label and announces the fresh conversation", async () => {
    env = setup();
    const { el } = await mountWithThread(env, [["Q", "A"]]);
    const button = $<HTMLButtonElement>(el, "[part=new-conversation]")!;
    expect(button.textContent!.trim()).to.equal("New chat");
    button.click();
    await settle(el);
    expect(el.thread).to.equal(null);
    expect($(el, "[aria-live=polite]")!.textContent).to.equal("New conversation started");
  });
});

describe("streaming polish", () => {
  let env: Setup;
  afterEach(() => env.restore());

  async function streaming(text: string) {
    const body = controlledBody();
    env = setup(() => new Response(body.stream, { status: 200 }));
    const el = await mount(env.url);
    await sendAndStart(el, "Hi");
    body.push(text);
    await until(() => $(el, ".bubble.streaming .md-block") !== null);
    await settle(el);
    return { el, body };
  }

  it("puts the cursor inline after the last character of a list", async () => {
    const { el, body } = await streaming("Steps:\n\n- one\n- two");
    const cursor = $$(el, ".cursor");
    expect(cursor).to.have.length(1);
    expect(cursor[0]!.parentElement!.tagName).to.equal("LI");
    expect(cursor[0]!.previousSibling!.textContent).to.equal("two");
    body.close();
  });

  it("puts the cursor on the last line of code, not after it", async () => {
    const { el, body } = await streaming("```js\nconst x = 1;\n");
    const cursor = $(el, ".cursor")!;
    expect(cursor.closest("pre")).to.exist;
    expect(cursor.previousSibling!.textContent!.endsWith("const x = 1;")).to.equal(true);
    body.close();
  });

  it("holds a table back until its delimiter row arrives, and shows a link's text until it closes", async () => {
    const { el, body } = await streaming("Intro\n\n| Name | Size |\n");
    expect(replyText(el)).to.equal("Intro");
    body.push("|---|---|\n| a | 1 |\n\nSee [Convex docs](https://docs.con");
    await until(() => $(el, "table") !== null);
    expect(replyText(el)).to.contain("See Convex docs");
    expect(replyText(el)).to.not.contain("[");
    expect($(el, ".bubble a")).to.not.exist;
    body.push("vex.dev) now.");
    await until(() => $(el, ".bubble a") !== null);
    expect($(el, ".bubble a")!.textContent).to.equal("Convex docs");
    body.close();
  });
});
