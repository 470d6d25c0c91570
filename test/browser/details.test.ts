// The small things a visitor noticed (issue 25, item 7): the offline banner clears when the
// connection returns, previews are the rendered text, "Thinking…" never becomes an empty
// bubble and replies keep their width, a stopped reply offers Retry and keeps a table it was
// cut in from showing raw pipes, and scrollIntoView() on a message never scrolls the panel.
import { expect, oneEvent } from "@open-wc/testing";
import { setViewport } from "@web/test-runner-commands";
import type { AiChatStream } from "../../src/shell/ai-chat-stream.js";
import type { AiChatErrorEvent } from "../../src/events.js";
import { deriveSiteUrl } from "../../src/site-url.js";
import { storageKey } from "../../src/storage.js";
import { until } from "./fake-backend.js";
import { $, $$, animationsDone, mount, replyText, sendAndStart, settle, setup, type Setup } from "./helpers.js";

function type(el: AiChatStream, text: string): void {
  const box = $<HTMLTextAreaElement>(el, "textarea")!;
  box.focus();
  box.value = text;
  box.dispatchEvent(new Event("input", { bubbles: true, composed: true }));
}

describe("details", () => {
  let env: Setup;
  afterEach(async () => {
    env.restore();
    await setViewport({ width: 800, height: 600 });
  });

  it("the offline banner clears when the connection returns, and one Send sends the kept message", async () => {
    env = setup();
    const el = await mount(env.url);
    env.backend.setConnected(false);
    window.dispatchEvent(new Event("offline"));
    await settle(el);
    type(el, "Are you there?");
    await settle(el);
    const errored = oneEvent(el, "ai-chat-error") as Promise<AiChatErrorEvent>;
    $<HTMLButtonElement>(el, "[part=send-button]")!.click();
    expect((await errored).code).to.equal("OFFLINE");
    await settle(el);
    expect($(el, ".banner.error") !== null, "offline banner").to.equal(true);
    env.backend.setConnected(true);
    window.dispatchEvent(new Event("online"));
    await until(() => $(el, ".banner.error") === null && $(el, ".notice.offline") === null);
    const send = $<HTMLButtonElement>(el, "[part=send-button]")!;
    expect(send.disabled).to.equal(false);
    send.click();
    await until(() => env.backend.calls.some((c) => c.name === "messages:send"));
    expect(env.backend.calls.find((c) => c.name === "messages:send")!.args.prompt).to.equal("Are you there?");
  });

  it("the unread preview is the reply's rendered text, not its Markdown with the syntax cut out", async () => {
    env = setup();
    const threadId = env.backend.seedThread("tok", [["Q", "A"]]);
    localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token: "tok" }));
    const el = await mount(env.url, "launcher open");
    el.open = false;
    await settle(el);
    const { streamId } = env.backend.seedActiveReply(threadId, "Which model?");
    env.backend.persist(
      streamId,
      "**This is the built-in demo model**: see [the docs](https://example.com) for `AI_MODEL`.\n\n```sh\nnpm start\n```\n\n- one\n- two",
    );
    env.backend.finish(streamId);
    await until(() => $(el, "[part=unread-preview]") !== null);
    expect($(el, "[part=unread-preview]")!.textContent).to.equal(
      "This is the built-in demo model: see the docs for AI_MODEL. one two",
    );
  });

  it('"Thinking…" stays until there is text to show, and a reply keeps its width as words arrive', async () => {
    env = setup();
    const el = await mount(env.url);
    await sendAndStart(el, "Hello?");
    const streamId = env.backend.messages.at(-1)!.streamId!;
    env.backend.persist(streamId, "\n\n");
    await settle(el);
    expect($$(el, ".row.assistant .bubble.markdown").length, "no empty reply bubble").to.equal(0);
    expect($(el, ".bubble.thinking") !== null, "Thinking…").to.equal(true);
    env.backend.persist(streamId, "Hi");
    await until(() => replyText(el) === "Hi");
    await settle(el);
    const first = $(el, ".row.assistant .bubble.markdown")!.getBoundingClientRect().width;
    env.backend.persist(streamId, " there, here is a much longer sentence that fills the line");
    await until(() => replyText(el).endsWith("fills the line"));
    await settle(el);
    expect($(el, ".row.assistant .bubble.markdown")!.getBoundingClientRect().width).to.equal(first);
  });

  it("a stopped reply offers Retry, which generates it again in place", async () => {
    env = setup();
    const el = await mount(env.url);
    await sendAndStart(el, "Tell me a story");
    const streamId = env.backend.messages.at(-1)!.streamId!;
    env.backend.persist(streamId, "Once upon a time");
    env.backend.finish(streamId, "stopped");
    await until(() => $(el, "[part=retry-button]") !== null);
    expect($(el, "[part=reply-note]")!.textContent).to.contain("Stopped");
    const started = oneEvent(el, "ai-chat-stream-start");
    $<HTMLButtonElement>(el, "[part=retry-button]")!.click();
    await started;
    expect(env.backend.calls.filter((c) => c.name === "messages:retry")).to.have.length(1);
    const again = env.backend.messages.at(-1)!.streamId!;
    env.backend.persist(again, "Once upon a time, the end.");
    env.backend.finish(again);
    await until(() => replyText(el) === "Once upon a time, the end.");
    expect($$(el, ".row.assistant")).to.have.length(1);
  });

  it("a reply stopped inside a table shows no raw pipes", async () => {
    env = setup();
    const el = await mount(env.url);
    await sendAndStart(el, "Compare the plans");
    const streamId = env.backend.messages.at(-1)!.streamId!;
    env.backend.persist(streamId, "Here they are:\n\n| Plan | Price |\n| --");
    env.backend.finish(streamId, "stopped");
    await until(() => $(el, "[part=reply-note]") !== null);
    await settle(el);
    const shown = $(el, ".row.assistant .text")!.textContent!;
    expect(shown).to.contain("Here they are:");
    expect(shown).to.not.contain("|");
  });

  it("scrollIntoView() on a message scrolls the transcript, never the panel: the header stays in place", async () => {
    env = setup();
    await setViewport({ width: 1280, height: 800 });
    const history = Array.from({ length: 8 }, (_, i): [string, string] => [`Q${i}`, `A${i}\n\n${"Text. ".repeat(40)}`]);
    const threadId = env.backend.seedThread("tok", history);
    localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token: "tok" }));
    const el = await mount(env.url, "launcher open");
    await until(() => $$(el, ".row").length === 16);
    await settle(el);
    await animationsDone(el);
    const panel = $(el, "[part=panel]")!;
    const headerTop = $(el, "[part=header]")!.getBoundingClientRect().top;
    $$(el, ".row.user")[0]!.scrollIntoView({ block: "end", behavior: "instant" });
    $$(el, ".row.assistant").at(-1)!.scrollIntoView({ block: "start", behavior: "instant" });
    await settle(el);
    expect(panel.scrollTop).to.equal(0);
    expect($(el, "[part=header]")!.getBoundingClientRect().top).to.equal(headerTop);
  });
});
