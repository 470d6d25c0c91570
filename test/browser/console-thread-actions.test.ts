// The console's actions on the open thread (issue 22 item 4): export the transcript as Markdown,
// mint an observer link, delete after confirming, and on a phone go back to the list. Against
// the fake backend; axe clean in each new state, light and dark.
import { expect, fixture } from "@open-wc/testing";
import type { AiChatConsole } from "../../src/console/ai-chat-console.js";
import { until } from "./fake-backend.js";
import { $, $$, settle, setup, type Setup } from "./helpers.js";

let env: Setup;
afterEach(() => env.restore());

async function openThread(attrs = ""): Promise<{ el: AiChatConsole; threadId: string }> {
  env = setup();
  const threadId = env.backend.seedThread("a", [["Where is my order?", "It ships **today**."]], { title: "Order" });
  env.backend.operatorSays(threadId, "Dana", "I checked: it left.");
  env.backend.seedThread("b", [["Other", "Answer"]], { title: "Other" });
  const el = await fixture<AiChatConsole>(`<ai-chat-console convex-url="${env.url}" ${attrs}></ai-chat-console>`);
  await settle(el);
  await el.signIn(env.backend.operatorSecret, { name: "Ops" });
  await until(() => $$(el, "[part~=thread]").length === 2);
  el.open(threadId);
  await until(() => !!$(el, "[part=thread-actions]"));
  return { el, threadId };
}

async function accessibleInBothThemes(el: AiChatConsole) {
  for (const theme of ["light", "dark"] as const) {
    el.theme = theme;
    await el.updateComplete;
    await expect(el, theme).to.be.accessible();
  }
}

describe("the open thread's actions", () => {
  it("exports the transcript as a Markdown download: title, each message under who wrote it", async () => {
    const { el, threadId } = await openThread();
    const made: Blob[] = [];
    const { createObjectURL } = URL;
    URL.createObjectURL = (blob: Blob) => (made.push(blob), "blob:test");
    const clicked: HTMLAnchorElement[] = [];
    const click = HTMLAnchorElement.prototype.click;
    HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
      clicked.push(this);
    };
    try {
      $<HTMLButtonElement>(el, "[part=export-button]")!.click();
      await until(() => made.length === 1);
    } finally {
      URL.createObjectURL = createObjectURL;
      HTMLAnchorElement.prototype.click = click;
    }
    expect(clicked[0]!.download).to.equal(`conversation-${threadId}.md`);
    expect(made[0]!.type).to.equal("text/markdown");
    expect(await made[0]!.text()).to.equal(
      "# Order\n\n**Visitor:**\n\nWhere is my order?\n\n---\n\n**AI:**\n\nIt ships **today**.\n\n---\n\n" +
        "**Dana (operator):**\n\nI checked: it left.\n",
    );
  });

  it("with observe-url, mints an observer link with the thread and token in the fragment", async () => {
    const { el, threadId } = await openThread(`observe-url="/observe.html"`);
    $<HTMLButtonElement>(el, "[part=share-button]")!.click();
    await until(() => !!$(el, "[part=share-link]"));
    const link = new URL($<HTMLInputElement>(el, "[part=share-link]")!.value);
    expect(link.pathname).to.equal("/observe.html");
    const params = new URLSearchParams(link.hash.slice(1));
    expect(params.get("thread")).to.equal(threadId);
    expect([...env.backend.threads.get(threadId)!.observers]).to.deep.equal([params.get("token")]);
    await accessibleInBothThemes(el);
  });

  it("has no share button without observe-url", async () => {
    const { el } = await openThread();
    expect($(el, "[part=share-button]")).to.equal(null);
  });

  it("deletes the conversation only once confirmed", async () => {
    const { el, threadId } = await openThread();
    $<HTMLButtonElement>(el, "[part=delete-button]")!.click();
    await settle(el);
    expect(env.backend.threads.has(threadId)).to.equal(true);
    expect($(el, "[part=thread-actions] [role=alert]")!.textContent).to.contain("for good");
    await accessibleInBothThemes(el);
    $<HTMLButtonElement>(el, "[part=delete-confirm-button]")!.click();
    await until(() => el.thread === null);
    expect(env.backend.threads.has(threadId)).to.equal(false);
    await until(() => $$(el, "[part~=thread]").length === 1);
  });

  it("on a phone shows the thread alone under the header, with a back button to the list", async () => {
    const { el } = await openThread();
    el.style.width = "400px";
    await settle(el);
    const back = $<HTMLButtonElement>(el, "[part=back-button]")!;
    expect(getComputedStyle(back).display).to.not.equal("none");
    expect(getComputedStyle($(el, "[part=list]")!).display).to.equal("none");
    expect(getComputedStyle($(el, "[part=sign-out-button]")!).display).to.not.equal("none");
    await accessibleInBothThemes(el);
    back.click();
    await until(() => el.thread === null);
    expect(getComputedStyle($(el, "[part=list]")!).display).to.not.equal("none");
    // Wide, the list stays beside the thread and needs no way back.
    el.style.width = "900px";
    el.open($$(el, "[part~=thread]")[0]!.dataset.id!);
    await until(() => !!$(el, "[part=back-button]"));
    expect(getComputedStyle($(el, "[part=back-button]")!).display).to.equal("none");
  });
});
