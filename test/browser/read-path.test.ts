// The viewer's read path: each streamed character reaches an observer once, whatever the
// subscription skips, and history is read once, in pages.
import { expect, oneEvent } from "@open-wc/testing";
import { controlledBody, until } from "./fake-backend.js";
import { $, $$, mount, replyText, sendAndStart, settle, setup, type Setup } from "./helpers.js";
import type { AiChatStream } from "../../src/shell/ai-chat-stream.js";
import { setClientFactory, type ChatClient } from "../../src/convex-pool.js";
import type { AiChatStreamEndEvent } from "../../src/events.js";

/** Mounts an observer of `threadId` (observer token `obs`). */
async function observe(env: Setup, threadId: string): Promise<AiChatStream> {
  env.backend.threads.get(threadId)!.observers.add("obs");
  return mount(env.url, `mode="observe" observer-token="obs" thread="${threadId}"`);
}

const PIECES = ["Alpha one. ", "Bravo two. ", "Charlie three. ", "Delta four. ", "Echo five."];

describe("the observer read path", () => {
  let env: Setup;
  beforeEach(() => (env = setup()));
  afterEach(() => env.restore());

  it("fills the gap once when the tail subscription skips updates, and ends equal to the persisted text", async () => {
    const threadId = env.backend.seedThread("owner");
    const { streamId } = env.backend.seedActiveReply(threadId);
    const el = await observe(env, threadId);
    env.backend.persist(streamId, PIECES[0]!);
    await until(() => replyText(el) === PIECES[0]!.trim());
    env.backend.holdTail = true; // the next three flushes never reach the subscription
    for (const piece of PIECES.slice(1, 4)) env.backend.persist(streamId, piece);
    env.backend.releaseTail(); // it jumps to the newest: a gap before it
    const ended = oneEvent(el, "ai-chat-stream-end") as Promise<AiChatStreamEndEvent>;
    env.backend.persist(streamId, PIECES[4]!);
    await until(() => replyText(el) === PIECES.join("").trim());
    env.backend.finish(streamId);
    const end = await ended;
    expect(end.text).to.equal(env.backend.persistedText(streamId));
    expect(env.backend.reads.filter((r) => r.name === "streams:catchUp")).to.have.length(1);
    // The skipped flushes arrived once, from the read; the first one only on the subscription.
    expect(env.backend.timesDelivered(PIECES[0]!)).to.equal(1);
    expect(env.backend.timesDelivered(PIECES[1]!)).to.equal(1);
    expect(env.backend.timesDelivered(PIECES[2]!)).to.equal(1);
  });

  it("neither loses nor doubles text across a dropped connection", async () => {
    const threadId = env.backend.seedThread("owner");
    const { streamId } = env.backend.seedActiveReply(threadId);
    const el = await observe(env, threadId);
    env.backend.persist(streamId, PIECES[0]!);
    await until(() => replyText(el) === PIECES[0]!.trim());
    env.backend.setConnected(false);
    for (const piece of PIECES.slice(1, 4)) env.backend.persist(streamId, piece);
    await settle(el);
    expect(replyText(el)).to.equal(PIECES[0]!.trim());
    // Back online, every subscription is sent afresh: the tail's newest delta reveals the gap.
    env.backend.setConnected(true);
    await until(() => replyText(el) === PIECES.slice(0, 4).join("").trim());
    env.backend.persist(streamId, PIECES[4]!);
    const ended = oneEvent(el, "ai-chat-stream-end") as Promise<AiChatStreamEndEvent>;
    env.backend.finish(streamId);
    expect((await ended).text).to.equal(PIECES.join(""));
  });

  it("gives a late joiner the text streamed before it arrived once, then the rest live", async () => {
    const threadId = env.backend.seedThread("owner");
    const { streamId } = env.backend.seedActiveReply(threadId);
    for (const piece of PIECES.slice(0, 3)) env.backend.persist(streamId, piece);
    const el = await observe(env, threadId);
    await until(() => replyText(el) === PIECES.slice(0, 3).join("").trim());
    env.backend.persist(streamId, PIECES[3]!);
    env.backend.persist(streamId, PIECES[4]!);
    const ended = oneEvent(el, "ai-chat-stream-end") as Promise<AiChatStreamEndEvent>;
    env.backend.finish(streamId);
    expect((await ended).text).to.equal(PIECES.join(""));
    for (const piece of PIECES) expect(env.backend.timesDelivered(piece), piece).to.equal(1);
  });

  it("gives a reloaded page a finished reply once, in the history page", async () => {
    const threadId = env.backend.seedThread("owner", [["Question?", PIECES.join("")]]);
    const el = await observe(env, threadId);
    await until(() => replyText(el) === PIECES.join("").trim());
    el.remove();
    const again = await observe(env, threadId); // a reload: a new element, nothing in memory
    await until(() => replyText(again) === PIECES.join("").trim());
    // Once per page load, nowhere else (no subscription re-sends it).
    expect(env.backend.timesDelivered(PIECES.join(""))).to.equal(2);
    expect(
      env.backend.deliveries.filter((d) => d.name !== "messages:list").some((d) => d.json.includes("Alpha")),
    ).to.equal(false);
  });

  it("never re-sends the text of a reply to the viewer that streamed it", async () => {
    const threadId = env.backend.seedThread("owner");
    const { streamId } = env.backend.seedActiveReply(threadId);
    const el = await observe(env, threadId);
    for (const piece of PIECES) env.backend.persist(streamId, piece);
    await until(() => replyText(el) === PIECES.join("").trim());
    const ended = oneEvent(el, "ai-chat-stream-end") as Promise<AiChatStreamEndEvent>;
    env.backend.finish(streamId);
    expect((await ended).text).to.equal(PIECES.join(""));
    for (const piece of PIECES) expect(env.backend.timesDelivered(piece), piece).to.equal(1);
    expect(env.backend.reads.filter((r) => r.name === "streams:catchUp")).to.have.length(0);
  });

  it("does not re-send the text of a reply the page drove when it finishes", async () => {
    env.restore();
    const body = controlledBody();
    env = setup(() => new Response(body.stream, { status: 200 }));
    const el = await mount(env.url);
    const { streamId } = await sendAndStart(el, "Hi");
    body.push(PIECES.join(""));
    for (const piece of PIECES) env.backend.persist(streamId, piece);
    body.close();
    const ended = oneEvent(el, "ai-chat-stream-end") as Promise<AiChatStreamEndEvent>;
    env.backend.finish(streamId);
    expect((await ended).text).to.equal(PIECES.join(""));
    expect(env.backend.timesDelivered(PIECES[0]!)).to.equal(0);
    expect(env.backend.subscriptions("streams:tail")).to.have.length(0);
  });

  it("re-sends only the live end, never the history, when a reply in a long thread changes status", async () => {
    const history = Array.from({ length: 10 }, (_, i): [string, string] => [`Question ${i}?`, `Answer number ${i}.`]);
    const threadId = env.backend.seedThread("owner", history);
    const el = await observe(env, threadId);
    await until(() => replyText(el) === "Answer number 9.");
    const { streamId } = env.backend.seedActiveReply(threadId, "One more?");
    env.backend.persist(streamId, "Sure.");
    env.backend.finish(streamId);
    await until(() => replyText(el) === "Sure." && !el.hasAttribute("status") === false);
    await settle(el);
    const live = env.backend.deliveries.filter((d) => d.name === "messages:live");
    expect(live.length).to.be.greaterThan(1);
    for (const d of live) expect(d.json).to.not.contain("Question 9?");
    expect(env.backend.timesDelivered("Answer number 9.")).to.equal(1);
  });
});

describe("paging in older history", () => {
  let env: Setup;
  beforeEach(() => (env = setup()));
  afterEach(() => env.restore());

  const history = Array.from({ length: 30 }, (_, i): [string, string] => [`Question ${i}?`, `Answer ${i}.`]);

  it("shows the newest page, and the page before it when the reader scrolls to the top, keeping the rows in place", async () => {
    const threadId = env.backend.seedThread("owner", history); // 60 messages: a page is 50
    const el = await observe(env, threadId);
    await until(() => $$(el, ".row.user").length === 25);
    const earlier = $<HTMLButtonElement>(el, "[part=load-earlier]")!;
    expect(earlier).to.exist;
    const scroller = $(el, ".messages")!;
    const firstShown = $$(el, ".row.user")[0]!;
    expect(firstShown.textContent).to.contain("Question 5?");
    // Opening the thread scrolled to its end, past the control, without loading anything.
    await until(() => scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 2);
    await settle(el);
    expect(env.backend.reads.filter((r) => r.name === "messages:list")).to.have.length(1);
    scroller.scrollTo({ top: 0, behavior: "instant" });
    await until(() => $$(el, ".row.user").length === 30);
    await settle(el);
    expect($$(el, ".row.user")[0]!.textContent).to.contain("Question 0?");
    // The row that was at the top is still in view where the reader left it, not pushed away.
    const top = firstShown.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
    expect(Math.abs(top)).to.be.lessThan(scroller.clientHeight);
    expect($(el, "[part=load-earlier]")).to.equal(null);
    const pages = env.backend.reads.filter((r) => r.name === "messages:list");
    expect(pages).to.have.length(2);
    expect(pages[1]!.args.before).to.equal(env.backend.messages.find((m) => m.text === "Question 5?")!._creationTime);
  });

  it("leaves a thread opened while another thread's earlier page loads where it was: the old thread's offset is not applied to it", async () => {
    // Pages of older history (`before`) wait until the test lets them through.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    setClientFactory(() => {
      const client = env.backend.client();
      const query: ChatClient["query"] = async (ref, args) => {
        if ((args as { before?: number }).before !== undefined) await held;
        return client.query(ref, args);
      };
      return { ...client, query };
    });
    const first = env.backend.seedThread("owner", history);
    // Longer than the first, so the first's distance from the bottom lands somewhere else in it.
    const second = env.backend.seedThread(
      "owner",
      history.map(([q, a]) => [q, `${a} ${"Another long sentence. ".repeat(12)}`]),
    );
    env.backend.threads.get(second)!.observers.add("obs");
    const el = await observe(env, first);
    await until(() => $$(el, ".row.user").length === 25);
    await settle(el);
    const scroller = $(el, ".messages")!;
    scroller.scrollTo({ top: 0, behavior: "instant" });
    await until(() => $<HTMLButtonElement>(el, "[part=load-earlier]")!.disabled);

    el.thread = second;
    await until(() => $$(el, ".row.assistant")[0]?.textContent?.includes("Another long sentence") === true);
    await settle(el);
    const top = scroller.scrollTop;
    release();
    await settle(el);
    await settle(el);
    expect(scroller.scrollTop).to.equal(top);
    expect($$(el, ".row.user")).to.have.length(25);
  });

  it("shows no earlier-messages control when the first page holds the whole thread", async () => {
    const threadId = env.backend.seedThread("owner", history.slice(0, 3));
    const el = await observe(env, threadId);
    await until(() => $$(el, ".row.user").length === 3);
    expect($(el, "[part=load-earlier]")).to.equal(null);
    expect(env.backend.reads.filter((r) => r.name === "messages:list")).to.have.length(1);
  });
});
