// Two widgets of one deployment on a page (issue 25): each keeps its own conversation, open state
// and unsent text across a reload, as the demo's product page (inline chat plus launcher) needs.
import { expect, fixture } from "@open-wc/testing";
import type { AiChatStream } from "../../src/shell/ai-chat-stream.js";
import { deriveSiteUrl } from "../../src/site-url.js";
import { storageKey } from "../../src/storage.js";
import { until } from "./fake-backend.js";
import { $, $$, replyText, sendAndStart, settle, setup, type Setup } from "./helpers.js";

/** A page with `markup` (widgets of `url`), as after a (re)load; resolves with its widgets. */
async function page(markup: string): Promise<AiChatStream[]> {
  const root = await fixture<HTMLDivElement>(`<div>${markup}</div>`);
  const widgets = [...root.querySelectorAll("ai-chat-stream")];
  for (const w of widgets) await settle(w);
  return widgets;
}

function type(el: AiChatStream, text: string): void {
  const box = $<HTMLTextAreaElement>(el, "textarea")!;
  box.value = text;
  box.dispatchEvent(new Event("input", { bubbles: true, composed: true }));
}

const userTexts = (el: AiChatStream) => $$(el, ".row.user .text").map((t) => t.textContent!.trim());

async function converse(env: Setup, el: AiChatStream, prompt: string, reply: string): Promise<void> {
  await sendAndStart(el, prompt);
  const streamId = env.backend.messages.at(-1)!.streamId!;
  env.backend.persist(streamId, reply);
  env.backend.finish(streamId);
  await until(() => replyText(el) === reply);
  await settle(el);
}

describe("two widgets on one page", () => {
  let env: Setup;
  afterEach(() => env.restore());

  it("an inline chat and a launcher of one deployment each get back their own conversation, open state and unsent text after a reload", async () => {
    env = setup();
    const markup = `<ai-chat-stream convex-url="${env.url}"></ai-chat-stream><ai-chat-stream convex-url="${env.url}" launcher></ai-chat-stream>`;
    const [inline, launcher] = await page(markup);
    await converse(env, inline!, "Inline question", "Inline answer");
    $<HTMLButtonElement>(launcher!, "[part=launcher]")!.click();
    await settle(launcher!);
    await converse(env, launcher!, "Launcher question", "Launcher answer");
    type(launcher!, "Half-written in the launcher");
    await settle(launcher!);
    expect(inline!.thread).to.not.equal(launcher!.thread);
    const threads = [inline!.thread, launcher!.thread];

    const [inline2, launcher2] = await page(markup);
    await until(() => userTexts(inline2!).length === 1 && userTexts(launcher2!).length === 1);
    expect([inline2!.thread, launcher2!.thread]).to.deep.equal(threads);
    expect(userTexts(inline2!)).to.deep.equal(["Inline question"]);
    expect(userTexts(launcher2!)).to.deep.equal(["Launcher question"]);
    expect(launcher2!.open).to.equal(true);
    expect($<HTMLTextAreaElement>(launcher2!, "textarea")!.value).to.equal("Half-written in the launcher");
    expect($<HTMLTextAreaElement>(inline2!, "textarea")!.value).to.equal("");
    // One visitor: the second widget reused the first one's token instead of minting another.
    const creates = env.backend.calls.filter((c) => c.name === "threads:create");
    expect(creates).to.have.length(2);
    expect(creates[1]!.args.token).to.be.a("string");
  });

  it("two inline chats are told apart by id, and storage-key lets two widgets share one conversation", async () => {
    env = setup();
    const [a, b] = await page(
      `<ai-chat-stream id="sales" convex-url="${env.url}"></ai-chat-stream><ai-chat-stream id="support" convex-url="${env.url}"></ai-chat-stream>`,
    );
    await converse(env, a!, "Sales question", "Sales answer");
    const [a2, b2] = await page(
      `<ai-chat-stream id="sales" convex-url="${env.url}"></ai-chat-stream><ai-chat-stream id="support" convex-url="${env.url}"></ai-chat-stream>`,
    );
    await until(() => userTexts(a2!).length === 1);
    expect(b!.thread).to.equal(null);
    expect(b2!.thread).to.equal(null);
    expect(userTexts(b2!)).to.deep.equal([]);
    const [shared] = await page(
      `<ai-chat-stream storage-key="sales" launcher open convex-url="${env.url}"></ai-chat-stream>`,
    );
    await until(() => userTexts(shared!).length === 1);
    expect(shared!.thread).to.equal(a2!.thread);
  });

  it("a conversation saved before per-widget keys goes to one widget only; the other starts empty", async () => {
    env = setup();
    const threadId = env.backend.seedThread("old-token", [["Saved question", "Saved answer"]]);
    localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token: "old-token" }));
    const [inline, launcher] = await page(
      `<ai-chat-stream convex-url="${env.url}"></ai-chat-stream><ai-chat-stream convex-url="${env.url}" launcher open></ai-chat-stream>`,
    );
    await until(() => userTexts(inline!).length === 1);
    expect(userTexts(inline!)).to.deep.equal(["Saved question"]);
    await settle(launcher!);
    expect(launcher!.thread).to.equal(null);
    expect(userTexts(launcher!)).to.deep.equal([]);
  });
});
