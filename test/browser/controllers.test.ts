// Each of the element's small controllers on a throwaway host: the controller's lifecycle is
// the behaviour under test, so the host is nothing but a place to connect and disconnect.
import { expect, fixture } from "@open-wc/testing";
import { LitElement, html } from "lit";
import { AnnouncerController } from "../../src/controllers/announcer.js";
import { EscapeKeyController } from "../../src/controllers/escape-key.js";
import { RateLimitController } from "../../src/controllers/rate-limit.js";
import { ScrollController } from "../../src/controllers/scroll.js";
import { until } from "./fake-backend.js";

/** Counts its updates; renders `lines` lines in a 100 px scroller. */
class TestHost extends LitElement {
  updates = 0;
  lines = 0;
  override updated(): void {
    this.updates++;
  }
  override render() {
    return html`<div class="scroller" style="height: 100px; overflow: auto">
      ${Array.from({ length: this.lines }, (_, i) => html`<p style="margin: 0; height: 20px">line ${i}</p>`)}
    </div>`;
  }
}
customElements.define("controller-test-host", TestHost);

const mountHost = () => fixture<TestHost>(html`<controller-test-host></controller-test-host>`);
const nextFrame = () => new Promise((r) => requestAnimationFrame(r));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Removes the host and appends it again where it was, as moving it in the DOM does. */
function move(host: HTMLElement): void {
  const parent = host.parentElement!;
  host.remove();
  parent.append(host);
}

describe("RateLimitController", () => {
  it("counts down in whole seconds and ends the wait on its own", async () => {
    const host = await mountHost();
    const limit = new RateLimitController(host);
    limit.start(1200);
    expect(limit.secondsLeft).to.equal(2);
    expect(limit.waiting).to.equal(true);
    await until(() => !limit.waiting && limit.secondsLeft === 0, 2500);
    const updates = host.updates;
    await sleep(1200);
    expect(host.updates, "re-renders once more when the wait is over, then stops").to.be.at.most(updates + 1);
  });

  it("stops ticking while the host is off the page", async () => {
    const host = await mountHost();
    const limit = new RateLimitController(host);
    limit.start(5000);
    host.remove();
    await host.updateComplete;
    const updates = host.updates;
    await sleep(1200);
    expect(host.updates).to.equal(updates);
  });

  it("picks the countdown up again when the host comes back", async () => {
    const host = await mountHost();
    const limit = new RateLimitController(host);
    limit.start(5000);
    move(host);
    await host.updateComplete;
    const updates = host.updates;
    await until(() => host.updates > updates, 1500);
  });

  it("clear() ends the wait at once", async () => {
    const host = await mountHost();
    const limit = new RateLimitController(host);
    limit.start(5000);
    limit.clear();
    expect(limit.waiting).to.equal(false);
    expect(limit.secondsLeft).to.equal(0);
  });
});

describe("EscapeKeyController", () => {
  const pressEscape = (target: EventTarget) =>
    target.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true, composed: true }));

  it("calls onEscape for Escape inside the host only while active", async () => {
    const host = await mountHost();
    let active = false;
    let escapes = 0;
    new EscapeKeyController(host, { active: () => active, onEscape: () => escapes++ });
    const inside = host.shadowRoot!.querySelector(".scroller")!;
    pressEscape(inside);
    expect(escapes).to.equal(0);
    active = true;
    pressEscape(inside);
    inside.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true, composed: true }));
    expect(escapes).to.equal(1);
  });

  it("leaves Escape pressed elsewhere on the page to the page", async () => {
    const host = await mountHost();
    let escapes = 0;
    new EscapeKeyController(host, { active: () => true, onEscape: () => escapes++ });
    const pageEvent = new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true });
    document.body.dispatchEvent(pageEvent);
    expect(escapes).to.equal(0);
    expect(pageEvent.defaultPrevented).to.equal(false);
  });

  it("keeps listening after the host is moved in the DOM, and stops once it is removed", async () => {
    const host = await mountHost();
    let escapes = 0;
    new EscapeKeyController(host, { active: () => true, onEscape: () => escapes++ });
    move(host);
    pressEscape(host);
    expect(escapes).to.equal(1);
    host.remove();
    pressEscape(host);
    expect(escapes).to.equal(1);
  });
});

describe("AnnouncerController", () => {
  it("announces the same text twice by clearing the region in between", async () => {
    const host = await mountHost();
    const announcer = new AnnouncerController(host);
    announcer.announce("Responding");
    await nextFrame();
    expect(announcer.text).to.equal("Responding");
    announcer.announce("Responding");
    expect(announcer.text).to.equal("");
    await nextFrame();
    expect(announcer.text).to.equal("Responding");
  });

  it("drops an announcement still waiting for its frame when the host leaves", async () => {
    const host = await mountHost();
    const announcer = new AnnouncerController(host);
    announcer.announce("Response complete");
    host.remove();
    await nextFrame();
    expect(announcer.text).to.equal("");
  });
});

/** A host with a ScrollController on its scroller, rendered with 20 lines (more than it shows). */
async function scrollerWithTwentyLines() {
  const host = await mountHost();
  const scroller = () => host.renderRoot.querySelector<HTMLElement>(".scroller")!;
  const scroll = new ScrollController(host, scroller);
  host.lines = 20;
  host.requestUpdate();
  await host.updateComplete;
  return { host, scroller, scroll };
}

describe("ScrollController", () => {
  it("keeps the newest content in view until the reader scrolls up", async () => {
    const { host, scroller, scroll } = await scrollerWithTwentyLines();
    expect(scroller().scrollTop).to.equal(scroller().scrollHeight - 100);
    scroller().scrollTop = 0;
    scroll.onScroll();
    expect(scroll.atBottom).to.equal(false);
    host.lines = 30;
    host.requestUpdate();
    await host.updateComplete;
    expect(scroller().scrollTop).to.equal(0);
  });
});

describe("ScrollController: new content below a reader who scrolled up", () => {
  it("does not pull back down a reader whose scroll event has not fired yet", async () => {
    const { host, scroller, scroll } = await scrollerWithTwentyLines();
    // The reader scrolls up; a chunk re-renders before the scroll event (the next frame) arrives.
    scroller().scrollTop = 0;
    host.lines = 21;
    host.requestUpdate();
    await host.updateComplete;
    expect(scroller().scrollTop).to.equal(0);
    expect([scroll.atBottom, scroll.hasNewBelow]).to.deep.equal([false, true]);
  });

  async function scrolledUp() {
    const { host, scroller, scroll } = await scrollerWithTwentyLines();
    scroller().scrollTop = 0;
    scroll.onScroll();
    return { host, scroller, scroll };
  }

  it("raises hasNewBelow (the pill) only once content grows", async () => {
    const { host, scroll } = await scrolledUp();
    host.requestUpdate();
    await host.updateComplete;
    expect(scroll.hasNewBelow).to.equal(false);
    host.lines = 21;
    host.requestUpdate();
    await host.updateComplete;
    expect(scroll.hasNewBelow).to.equal(true);
  });

  it("jumpToLatest() scrolls to the newest content and follows it again", async () => {
    const { host, scroller, scroll } = await scrolledUp();
    host.lines = 21;
    host.requestUpdate();
    await host.updateComplete;
    scroll.jumpToLatest();
    await host.updateComplete;
    expect(scroll.hasNewBelow).to.equal(false);
    expect(scroller().scrollTop).to.equal(scroller().scrollHeight - 100);
    host.lines = 30;
    host.requestUpdate();
    await host.updateComplete;
    expect(scroller().scrollTop).to.equal(scroller().scrollHeight - 100);
  });

  it("follows again once the reader scrolls back to the bottom by hand", async () => {
    const { host, scroller, scroll } = await scrolledUp();
    host.lines = 21;
    host.requestUpdate();
    await host.updateComplete;
    scroller().scrollTop = scroller().scrollHeight;
    scroll.onScroll();
    expect([scroll.atBottom, scroll.hasNewBelow]).to.deep.equal([true, false]);
    host.lines = 25;
    host.requestUpdate();
    await host.updateComplete;
    expect(scroller().scrollTop).to.equal(scroller().scrollHeight - 100);
  });
});

/** A transcript in a 100 px scroller: 10 lines, a question (`.row.user`), `below` px under it, the room. */
class AnchorHost extends LitElement {
  below = 40;
  override render() {
    return html`<div class="scroller" style="height: 100px; overflow: auto; display: flex; flex-direction: column">
      ${Array.from({ length: 10 }, (_, i) => html`<p style="margin: 0; flex: none; height: 20px">line ${i}</p>`)}
      <p class="row user" style="margin: 0; flex: none; height: 20px">question</p>
      <div class="below" style="flex: none; height: ${this.below}px"></div>
      <div class="scroll-room" style="flex: none"></div>
    </div>`;
  }
}
customElements.define("anchor-test-host", AnchorHost);

describe("ScrollController: the question held at the top", () => {
  async function anchored() {
    const host = await fixture<AnchorHost>(html`<anchor-test-host></anchor-test-host>`);
    const scroller = () => host.renderRoot.querySelector<HTMLElement>(".scroller")!;
    const scroll = new ScrollController(host, scroller);
    // As the chat binds it (chat-panel.ts).
    scroller().addEventListener("scroll", scroll.onScroll);
    scroll.showQuestion();
    await host.updateComplete;
    // Past the ResizeObserver's first report, which places the transcript again.
    await nextFrame();
    await nextFrame();
    const offset = () =>
      host.renderRoot.querySelector(".row.user")!.getBoundingClientRect().top - scroller().getBoundingClientRect().top;
    expect(offset()).to.equal(0);
    return { host, scroller, scroll, offset };
  }

  it("stays at the top when what is below it gets shorter in an update (Thinking… replaced by a first line)", async () => {
    const { host, offset } = await anchored();
    host.below = 6;
    host.requestUpdate();
    await host.updateComplete;
    expect(offset()).to.equal(0);
  });

  it("stays at the top when what is below it gets shorter between updates (a style sheet arriving)", async () => {
    const { host, scroll, offset } = await anchored();
    host.renderRoot.querySelector<HTMLElement>(".below")!.style.height = "6px";
    // The browser pulls scrollTop up to the new end and reports it as a scroll, a frame later.
    await nextFrame();
    await nextFrame();
    expect(offset()).to.equal(0);
    // Still held: a reply growing below it leaves it there.
    host.below = 60;
    host.requestUpdate();
    await host.updateComplete;
    expect(offset()).to.equal(0);
    expect(scroll.atBottom).to.equal(false);
  });
});
