// The transcript's reads (history pages and the live end) on a throwaway host, with the owner's
// part (which replies are settled) played by the test: this is the seam ConversationController
// used to hide, so the live end's bookkeeping can be pinned without an element around it.
import { expect, fixture } from "@open-wc/testing";
import { LitElement, html } from "lit";
import type { MessageView } from "../../src/api.js";
import { MessagePagesController } from "../../src/reply/message-pages.js";
import { UpdatePacer } from "../../src/reply/update-pacer.js";
import { FakeBackend, nextFrame, until } from "./fake-backend.js";

class PagesTestHost extends LitElement {
  updates = 0;
  override updated(): void {
    this.updates++;
  }
}
customElements.define("message-pages-test-host", PagesTestHost);

const mountHost = () => fixture<PagesTestHost>(html`<message-pages-test-host></message-pages-test-host>`);
const TOKEN = "visitor-token";

/** A host with a pages controller whose owner settles the replies listed in `settled`. */
async function setup(history: Array<[string, string]> = [["Hi", "Hello!"]]) {
  const backend = new FakeBackend();
  const threadId = backend.seedThread(TOKEN, history);
  const host = await mountHost();
  const settled = new Set<string>();
  const seen: MessageView[][] = [];
  const pages = new MessagePagesController(host, {
    onMessages: (messages) => seen.push(messages),
    isSettled: (id) => settled.has(id),
    onError: (info) => {
      throw new Error(`unexpected read error: ${info.code}`);
    },
  });
  const client = backend.client();
  pages.setTarget({ client, threadId, token: TOKEN });
  return { backend, threadId, host, pages, settled, seen, client };
}

const liveArgs = (backend: FakeBackend) => backend.subscriptions("messages:live").map((s) => s.args.after);

describe("MessagePagesController", () => {
  it("shows the newest page, then subscribes to the live end after its last settled message", async () => {
    const { backend, pages } = await setup();
    await until(() => backend.subscriptions("messages:live").length === 1);
    expect(pages.messages!.map((m) => m.text)).to.deep.equal(["Hi", "Hello!"]);
    expect(liveArgs(backend)).to.deep.equal([pages.messages![1]!._creationTime]);
  });

  it("keeps an unsettled reply in the live end until its owner says it is settled", async () => {
    const { backend, threadId, pages, settled } = await setup();
    await until(() => backend.subscriptions("messages:live").length === 1);
    const { messageId, streamId } = backend.seedActiveReply(threadId);
    await until(() => pages.messages?.length === 4);
    backend.persist(streamId, "Done.");
    backend.finish(streamId);
    await until(() => pages.messages?.[3]?.status === "done");
    const anchorBefore = liveArgs(backend);

    pages.settle();
    expect(liveArgs(backend), "the owner has not settled the reply: the live end stays").to.deep.equal(anchorBefore);

    settled.add(messageId);
    pages.settle();
    expect(liveArgs(backend)).to.deep.equal([pages.messages![3]!._creationTime]);
    expect(pages.messages!.map((m) => m._id).at(-1), "the reply stays in the transcript, now as history").to.equal(
      messageId,
    );
  });

  it("drops a page that arrives for a thread it no longer reads", async () => {
    const { backend, pages, client } = await setup();
    const other = backend.seedThread(TOKEN, [["Other", "Elsewhere"]]);
    pages.setTarget({ client, threadId: other, token: TOKEN });
    await until(() => backend.subscriptions("messages:live").length === 1);
    expect(pages.messages!.map((m) => m.text)).to.deep.equal(["Other", "Elsewhere"]);
  });

  it("forget() takes a deleted message out of the history, which is never re-sent", async () => {
    const { backend, pages } = await setup([
      ["One", "First"],
      ["Two", "Second"],
    ]);
    await until(() => pages.messages?.length === 4);
    const last = pages.messages![3]!;
    pages.forget(last._id);
    expect(pages.messages!.map((m) => m.text)).to.deep.equal(["One", "First", "Two"]);
    expect(backend.reads.filter((r) => r.name === "messages:list")).to.have.length(1);
  });

  it("stops the live end when the host leaves and resumes it on return without reading the page again", async () => {
    const { backend, host, pages } = await setup();
    await until(() => backend.subscriptions("messages:live").length === 1);
    const parent = host.parentElement!;
    host.remove();
    expect(backend.subscriptions("messages:live")).to.have.length(0);
    parent.append(host);
    expect(backend.subscriptions("messages:live")).to.have.length(1);
    expect(backend.reads.filter((r) => r.name === "messages:list")).to.have.length(1);
    expect(pages.messages).to.have.length(2);
  });

  it("loadEarlier() puts the page before the oldest message in front", async () => {
    const history = Array.from({ length: 30 }, (_, i): [string, string] => [`Q${i}`, `A${i}`]);
    const { pages } = await setup(history);
    await until(() => pages.messages?.length === 50);
    expect(pages.hasEarlier).to.equal(true);
    await pages.loadEarlier();
    expect(pages.messages).to.have.length(60);
    expect(pages.messages![0]!.text).to.equal("Q0");
    expect(pages.hasEarlier, "a short page means the thread starts there").to.equal(false);
    expect(pages.loadingEarlier).to.equal(false);
  });
});

describe("UpdatePacer", () => {
  it("renders a reply's first growth at once, without waiting for a frame", async () => {
    const host = await mountHost();
    const pacer = new UpdatePacer(host);
    const updates = host.updates;
    pacer.schedule();
    await host.updateComplete;
    expect(host.updates).to.equal(updates + 1);
  });

  it("puts any number of requests after that into one update on a later frame, one per painted frame", async () => {
    const host = await mountHost();
    const pacer = new UpdatePacer(host);
    const updates = host.updates;
    for (let i = 0; i < 20; i++) pacer.schedule();
    await host.updateComplete;
    expect(host.updates, "the first at once").to.equal(updates + 1);
    await nextFrame();
    await host.updateComplete;
    expect(host.updates, "not again before the frame that paints the first is painted").to.equal(updates + 1);
    await nextFrame();
    await host.updateComplete;
    expect(host.updates, "the other 19 together").to.equal(updates + 2);
    await nextFrame();
    await nextFrame();
    await host.updateComplete;
    expect(host.updates, "nothing left to render").to.equal(updates + 2);
    pacer.schedule();
    await host.updateComplete;
    expect(host.updates, "after a quiet frame, at once again").to.equal(updates + 3);
  });

  it("cancel() drops the update still waiting for its frame", async () => {
    const host = await mountHost();
    const pacer = new UpdatePacer(host);
    const updates = host.updates;
    pacer.schedule();
    pacer.schedule();
    await host.updateComplete;
    pacer.cancel();
    await nextFrame();
    await nextFrame();
    await host.updateComplete;
    expect(host.updates, "only the first, which went out at once").to.equal(updates + 1);
  });
});
