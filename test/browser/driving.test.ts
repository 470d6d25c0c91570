import { expect, oneEvent } from "@open-wc/testing";
import { deriveSiteUrl } from "../../src/shell/ai-chat-stream.js";
import { storageKey } from "../../src/storage.js";
import { controlledBody, FakeConvexError, until } from "./fake-backend.js";
import {
  $,
  $$,
  freshUrl,
  assertGrowsTo,
  mount,
  replyText,
  sendAndStart,
  settle,
  setup,
  watchReply,
  type Setup,
} from "./helpers.js";
import type { AiChatErrorEvent, AiChatStreamEndEvent, AiChatStreamStartEvent } from "../../src/events.js";
import { POST_ATTEMPTS } from "../../src/reply/post.js";
import { defaultStrings } from "../../src/strings.js";

describe("sending and driving a reply in one POST /chat-stream", () => {
  let env: Setup;
  afterEach(() => env?.restore());

  it("sends a first message in one CORS-simple POST and takes the thread and token it answers with", async () => {
    const body = controlledBody();
    env = setup(() => new Response(body.stream, { status: 200 }));
    const el = await mount(env.url);
    await el.send("Hi there");
    expect(env.fetchCalls).to.have.length(1);
    const call = env.fetchCalls[0]!;
    expect(call.url).to.equal(`${env.url.replace(/:(\d+)$/, (_, p) => `:${Number(p) + 1}`)}/chat-stream`);
    expect(call.init.method).to.equal("POST");
    // No custom header and a string body (text/plain): the browser sends it without a preflight.
    expect(call.init.headers).to.equal(undefined);
    expect(call.init.body).to.be.a("string");
    expect(call.init.credentials).to.equal("omit");
    expect(JSON.parse(call.init.body as string)).to.deep.equal({ prompt: "Hi there" });
    // The deployment created the thread, minted the token and stored the prompt for that one request.
    expect(env.backend.calls.map((c) => c.name)).to.deep.equal(["threads:create", "messages:send"]);
    const thread = env.backend.threads.get(el.thread!)!;
    expect(el.getAttribute("thread")).to.equal(el.thread);
    // This widget's conversation (an inline chat's default storage key), and the token for the page's others.
    expect(JSON.parse(localStorage.getItem(storageKey(env.url, deriveSiteUrl(env.url), "inline"))!)).to.deep.equal({
      threadId: el.thread,
      token: thread.token,
    });
    body.close();
  });

  it("sends a later message to the visitor's thread with their token and a request id", async () => {
    const body = controlledBody();
    env = setup(() => new Response(body.stream, { status: 200 }));
    const threadId = env.backend.seedThread("tok", [["Earlier", "Answer"]]);
    localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token: "tok" }));
    const el = await mount(env.url);
    await el.send("And now?");
    const sent = JSON.parse(env.fetchCalls[0]!.init.body as string);
    expect(sent).to.deep.include({ prompt: "And now?", threadId, token: "tok" });
    expect(sent.requestId).to.match(/^[0-9a-f]{32}$/);
    expect(env.backend.calls.map((c) => c.name)).to.deep.equal(["messages:send"]);
    body.close();
  });

  it("shows the prompt and the reply's first words before the new thread's messages arrive on the socket", async () => {
    const body = controlledBody();
    env = setup(() => {
      // The socket stalls just as the POST arrives: the thread's messages reach the page only later.
      env.backend.setConnected(false);
      return new Response(body.stream, { status: 200 });
    });
    const el = await mount(env.url);
    await sendAndStart(el, "Quick?");
    body.push("Yes, quick.");
    await until(() => replyText(el) === "Yes, quick.");
    expect($(el, ".row.user")!.textContent).to.contain("Quick?");
    expect(
      env.backend.deliveries.filter((d) => d.name === "messages:live" && d.json.includes("Quick?")),
    ).to.have.length(0);
    env.backend.setConnected(true);
    await until(() => env.backend.deliveries.some((d) => d.name === "messages:live" && d.json.includes("Quick?")));
    await settle(el);
    expect($$(el, ".row.user")).to.have.length(1);
    expect($$(el, ".row.assistant")).to.have.length(1);
    expect(replyText(el)).to.equal("Yes, quick.");
    // A thread this page just created has no history to read: no messages:list at all.
    expect(env.backend.reads.filter((r) => r.name === "messages:list")).to.have.length(0);
    body.close();
  });

  it("renders the body as it arrives and ends with the persisted text", async () => {
    const body = controlledBody();
    env = setup(() => new Response(body.stream, { status: 200 }));
    const el = await mount(env.url);
    const watch = watchReply(el);
    const start = await sendAndStart(el, "Tell me");
    expect(start.driven).to.equal(true);
    for (const chunk of ["Hello", ", wor", "ld. ", "How are you?"]) {
      body.push(chunk);
      env.backend.persist(start.streamId, chunk);
      await until(() => replyText(el).endsWith(chunk.trim()));
    }
    expect(el.status).to.equal("streaming");
    const ended = oneEvent(el, "ai-chat-stream-end") as Promise<AiChatStreamEndEvent>;
    body.close();
    env.backend.finish(start.streamId);
    const end = await ended;
    expect(end.status).to.equal("done");
    expect(end.text).to.equal("Hello, world. How are you?");
    expect(end.threadId).to.equal(el.thread);
    await settle(el);
    expect(replyText(el)).to.equal("Hello, world. How are you?");
    expect(el.status).to.equal("idle");
    // A driven reply is not also followed through streams:catchUp.
    expect(env.backend.subscriptions("streams:catchUp")).to.have.length(0);
    watch.stop();
    assertGrowsTo(watch.samples, "Hello, world. How are you?");
  });

  it("shows a thinking indicator before the first token", async () => {
    const body = controlledBody();
    env = setup(() => new Response(body.stream, { status: 200 }));
    const el = await mount(env.url);
    await el.send("Hi");
    await settle(el);
    expect($(el, ".thinking")).to.exist;
    body.push("Yes");
    await until(() => replyText(el) === "Yes");
    expect($(el, ".thinking")).to.not.exist;
    expect($(el, ".bubble.streaming")).to.exist;
    body.close();
  });

  it("hands over to the subscription on 205 and keeps following to the persisted text", async () => {
    env = setup(() => new Response(null, { status: 205 }));
    const el = await mount(env.url);
    const watch = watchReply(el);
    const started = oneEvent(el, "ai-chat-stream-start") as Promise<AiChatStreamStartEvent>;
    await el.send("Hi");
    const start = await started;
    expect(start.driven).to.equal(false);
    for (const chunk of ["One ", "two ", "three."]) {
      env.backend.persist(start.streamId, chunk);
      await until(() => replyText(el).endsWith(chunk.trim()));
    }
    env.backend.finish(start.streamId);
    await until(() => el.status === "idle");
    watch.stop();
    assertGrowsTo(watch.samples, "One two three.");
  });

  it("sends the POST again when its answer is lost, finds the prompt stored once, and shows the reply from the subscription", async () => {
    let posts = 0;
    env = setup(() =>
      ++posts === 1 ? Promise.reject(new TypeError("Failed to fetch")) : new Response(null, { status: 200 }),
    );
    const threadId = env.backend.seedThread("tok");
    localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token: "tok" }));
    const el = await mount(env.url);
    const watch = watchReply(el);
    await el.send("Hi");
    await until(() => env.backend.subscriptions("streams:tail").length === 1);
    // The same request twice; the deployment kept one prompt and answered the second with 205.
    expect(env.fetchCalls).to.have.length(2);
    expect(env.fetchCalls[1]!.init.body).to.equal(env.fetchCalls[0]!.init.body);
    expect(env.backend.messages.filter((m) => m.role === "user")).to.have.length(1);
    const streamId = env.backend.messages.at(-1)!.streamId!;
    env.backend.persist(streamId, "Still ");
    env.backend.persist(streamId, "here.");
    env.backend.finish(streamId);
    await until(() => replyText(el) === "Still here." && el.status === "idle");
    expect($(el, ".banner")).to.not.exist;
    watch.stop();
    assertGrowsTo(watch.samples, "Still here.");
  });

  it("a first message whose POST gets no answer says it was not sent and keeps the text", async () => {
    env = setup(() => Promise.reject(new TypeError("Failed to fetch")));
    env.backend.failNext.set("threads:create", new TypeError("Failed to fetch"));
    const el = await mount(env.url);
    const errored = oneEvent(el, "ai-chat-error") as Promise<AiChatErrorEvent>;
    await el.send("Hi");
    expect((await errored).code).to.equal("NETWORK");
    await settle(el);
    expect($(el, ".banner.error")).to.exist;
    expect($<HTMLTextAreaElement>(el, "textarea")!.value).to.equal("Hi");
    // Without a thread to name, the request is not sent again: it could store the prompt twice.
    expect(env.fetchCalls).to.have.length(1);
  });

  it("hands over mid-stream without shrinking or doubling text the body showed ahead of the persisted deltas", async () => {
    const body = controlledBody();
    env = setup(() => new Response(body.stream, { status: 200 }));
    const el = await mount(env.url);
    const watch = watchReply(el);
    const { streamId } = await sendAndStart(el, "Hi");
    env.backend.persist(streamId, "Hello ");
    body.push("Hello wor"); // the body runs ahead of the persisted deltas
    await until(() => replyText(el) === "Hello wor");
    body.fail();
    await until(() => env.backend.subscriptions("streams:tail").length === 1);
    await settle(el);
    expect(replyText(el)).to.equal("Hello wor");
    // One delta that straddles what is shown: only its unseen end may be applied.
    env.backend.persist(streamId, "world, again.");
    await settle(el);
    expect(replyText(el)).to.equal("Hello world, again.");
    env.backend.finish(streamId);
    await until(() => replyText(el) === "Hello world, again." && el.status === "idle");
    watch.stop();
    assertGrowsTo(watch.samples, "Hello world, again.");
  });

  it("follows a whole reply on one streams:tail subscription that is never replaced", async () => {
    env = setup(() => new Response(null, { status: 205 }));
    const el = await mount(env.url);
    await el.send("Count");
    await until(() => env.backend.subscriptions("streams:tail").length === 1);
    const subscription = env.backend.subscriptions("streams:tail")[0];
    const streamId = env.backend.messages.at(-1)!.streamId!;
    const words = Array.from({ length: 40 }, (_, i) => `w${i} `);
    for (const w of words) env.backend.persist(streamId, w);
    await until(() => replyText(el) === words.join("").trim());
    expect(env.backend.subscriptions("streams:tail")).to.deep.equal([subscription]);
    // Each flush arrived once, on the subscription: nothing needed a one-shot read.
    expect(env.backend.reads.filter((r) => r.name === "streams:catchUp")).to.have.length(0);
  });

  it("drops a reply driven for another thread when the thread changes mid-reply", async () => {
    const body = controlledBody();
    env = setup(() => new Response(body.stream, { status: 200 }));
    const el = await mount(env.url);
    await sendAndStart(el, "First thread");
    body.push("Reply for the first thread");
    await until(() => replyText(el) === "Reply for the first thread");
    const token = env.backend.threads.get(el.thread!)!.token;
    const other = env.backend.seedThread(token, [["Other question", "Other answer"]]);
    el.thread = other;
    await settle(el);
    expect(env.fetchCalls[0]!.init.signal!.aborted).to.equal(true);
    try {
      body.push(" that must not leak");
    } catch {
      // The aborted body may already be closed.
    }
    await settle(el);
    expect(replyText(el)).to.equal("Other answer");
    expect(el.shadowRoot!.textContent).to.not.contain("must not leak");
    expect(el.shadowRoot!.textContent).to.not.contain("Reply for the first thread");
  });

  it("keeps streaming a moved element's reply from the same body, on the same client, without reading history again", async () => {
    const body = controlledBody();
    env = setup(() => new Response(body.stream, { status: 200 }));
    const el = await mount(env.url);
    await sendAndStart(el, "Hi");
    body.push("The first half");
    await until(() => replyText(el) === "The first half");
    const pagesRead = () => env.backend.reads.filter((r) => r.name === "messages:list").length;
    const pages = pagesRead();
    const clients = env.backend.clientsMade;
    const watch = watchReply(el);
    const otherParent = document.createElement("div");
    document.body.append(otherParent);
    try {
      otherParent.append(el);
      await settle(el);
      expect(env.fetchCalls[0]!.init.signal!.aborted, "the POST was aborted").to.equal(false);
      body.push(", and the second.");
      await until(() => replyText(el) === "The first half, and the second.");
      watch.stop();
      assertGrowsTo(watch.samples, "The first half, and the second.");
      expect(env.fetchCalls).to.have.length(1);
      expect(env.backend.clientsMade - clients, "clients made").to.equal(0);
      expect(env.backend.clientsClosed, "clients closed").to.equal(0);
      expect(pagesRead() - pages, "history pages read again").to.equal(0);
    } finally {
      otherParent.remove();
    }
  });

  it("aborts the POST and releases the shared client when removed from the page", async () => {
    const body = controlledBody();
    env = setup(() => new Response(body.stream, { status: 200 }));
    const el = await mount(env.url);
    await sendAndStart(el, "Hi");
    el.remove();
    expect(env.fetchCalls[0]!.init.signal!.aborted).to.equal(true);
    expect(env.backend.clientsClosed).to.equal(1);
    expect(env.backend.subscriptions()).to.have.length(0);
  });

  it("stop() asks the server to stop the thread's reply", async () => {
    const body = controlledBody();
    env = setup(() => new Response(body.stream, { status: 200 }));
    const el = await mount(env.url);
    const { streamId } = await sendAndStart(el, "Hi");
    body.push("Partial");
    env.backend.persist(streamId, "Partial");
    await until(() => replyText(el) === "Partial");
    const stopButton = $<HTMLButtonElement>(el, "[part=stop-button]")!;
    const ended = oneEvent(el, "ai-chat-stream-end") as Promise<AiChatStreamEndEvent>;
    stopButton.click();
    const end = await ended;
    expect(env.backend.calls.at(-1)).to.deep.include({ name: "messages:stop" });
    expect(end.status).to.equal("stopped");
    expect(end.text).to.equal("Partial");
    body.close();
    await settle(el);
    expect($(el, "[part=send-button]")).to.exist;
  });
});

describe("POST /chat-stream turned away for load (429, 503)", () => {
  let env: Setup;
  afterEach(() => env?.restore());

  // The deployment's own refusal when every slot is busy: no code of the app's, nothing run.
  const refusal = (status: 429 | 503, retryAfter?: string) =>
    new Response("Too many concurrent requests", {
      status,
      headers: { "Content-Type": "text/plain", ...(retryAfter ? { "Retry-After": retryAfter } : {}) },
    });

  it("sends the POST again after Retry-After and drives the reply, with no banner", async () => {
    const body = controlledBody();
    const sentAt: number[] = [];
    env = setup(() => {
      sentAt.push(performance.now());
      return sentAt.length === 1 ? refusal(429, "1") : new Response(body.stream, { status: 200 });
    });
    const el = await mount(env.url);
    const start = await sendAndStart(el, "Hi");
    expect(start.driven).to.equal(true);
    expect(env.fetchCalls).to.have.length(2);
    expect(sentAt[1]! - sentAt[0]!).to.be.at.least(950);
    expect(env.fetchCalls[1]!.init.body).to.equal(env.fetchCalls[0]!.init.body);
    expect(env.backend.messages.filter((m) => m.role === "user")).to.have.length(1);
    body.push("Answer after the wait.");
    await until(() => replyText(el) === "Answer after the wait.");
    expect($(el, ".banner")).to.not.exist;
    body.close();
  });

  it("backs off between 503s without Retry-After, growing the wait, and drives the third attempt", async () => {
    const body = controlledBody();
    const sentAt: number[] = [];
    env = setup(() => {
      sentAt.push(performance.now());
      return sentAt.length < 3 ? refusal(503) : new Response(body.stream, { status: 200 });
    });
    const el = await mount(env.url);
    const start = await sendAndStart(el, "Hi");
    expect(start.driven).to.equal(true);
    expect(env.fetchCalls).to.have.length(3);
    const [first, second] = [sentAt[1]! - sentAt[0]!, sentAt[2]! - sentAt[1]!];
    expect(first).to.be.within(450, 900);
    expect(second).to.be.within(950, 1600);
    expect(el.status).to.equal("streaming");
    body.close();
  });

  it(`stops after ${POST_ATTEMPTS} attempts with the RATE_LIMITED banner, keeps the text, and the next send works`, async () => {
    let busy = true;
    const body = controlledBody();
    env = setup(() => (busy ? refusal(429, "1") : new Response(body.stream, { status: 200 })));
    const el = await mount(env.url);
    const errored = oneEvent(el, "ai-chat-error") as Promise<AiChatErrorEvent>;
    void el.send("Hi");
    const error = await errored;
    expect(error.code).to.equal("RATE_LIMITED");
    expect(env.fetchCalls).to.have.length(POST_ATTEMPTS);
    await el.updateComplete;
    expect($(el, ".banner.rate-limit")!.textContent).to.contain("1 s");
    expect($<HTMLTextAreaElement>(el, "textarea")!.value).to.equal("Hi");
    // Turned away before it ran: nothing was stored.
    expect(env.backend.messages).to.have.length(0);
    await until(() => $(el, ".banner.rate-limit") === null, 3000);
    busy = false;
    const start = await sendAndStart(el, "Again");
    expect(start.driven).to.equal(true);
    expect(env.backend.calls.filter((c) => c.name === "messages:send")).to.have.length(1);
    body.close();
  });

  it("the page's `visitor` goes with the POST and, when the site is too busy for it, with the queued send", async () => {
    env = setup(() => refusal(429, "1"));
    const threadId = env.backend.seedThread("tok", [["Earlier", "Answer"]]);
    localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token: "tok" }));
    const el = await mount(env.url);
    const visitor = { id: "u-1", name: "Ada", plan: "pro", signature: "ab".repeat(32) };
    el.visitor = visitor;
    await el.send("Busy lunchtime?");
    expect(JSON.parse(env.fetchCalls[0]!.init.body as string).visitor).to.deep.equal(visitor);
    const queued = env.backend.calls.filter((c) => c.name === "chat:queue");
    expect(queued).to.have.length(1);
    expect(queued[0]!.args.visitor).to.deep.equal(visitor);
  });

  it(`after ${POST_ATTEMPTS} refusals for load, a visitor's send is queued over the socket: "Queued…", then followed`, async () => {
    env = setup(() => refusal(429, "1"));
    const threadId = env.backend.seedThread("tok", [["Earlier", "Answer"]]);
    localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token: "tok" }));
    const el = await mount(env.url);
    const errors: Event[] = [];
    el.addEventListener("ai-chat-error", (e) => errors.push(e));
    await el.send("Busy lunchtime?");
    expect(env.fetchCalls).to.have.length(POST_ATTEMPTS);
    const queued = env.backend.calls.filter((c) => c.name === "chat:queue");
    expect(queued).to.have.length(1);
    const sent = JSON.parse(env.fetchCalls[0]!.init.body as string);
    expect(queued[0]!.args).to.deep.equal({
      token: "tok",
      threadId,
      prompt: "Busy lunchtime?",
      requestId: sent.requestId,
    });
    const reply = env.backend.messages.at(-1)!;
    await until(() => $(el, ".bubble.thinking")?.textContent?.includes("Queued…") === true);
    // Its background action begins it: the page follows it by subscription, as every page does.
    env.backend.persist(reply.streamId!, "Served from the queue.");
    await until(() => replyText(el) === "Served from the queue.");
    const ended = oneEvent(el, "ai-chat-stream-end") as Promise<AiChatStreamEndEvent>;
    env.backend.finish(reply.streamId!);
    expect((await ended).text).to.equal("Served from the queue.");
    expect(errors).to.have.length(0);
    expect($(el, ".banner")).to.not.exist;
  });

  it("a refusal for load that the deployment held waiting for a slot first is queued at once, not sent again", async () => {
    // A deployment answers 429 only after the POST waited (10 s there) for a slot; here 2.1 s.
    env = setup(() => new Promise((resolve) => setTimeout(() => resolve(refusal(429)), 2_100)));
    const threadId = env.backend.seedThread("tok", [["Earlier", "Answer"]]);
    localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token: "tok" }));
    const el = await mount(env.url);
    await el.send("Busy lunchtime?");
    expect(env.fetchCalls).to.have.length(1);
    expect(env.backend.calls.filter((c) => c.name === "chat:queue")).to.have.length(1);
    await until(() => $(el, ".bubble.thinking")?.textContent?.includes("Queued…") === true);
  });

  it("a queued send the deployment refuses for load (its socket is as busy as its site) is sent again, stored once", async () => {
    env = setup(() => refusal(429, "1"));
    const threadId = env.backend.seedThread("tok", [["Earlier", "Answer"]]);
    localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token: "tok" }));
    // The deployment's words for a mutation that waited its time for a slot and never ran.
    env.backend.failNext.set(
      "chat:queue",
      new Error("Too many concurrent requests. Your backend is limited to 16 concurrent mutations."),
    );
    const el = await mount(env.url);
    const errors: Event[] = [];
    el.addEventListener("ai-chat-error", (e) => errors.push(e));
    await el.send("Busy lunchtime?");
    expect(env.backend.calls.filter((c) => c.name === "chat:queue")).to.have.length(2);
    expect(env.backend.messages.filter((m) => m.threadId === threadId && m.role === "user")).to.have.length(2);
    await until(() => $(el, ".bubble.thinking")?.textContent?.includes("Queued…") === true);
    expect(errors).to.have.length(0);
  });

  it("refused for load and the queue full too (QUEUE_FULL): the visitor reads a plain sentence, not the server's", async () => {
    env = setup(() => refusal(429, "1"));
    const threadId = env.backend.seedThread("tok", [["Earlier", "Answer"]]);
    localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token: "tok" }));
    const serverMessage =
      "200 replies are already waiting for this busy deployment (MAX_QUEUED_REPLIES); try again in a minute.";
    env.backend.failNext.set("chat:queue", new FakeConvexError({ code: "QUEUE_FULL", message: serverMessage }));
    const el = await mount(env.url);
    const errored = oneEvent(el, "ai-chat-error") as Promise<AiChatErrorEvent>;
    await el.send("Busy lunchtime?").catch(() => {});
    expect((await errored).code).to.equal("QUEUE_FULL");
    await settle(el);
    expect($(el, ".banner")!.textContent).to.contain(defaultStrings.tooManyVisitors);
    expect(el.shadowRoot!.textContent).to.not.contain("MAX_QUEUED_REPLIES");
    expect(env.backend.messages.filter((m) => m.threadId === threadId)).to.have.length(2); // nothing stored
  });

  it("a refusal of the visitor's own limit (RATE_LIMITED with its code) shows at once, without sending again", async () => {
    env = setup(() => new Response(null, { status: 200 }));
    env.backend.failNext.set(
      "threads:create",
      new FakeConvexError({
        code: "RATE_LIMITED",
        message: "Too many messages; try again in 7 seconds.",
        retryAfterMs: 7000,
      }),
    );
    const el = await mount(env.url);
    const errored = oneEvent(el, "ai-chat-error") as Promise<AiChatErrorEvent>;
    void el.send("Hi");
    expect((await errored).code).to.equal("RATE_LIMITED");
    expect(env.fetchCalls).to.have.length(1);
    await el.updateComplete;
    expect($(el, ".banner.rate-limit")!.textContent).to.contain("7 s");
  });

  it("does not wait for a Retry-After beyond its budget: one POST, and the wait is shown", async () => {
    env = setup(() => refusal(429, "12"));
    const el = await mount(env.url);
    const errored = oneEvent(el, "ai-chat-error") as Promise<AiChatErrorEvent>;
    void el.send("Hi");
    expect((await errored).code).to.equal("RATE_LIMITED");
    expect(env.fetchCalls).to.have.length(1);
    await el.updateComplete;
    expect($(el, ".banner.rate-limit")!.textContent).to.contain("12 s");
  });

  it("abandons the wait when the element leaves the page", async () => {
    env = setup(() => refusal(503, "1"));
    const el = await mount(env.url);
    void el.send("Hi");
    await until(() => env.fetchCalls.length === 1);
    el.remove();
    await new Promise((r) => setTimeout(r, 1300));
    expect(env.fetchCalls).to.have.length(1);
  });
});

describe("a send's lifecycle while its POST waits for the answer", () => {
  let env: Setup;
  afterEach(() => env?.restore());

  /** A POST the test answers when it wants, with a body it writes. */
  function heldPost() {
    const body = controlledBody();
    let answer!: () => void;
    const answered = new Promise<void>((r) => (answer = r));
    env = setup(async () => {
      await answered;
      return new Response(body.stream, { status: 200 });
    });
    return { body, answer };
  }

  it("a second send() before the first's answer is refused, so a new visitor gets one thread", async () => {
    const { body, answer } = heldPost();
    const el = await mount(env.url);
    const errored = oneEvent(el, "ai-chat-error") as Promise<AiChatErrorEvent>;
    void el.send("First");
    await until(() => env.fetchCalls.length === 1);
    void el.send("Second");
    expect((await errored).code).to.equal("REPLY_IN_PROGRESS");
    answer();
    await until(() => env.backend.messages.length === 2);
    await settle(el);
    expect(env.fetchCalls).to.have.length(1);
    expect(env.backend.threads.size).to.equal(1);
    expect($<HTMLTextAreaElement>(el, "textarea")!.value).to.equal("Second");
    body.close();
  });

  it("changing convex-url while the POST waits does not leave the element sending", async () => {
    const { body, answer } = heldPost();
    const el = await mount(env.url);
    void el.send("Hi");
    await until(() => el.status === "sending");
    el.convexUrl = freshUrl();
    await settle(el);
    answer();
    await until(() => el.status !== "sending");
    expect(el.status).to.equal("idle");
    // The other deployment's thread and token are not taken for this one.
    expect(el.thread).to.equal(null);
    body.close();
  });

  it("switching threads while the POST waits: the request still drives its reply, which shows on coming back", async () => {
    const { body, answer } = heldPost();
    const threadId = env.backend.seedThread("tok", [["Earlier", "Answer"]]);
    const other = env.backend.seedThread("tok", [["Other question", "Other answer"]]);
    localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token: "tok" }));
    const el = await mount(env.url);
    void el.send("Still there?");
    await until(() => env.fetchCalls.length === 1);
    el.thread = other;
    await settle(el);
    answer();
    await until(() => env.backend.messages.some((m) => m.text === "Still there?"));
    await settle(el);
    // Nothing of the first thread's reply shows in the other one.
    expect(replyText(el)).to.equal("Other answer");
    // The deployment drove it for that request; the page that left reads it from the subscription.
    const streamId = env.backend.messages.at(-1)!.streamId!;
    env.backend.persist(streamId, "Yes, still here.");
    env.backend.finish(streamId);
    el.thread = threadId;
    await until(() => replyText(el) === "Yes, still here.");
    body.close();
  });
});
