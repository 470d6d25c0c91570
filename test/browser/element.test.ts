import { expect, oneEvent } from "@open-wc/testing";
import { emulateMedia, sendKeys } from "@web/test-runner-commands";
import { AiChatStream, deriveSiteUrl } from "../../src/shell/ai-chat-stream.js";
import { clientRefCount } from "../../src/convex-pool.js";
import { legacyStorageKey, storageKey } from "../../src/storage.js";
import type { AiChatErrorEvent, AiChatSendEvent, AiChatStreamStartEvent } from "../../src/events.js";
import { controlledBody, FakeConvexError, stubFetch, until } from "./fake-backend.js";
import { $, $$, animationsDone, mount, replyText, sendAndStart, settle, setup, type Setup } from "./helpers.js";

describe("<ai-chat-stream> attributes and rendering", () => {
  let env: Setup;
  beforeEach(() => (env = setup()));
  afterEach(() => env.restore());

  it("shows the heading attribute in the header, and the greeting (not the heading again) in the empty state", async () => {
    const el = await mount(env.url, `heading="Ask Northwind"`);
    expect($(el, "[part=header] h2")!.textContent).to.equal("Ask Northwind");
    expect($(el, ".empty")!.textContent).to.not.contain("Ask Northwind");
    expect($(el, ".empty-title")!.textContent).to.equal("Hi! How can I help?");
  });

  it("uses the placeholder attribute on the labelled message box", async () => {
    const el = await mount(env.url, `placeholder="Ask anything…"`);
    const input = $<HTMLTextAreaElement>(el, "textarea[part=input]")!;
    expect(input.placeholder).to.equal("Ask anything…");
    expect(input.getAttribute("aria-label")).to.equal("Message");
  });

  it("derives the site URL from the deployment URL", () => {
    expect(deriveSiteUrl("https://happy-otter-123.convex.cloud")).to.equal("https://happy-otter-123.convex.site");
    expect(deriveSiteUrl("http://127.0.0.1:3210")).to.equal("http://127.0.0.1:3211");
    expect(deriveSiteUrl("http://localhost:8000/")).to.equal("http://localhost:8001");
  });

  it("POSTs to site-url when given instead of the derived one", async () => {
    const el = await mount(env.url, `site-url="https://chat.example.com"`);
    await el.send("Hi");
    await until(() => env.fetchCalls.length === 1);
    expect(env.fetchCalls[0]!.url).to.equal("https://chat.example.com/chat-stream");
  });

  it("reflects the theme attribute and defaults it to auto", async () => {
    const el = await mount(env.url);
    expect(el.getAttribute("theme")).to.equal("auto");
    el.theme = "dark";
    await el.updateComplete;
    expect(getComputedStyle($(el, ".panel")!).backgroundColor).to.equal("rgb(23, 24, 28)");
    el.theme = "light";
    await el.updateComplete;
    expect(getComputedStyle($(el, ".panel")!).backgroundColor).to.equal("rgb(255, 255, 255)");
  });

  it("follows a dark system preference in auto theme, unless the theme is light", async () => {
    await emulateMedia({ colorScheme: "dark" });
    try {
      const el = await mount(env.url);
      expect(getComputedStyle($(el, ".panel")!).backgroundColor).to.equal("rgb(23, 24, 28)");
      el.theme = "light";
      await el.updateComplete;
      expect(getComputedStyle($(el, ".panel")!).backgroundColor).to.equal("rgb(255, 255, 255)");
    } finally {
      await emulateMedia({ colorScheme: "light" });
    }
  });

  it("replaces any user-visible text through the strings property", async () => {
    const el = await mount(env.url);
    el.strings = { inputLabel: "Nachricht", send: "Senden", greeting: "Wie kann ich helfen?" };
    await el.updateComplete;
    expect($(el, "textarea")!.getAttribute("aria-label")).to.equal("Nachricht");
    expect($(el, "[part=send-button]")!.getAttribute("aria-label")).to.equal("Senden");
    expect($(el, ".empty")!.textContent).to.contain("Wie kann ich helfen?");
  });

  it("lays out right-to-left when dir=rtl", async () => {
    const token = "visitor-token";
    const threadId = env.backend.seedThread(token, [["مرحبا", "أهلا بك"]]);
    localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token }));
    const el = await mount(env.url, `dir="rtl" lang="ar"`);
    await until(() => $$(el, ".row").length === 2);
    const messages = $(el, ".messages")!.getBoundingClientRect();
    const user = $(el, ".row.user .bubble")!.getBoundingClientRect();
    const assistant = $(el, ".row.assistant .bubble")!.getBoundingClientRect();
    expect(getComputedStyle($(el, ".composer")!).direction).to.equal("rtl");
    // The visitor's bubble sits at the inline end: the left in RTL; the reply at the right.
    expect(user.left - messages.left).to.be.lessThan(40);
    expect(messages.right - assistant.right).to.be.lessThan(40);
    localStorage.removeItem(storageKey(env.url, deriveSiteUrl(env.url)));
  });

  it("never sends a stored visitor token to a site-url other than the one it was issued with", async () => {
    const token = "visitor-token-of-the-real-site";
    const threadId = env.backend.seedThread(token, [["Hello", "Hi"]]);
    localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token }));
    const fetches = stubFetch(() => new Response(null, { status: 205 }));
    try {
      const el = await mount(env.url, `site-url="https://evil.example"`);
      await el.send("hi");
      await until(() => fetches.calls.length === 1);
      expect(fetches.calls[0]!.url).to.equal("https://evil.example/chat-stream");
      expect(JSON.stringify(fetches.calls[0]!.init)).to.not.contain(token);
      expect(env.backend.calls.filter((c) => JSON.stringify(c.args).includes(token))).to.deep.equal([]);
      expect(el.thread).to.not.equal(threadId);
    } finally {
      fetches.restore();
      localStorage.removeItem(storageKey(env.url, deriveSiteUrl(env.url)));
      localStorage.removeItem(storageKey(env.url, "https://evil.example"));
    }
  });

  it("a returning visitor stored under the deployment URL alone (earlier versions) keeps their thread", async () => {
    const token = "visitor-token-from-before";
    const threadId = env.backend.seedThread(token, [["Hello", "Hi there"]]);
    localStorage.setItem(legacyStorageKey(env.url), JSON.stringify({ threadId, token }));
    const el = await mount(env.url);
    expect(el.thread).to.equal(threadId);
    await until(() => $$(el, ".row").length === 2);
    // The widget's own entry (an inline chat without an id: `inline`) takes the thread.
    expect(JSON.parse(localStorage.getItem(storageKey(env.url, deriveSiteUrl(env.url), "inline"))!)).to.deep.equal({
      threadId,
      token,
    });
    expect(localStorage.getItem(legacyStorageKey(env.url))).to.equal(null);
  });

  it("a session stored under the deployment URL alone is not taken to a site-url other than the derived one", async () => {
    const token = "visitor-token-from-before";
    const threadId = env.backend.seedThread(token, [["Hello", "Hi there"]]);
    localStorage.setItem(legacyStorageKey(env.url), JSON.stringify({ threadId, token }));
    const el = await mount(env.url, `site-url="https://evil.example"`);
    expect(el.thread).to.equal(null);
    expect(localStorage.getItem(storageKey(env.url, "https://evil.example"))).to.equal(null);
    expect(localStorage.getItem(legacyStorageKey(env.url))).to.not.equal(null);
  });

  it("is read-only in observe mode: no composer, and the thread follows live with the observer token", async () => {
    const threadId = env.backend.seedThread("owner-token");
    env.backend.threads.get(threadId)!.observers.add("obs-1");
    const { streamId } = env.backend.seedActiveReply(threadId, "Where is my order?");
    const el = await mount(env.url, `mode="observe" observer-token="obs-1" thread="${threadId}"`);
    expect($(el, "[part=composer]")).to.not.exist;
    env.backend.persist(streamId, "It shipped ");
    env.backend.persist(streamId, "yesterday.");
    await until(() => replyText(el) === "It shipped yesterday.");
    expect(env.backend.subscriptions("streams:tail")[0]!.args.token).to.equal("obs-1");
    await el.send("Not allowed");
    expect(env.backend.calls.filter((c) => c.name === "messages:send")).to.have.length(0);
  });

  it("shares one client per deployment URL between elements and closes it after the last one leaves", async () => {
    const a = await mount(env.url);
    const b = await mount(env.url);
    expect(env.backend.clientsMade).to.equal(1);
    expect(clientRefCount(env.url)).to.equal(2);
    a.remove();
    expect(env.backend.clientsClosed).to.equal(0);
    b.remove();
    expect(env.backend.clientsClosed).to.equal(1);
    expect(clientRefCount(env.url)).to.equal(0);
  });

  it("define() registers another tag name for the same element", async () => {
    const Ctor = AiChatStream.define("my-support-chat");
    expect(customElements.get("my-support-chat")).to.equal(Ctor);
    expect(AiChatStream.define("my-support-chat")).to.equal(Ctor);
    expect(customElements.get("ai-chat-stream")).to.equal(AiChatStream);
    expect(document.createElement("my-support-chat")).to.be.instanceOf(AiChatStream);
  });
});

describe("<ai-chat-stream> events", () => {
  let env: Setup;
  afterEach(() => env.restore());

  it("fires a cancelable ai-chat-send with the prompt, and sends nothing when it is canceled", async () => {
    env = setup();
    const el = await mount(env.url);
    let seen: AiChatSendEvent | undefined;
    document.addEventListener("ai-chat-send", (e) => ((seen = e), e.preventDefault()), { once: true });
    await el.send("Secret plans");
    expect(seen!.prompt).to.equal("Secret plans");
    expect(seen!.bubbles && seen!.composed && seen!.cancelable).to.equal(true);
    expect(env.backend.calls).to.have.length(0);
  });

  it("fires ai-chat-stream-start for a reply it follows but did not drive", async () => {
    env = setup();
    const threadId = env.backend.seedThread("t");
    localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token: "t" }));
    const el = await mount(env.url);
    const started = oneEvent(el, "ai-chat-stream-start") as Promise<AiChatStreamStartEvent>;
    const { streamId } = env.backend.seedActiveReply(threadId);
    const ev = await started;
    expect({ threadId: ev.threadId, streamId: ev.streamId, driven: ev.driven }).to.deep.equal({
      threadId,
      streamId,
      driven: false,
    });
    localStorage.removeItem(storageKey(env.url, deriveSiteUrl(env.url)));
  });

  it("fires ai-chat-error with the contract code and detail, and shows the visitor a plain sentence without Retry", async () => {
    env = setup();
    const el = await mount(env.url);
    env.backend.failNext.set(
      "messages:send",
      new FakeConvexError({ code: "PROMPT_TOO_LONG", message: "prompt is 9,214 characters; the limit is 8,000" }),
    );
    const errored = oneEvent(el, "ai-chat-error") as Promise<AiChatErrorEvent>;
    await el.send("Long prompt");
    const ev = await errored;
    expect([ev.code, ev.message]).to.deep.equal(["PROMPT_TOO_LONG", "prompt is 9,214 characters; the limit is 8,000"]);
    await el.updateComplete;
    expect(el.status).to.equal("error");
    expect(el.getAttribute("status")).to.equal("error");
    expect($(el, ".banner.error")!.textContent!.trim()).to.equal(
      "Your message is too long. Shorten it and send it again.",
    );
    // Sending the same text again cannot work; the text is back in the box to shorten.
    expect($(el, ".banner .retry")).to.not.exist;
    expect($<HTMLTextAreaElement>(el, "textarea")!.value).to.equal("Long prompt");
  });

  it("tells a visitor the daily budget is spent in plain words, not the server's", async () => {
    env = setup();
    const el = await mount(env.url);
    env.backend.failNext.set(
      "messages:send",
      new FakeConvexError({ code: "BUDGET_EXHAUSTED", message: "DAILY_TOKEN_BUDGET of 500,000 tokens is spent" }),
    );
    await el.send("Hi");
    await el.updateComplete;
    expect($(el, ".banner.error .reason")!.textContent!.trim()).to.equal(
      "The chat has reached its limit for today. Please try again later.",
    );
  });

  it("shows an unknown error code as the generic sentence", async () => {
    env = setup();
    const el = await mount(env.url);
    // A code this widget version does not know, as a newer backend might send.
    env.backend.failNext.set(
      "messages:send",
      new FakeConvexError({
        code: "A_CODE_FROM_THE_FUTURE",
        message: "the deployment's FUTURE_LIMIT (2,000,000) is spent",
      }),
    );
    await el.send("Hi");
    await el.updateComplete;
    expect($(el, ".banner.error .reason")!.textContent!.trim()).to.equal("Something went wrong. Please try again.");
  });

  it("offers Retry after a network failure, which sends the text again", async () => {
    env = setup();
    const el = await mount(env.url);
    env.backend.failNext.set("messages:send", new TypeError("Failed to fetch"));
    const errored = oneEvent(el, "ai-chat-error") as Promise<AiChatErrorEvent>;
    await el.send("Hello");
    expect((await errored).code).to.equal("NETWORK");
    await el.updateComplete;
    expect($(el, ".banner.error")!.textContent).to.contain("Could not reach the server.");
    $<HTMLButtonElement>(el, ".banner .retry")!.click();
    await until(() => env.backend.calls.filter((c) => c.name === "messages:send").length === 2);
    await settle(el);
    expect($(el, ".banner.error")).to.not.exist;
    expect(env.backend.messages.filter((m) => m.role === "user").map((m) => m.text)).to.deep.equal(["Hello"]);
  });

  it("shows the wait time when messages:send is rate limited", async () => {
    env = setup();
    const el = await mount(env.url);
    env.backend.failNext.set(
      "messages:send",
      new FakeConvexError({ code: "RATE_LIMITED", message: "Slow down", retryAfterMs: 30_000 }),
    );
    await el.send("Hi");
    await el.updateComplete;
    expect($(el, ".banner.rate-limit")!.textContent).to.contain("30 s");
    expect(el.status).to.equal("error");
    // The prompt comes back into the box so nothing typed is lost.
    expect($<HTMLTextAreaElement>(el, "textarea")!.value).to.equal("Hi");
  });

  it("keeps counting down the rate-limit wait after being moved in the page", async () => {
    env = setup();
    const el = await mount(env.url);
    env.backend.failNext.set(
      "messages:send",
      new FakeConvexError({ code: "RATE_LIMITED", message: "Slow down", retryAfterMs: 1500 }),
    );
    await el.send("Hi");
    await el.updateComplete;
    expect($(el, ".banner.rate-limit")!.textContent).to.contain("2 s");
    const parent = el.parentElement!;
    el.remove();
    parent.append(el);
    await until(() => $(el, ".banner.rate-limit") === null && el.status === "idle", 3000);
  });

  it("shows the Retry-After wait when POST /chat-stream answers 429", async () => {
    env = setup(
      () =>
        new Response(JSON.stringify({ code: "RATE_LIMITED", message: "Too many requests" }), {
          status: 429,
          headers: { "Content-Type": "application/json", "Retry-After": "12" },
        }),
    );
    const el = await mount(env.url);
    const errored = oneEvent(el, "ai-chat-error") as Promise<AiChatErrorEvent>;
    await el.send("Hi");
    expect((await errored).code).to.equal("RATE_LIMITED");
    await el.updateComplete;
    expect($(el, ".banner.rate-limit")!.textContent).to.contain("12 s");
  });

  it("marks a reply that fails on the server on its bubble, in plain words, with Retry", async () => {
    env = setup();
    const el = await mount(env.url);
    await el.send("Hi");
    const streamId = env.backend.messages.at(-1)!.streamId!;
    env.backend.persist(streamId, "Part");
    env.backend.finish(streamId, "error", "The demo model failed mid-reply (DEMO_FAIL_AFTER_TOKENS is set).");
    await until(() => $(el, "[part=reply-error]") !== null);
    const marker = $(el, ".row.assistant [part=reply-error]")!;
    expect(marker.textContent).to.contain("The reply could not be completed.");
    expect(el.shadowRoot!.textContent).to.not.contain("DEMO_FAIL_AFTER_TOKENS");
    expect(marker.querySelector("[part=retry-button]")).to.exist;
    expect($(el, ".banner")).to.not.exist;
    expect(el.status).to.equal("error");
  });
});

describe("<ai-chat-stream> states", () => {
  let env: Setup;
  beforeEach(() => (env = setup()));
  afterEach(() => env.restore());

  it("shows an offline notice while the connection is down", async () => {
    const el = await mount(env.url);
    expect($(el, ".offline")).to.not.exist;
    env.backend.setConnected(false);
    await el.updateComplete;
    expect($(el, ".offline")!.textContent).to.contain("offline");
    env.backend.setConnected(true);
    await el.updateComplete;
    expect($(el, ".offline")).to.not.exist;
  });

  it("shows a demo-model badge when config:get says demo", async () => {
    env.backend.config.demo = true;
    const el = await mount(env.url);
    expect($(el, ".badge")!.textContent).to.equal("Demo model");
  });

  it("shows a demo-model badge when a reply came from the demo model", async () => {
    const threadId = env.backend.seedThread("t", [["Hi", "Hello"]]);
    env.backend.messages.at(-1)!.model = "demo";
    localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token: "t" }));
    const el = await mount(env.url);
    await until(() => $(el, ".badge") !== null);
    localStorage.removeItem(storageKey(env.url, deriveSiteUrl(env.url)));
  });

  it("announces only the start and the end of a reply in the live region", async () => {
    const body = controlledBody();
    env.restore();
    env = setup(() => new Response(body.stream, { status: 200 }));
    const el = await mount(env.url);
    const live = $(el, "[aria-live=polite]")!;
    const heard: string[] = [];
    new MutationObserver(() => live.textContent && heard.push(live.textContent)).observe(live, {
      subtree: true,
      childList: true,
      characterData: true,
    });
    const { streamId } = await sendAndStart(el, "Hi");
    for (const c of ["a ", "b ", "c"]) {
      body.push(c);
      env.backend.persist(streamId, c);
      await settle(el);
    }
    body.close();
    env.backend.finish(streamId);
    await until(() => heard.includes("Response complete"));
    expect(heard).to.deep.equal(["Responding", "Response complete"]);
  });

  it("keeps focus in the composer after sending with Enter, and Shift+Enter adds a line", async () => {
    const el = await mount(env.url);
    const input = $<HTMLTextAreaElement>(el, "textarea")!;
    input.focus();
    await sendKeys({ type: "line one" });
    await sendKeys({ down: "Shift" });
    await sendKeys({ press: "Enter" });
    await sendKeys({ up: "Shift" });
    await sendKeys({ type: "line two" });
    expect(input.value).to.equal("line one\nline two");
    await sendKeys({ press: "Enter" });
    await until(() => env.backend.calls.some((c) => c.name === "messages:send"));
    expect(env.backend.calls.find((c) => c.name === "messages:send")!.args.prompt).to.equal("line one\nline two");
    expect(el.shadowRoot!.activeElement).to.equal(input);
    expect(input.value).to.equal("");
  });
});

describe("<ai-chat-stream> launcher", () => {
  let env: Setup;
  beforeEach(() => (env = setup()));
  afterEach(() => env.restore());

  it("is a button with an accessible name that opens the panel and focuses the message box", async () => {
    const el = await mount(env.url, "launcher");
    const button = $<HTMLButtonElement>(el, "[part=launcher]")!;
    expect(button.getAttribute("aria-label")).to.equal("Open chat");
    expect($<HTMLDialogElement>(el, "dialog.panel")!.open).to.equal(false);
    button.click();
    await el.updateComplete;
    expect(el.open).to.equal(true);
    expect(button.getAttribute("aria-expanded")).to.equal("true");
    expect($<HTMLDialogElement>(el, "dialog.panel")!.open).to.equal(true);
    expect(el.shadowRoot!.activeElement).to.equal($(el, "textarea"));
  });

  it("closes on Escape and returns focus to the launcher", async () => {
    const el = await mount(env.url, "launcher open");
    $<HTMLTextAreaElement>(el, "textarea")!.focus();
    await sendKeys({ press: "Escape" });
    await el.updateComplete;
    await el.updateComplete;
    expect(el.open).to.equal(false);
    expect($<HTMLDialogElement>(el, "dialog.panel")!.open).to.equal(false);
    expect(el.shadowRoot!.activeElement).to.equal($(el, "[part=launcher]"));
  });

  it("still closes on Escape after an open launcher is moved in the page", async () => {
    const el = await mount(env.url, "launcher open");
    const parent = el.parentElement!;
    el.remove();
    parent.append(el);
    await settle(el);
    expect($<HTMLDialogElement>(el, "dialog.panel")!.open).to.equal(true);
    $<HTMLTextAreaElement>(el, "textarea")!.focus();
    await sendKeys({ press: "Escape" });
    await el.updateComplete;
    await el.updateComplete;
    expect(el.open).to.equal(false);
    expect(el.shadowRoot!.activeElement).to.equal($(el, "[part=launcher]"));
  });
});

describe("<ai-chat-stream> reload and return", () => {
  let env: Setup;
  beforeEach(() => (env = setup()));
  afterEach(() => {
    env.restore();
    localStorage.removeItem(storageKey(env.url, deriveSiteUrl(env.url)));
  });

  it("stores the thread per widget and the visitor token per deployment URL after the first send", async () => {
    const el = await mount(env.url);
    await el.send("Hi");
    const stored = JSON.parse(localStorage.getItem(storageKey(env.url, deriveSiteUrl(env.url), "inline"))!);
    expect(stored.threadId).to.equal(el.thread);
    expect(stored.token).to.equal(env.backend.threads.get(el.thread!)!.token);
    // The deployment's entry keeps the token for the page's other widgets, not the thread.
    expect(JSON.parse(localStorage.getItem(storageKey(env.url, deriveSiteUrl(env.url)))!)).to.deep.equal({
      threadId: null,
      token: stored.token,
    });
  });

  it("restores the conversation from localStorage and continues a reply still being generated", async () => {
    const threadId = env.backend.seedThread("tok", [["Earlier question", "Earlier answer"]]);
    const { streamId } = env.backend.seedActiveReply(threadId, "Second question");
    env.backend.persist(streamId, "Already generated, ");
    localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token: "tok" }));
    const el = await mount(env.url);
    expect(el.thread).to.equal(threadId);
    expect(el.getAttribute("thread")).to.equal(threadId);
    await until(() => replyText(el) === "Already generated,");
    expect(replyText(el, 0)).to.equal("Earlier answer");
    env.backend.persist(streamId, "and live.");
    await until(() => replyText(el) === "Already generated, and live.");
    expect(el.status).to.equal("streaming");
  });

  it("newConversation() starts fresh and keeps the visitor token for the next thread", async () => {
    const threadId = env.backend.seedThread("tok", [["Q", "A"]]);
    localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token: "tok" }));
    const el = await mount(env.url);
    await until(() => $$(el, ".row").length === 2);
    el.newConversation();
    await settle(el);
    expect(el.thread).to.equal(null);
    expect(el.hasAttribute("thread")).to.equal(false);
    expect($(el, ".empty")).to.exist;
    expect(JSON.parse(localStorage.getItem(storageKey(env.url, deriveSiteUrl(env.url)))!)).to.deep.equal({
      threadId: null,
      token: "tok",
    });
    await el.send("Fresh start");
    expect(env.backend.calls.find((c) => c.name === "threads:create")!.args.token).to.equal("tok");
    expect(el.thread).to.not.equal(threadId);
  });

  it("forgets a remembered thread the backend no longer knows and starts fresh", async () => {
    localStorage.setItem(
      storageKey(env.url, deriveSiteUrl(env.url)),
      JSON.stringify({ threadId: "deleted-thread", token: "tok" }),
    );
    const el = await mount(env.url);
    await until(() => el.thread === null);
    expect($(el, ".banner")).to.not.exist;
    expect(JSON.parse(localStorage.getItem(storageKey(env.url, deriveSiteUrl(env.url)))!)).to.deep.equal({
      threadId: null,
      token: "tok",
    });
    await el.send("Hello again");
    expect(el.thread).to.be.a("string");
  });

  it("shareToken() returns a read-only observer token for the current thread", async () => {
    const el = await mount(env.url);
    await el.send("Hi");
    const token = await el.shareToken();
    expect(token).to.match(/^observer_/);
    expect(env.backend.threads.get(el.thread!)!.observers.has(token)).to.equal(true);
  });
});

describe("<ai-chat-stream> accessibility", () => {
  let env: Setup;
  afterEach(() => env.restore());

  it("is accessible when empty", async () => {
    env = setup();
    const el = await mount(env.url);
    await expect(el).to.be.accessible();
  });

  it("is accessible while a reply streams", async () => {
    const body = controlledBody();
    env = setup(() => new Response(body.stream, { status: 200 }));
    const el = await mount(env.url);
    await sendAndStart(el, "Show me code");
    body.push("Here is a [link](https://example.com) and code:\n\n```js\nconst x = 1;\n```\n\nMore text");
    await until(() => replyText(el).includes("More text"));
    expect($(el, "[part=stop-button]")).to.exist;
    await expect(el).to.be.accessible();
    body.close();
  });

  it("is accessible with an error banner, in dark theme", async () => {
    env = setup();
    const el = await mount(env.url, `theme="dark"`);
    env.backend.failNext.set(
      "messages:send",
      new FakeConvexError({ code: "REPLY_IN_PROGRESS", message: "Wait for the reply to finish." }),
    );
    await el.send("Hi");
    await el.updateComplete;
    expect($(el, ".banner.error")).to.exist;
    await expect(el).to.be.accessible();
  });

  it("is accessible with the launcher panel open", async () => {
    env = setup();
    env.backend.config.demo = true;
    const el = await mount(env.url, "launcher open");
    expect($<HTMLDialogElement>(el, "dialog.panel")!.open).to.equal(true);
    await animationsDone(el);
    await expect(el).to.be.accessible();
  });
});

describe("functions-path", () => {
  let env: Setup;
  afterEach(() => env?.restore());

  it("calls every function under the path a host app re-exports them at, and chats as usual", async () => {
    env = setup();
    env.backend.functionsPath = "aiChat/";
    const threadId = env.backend.seedThread("tok", [["Earlier question", "Earlier answer"]]);
    localStorage.setItem(
      storageKey(env.url, deriveSiteUrl(env.url), "inline"),
      JSON.stringify({ threadId, token: "tok" }),
    );
    const el = await mount(env.url, `functions-path="aiChat/"`);
    await until(() => $$(el, ".row").length === 2);
    expect(env.backend.names.length).to.be.greaterThan(0);
    expect(env.backend.names.filter((n) => !n.startsWith("aiChat/"))).to.deep.equal([]);
    // Changing it reads the thread again under the new names.
    env.backend.functionsPath = "chat/";
    el.functionsPath = "chat/";
    await until(() => env.backend.names.some((n) => n.startsWith("chat/")));
    await settle(el);
    expect($$(el, ".row")).to.have.length(2);
  });
});
