// Cloudflare Turnstile at a new visitor's first send, against a fake `turnstile` global (the
// real script is never loaded here) and the suite's fake deployment, whose siteverify passes
// only the response the fake check hands out.
import { expect, fixture, oneEvent } from "@open-wc/testing";
import { LitElement, html } from "lit";
import { deriveSiteUrl } from "../../src/shell/ai-chat-stream.js";
import { HumanCheckController, type Turnstile } from "../../src/reply/human-check.js";
import type { AiChatErrorEvent } from "../../src/events.js";
import { defaultStrings } from "../../src/strings.js";
import { storageKey } from "../../src/storage.js";
import { FakeConvexError, until } from "./fake-backend.js";
import { $, mount, settle, setup, type Setup } from "./helpers.js";

const SITE_KEY = "1x00000000000000000000AA";

type RenderParams = Parameters<Turnstile["render"]>[1];

/** Records what the widget asks of Turnstile; the test solves or fails the challenge. */
function fakeTurnstile() {
  const renders: { container: HTMLElement; params: RenderParams }[] = [];
  const removed: string[] = [];
  const turnstile: Turnstile = {
    render(container, params) {
      renders.push({ container, params });
      return `widget-${renders.length}`;
    },
    remove(widgetId) {
      removed.push(widgetId);
    },
  };
  return { turnstile, renders, removed };
}

const turnstileScripts = () =>
  [...document.querySelectorAll("script")].filter((s) => s.src.includes("challenges.cloudflare.com"));

describe("<ai-chat-stream turnstile-site-key>", () => {
  let env: Setup;
  let fake: ReturnType<typeof fakeTurnstile>;
  beforeEach(() => {
    env = setup();
    // The deployment's siteverify: only the response the fake check hands out passes.
    env.backend.humanCheck = (turnstileToken) => turnstileToken === "turnstile-response";
    fake = fakeTurnstile();
    window.turnstile = fake.turnstile;
  });
  afterEach(() => {
    delete window.turnstile;
    env.restore();
  });

  /** Sends "Hello", solves the challenge with `response`, and waits for the error the deployment's answer leads to. */
  async function sendSolvingTheCheckUntilError(response = "turnstile-response") {
    const el = await mount(env.url, `turnstile-site-key="${SITE_KEY}"`);
    const failed = oneEvent(el, "ai-chat-error") as Promise<AiChatErrorEvent>;
    void el.send("Hello");
    await until(() => fake.renders.length === 1);
    fake.renders[0]!.params.callback(response);
    return { el, error: await failed };
  }

  it("shows nothing of Turnstile on page load; at the first send it renders the check in the shadow root, and the send carries its token", async () => {
    const el = await mount(env.url, `turnstile-site-key="${SITE_KEY}"`);
    expect(fake.renders).to.have.length(0);
    expect(turnstileScripts()).to.have.length(0);
    expect($(el, "[part=human-check]")!.hidden).to.equal(true);

    void el.send("Hello");
    await until(() => fake.renders.length === 1);
    const { container, params } = fake.renders[0]!;
    expect(container.getRootNode()).to.equal(el.shadowRoot);
    expect(container.getAttribute("part")).to.equal("human-check");
    expect(container.hidden).to.equal(false);
    expect(params.sitekey).to.equal(SITE_KEY);
    expect(env.fetchCalls).to.have.length(0);

    params.callback("turnstile-response");
    await until(() => env.backend.calls.some((c) => c.name === "threads:create"));
    // One request: the check's token travels with the prompt; no separate minting call.
    expect(env.fetchCalls.map((c) => c.url)).to.deep.equal([`${deriveSiteUrl(env.url)}/chat-stream`]);
    expect(env.backend.posts[0]).to.deep.include({ prompt: "Hello", turnstileToken: "turnstile-response" });
    await settle(el);
    expect(fake.removed).to.deep.equal(["widget-1"]);
    expect(container.hidden).to.equal(true);
    const stored = JSON.parse(localStorage.getItem(storageKey(env.url, deriveSiteUrl(env.url), "inline"))!);
    const thread = env.backend.threads.get(stored.threadId)!;
    expect(stored.token).to.equal(thread.token);
  });

  it("a returning visitor with a stored token sends without a check", async () => {
    localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId: null, token: "tok" }));
    const el = await mount(env.url, `turnstile-site-key="${SITE_KEY}"`);
    await el.send("Hello");
    expect(fake.renders).to.have.length(0);
    expect(env.backend.posts[0]).to.deep.equal({ prompt: "Hello", token: "tok" });
  });

  it("a check the deployment refuses shows the visitor-facing sentence and keeps the prompt", async () => {
    const { el, error } = await sendSolvingTheCheckUntilError("forged");
    expect(error.code).to.equal("HUMAN_CHECK_FAILED");
    await settle(el);
    expect($(el, ".banner")!.textContent).to.contain(defaultStrings.humanCheckFailed);
    expect($<HTMLTextAreaElement>(el, "textarea")!.value).to.equal("Hello");
    expect(env.backend.threads.size).to.equal(0);
  });

  it("a challenge Turnstile itself fails (error-callback) is HUMAN_CHECK_FAILED, without a request", async () => {
    const el = await mount(env.url, `turnstile-site-key="${SITE_KEY}"`);
    const failed = oneEvent(el, "ai-chat-error") as Promise<AiChatErrorEvent>;
    void el.send("Hello");
    await until(() => fake.renders.length === 1);
    fake.renders[0]!.params["error-callback"]();
    expect((await failed).code).to.equal("HUMAN_CHECK_FAILED");
    expect(env.fetchCalls).to.have.length(0);
    expect(fake.removed).to.deep.equal(["widget-1"]);
  });

  it("too many new visitors at once is TOO_MANY_VISITORS with its own sentence", async () => {
    env.backend.failNext.set(
      "threads:create",
      new FakeConvexError({
        code: "TOO_MANY_VISITORS",
        message: "Too many new visitors right now; try again in 4 seconds.",
        retryAfterMs: 4000,
      }),
    );
    const { el, error } = await sendSolvingTheCheckUntilError();
    expect(error.code).to.equal("TOO_MANY_VISITORS");
    await settle(el);
    expect($(el, ".banner")!.textContent).to.contain(defaultStrings.tooManyVisitors);
  });

  it("send() settles when the element is removed while Turnstile's script is still loading, and no check is shown", async () => {
    delete window.turnstile;
    // The script never arrives (a slow network): it is kept out of the document until the end.
    const held: HTMLScriptElement[] = [];
    const append = document.head.append;
    document.head.append = function (...nodes: (Node | string)[]) {
      for (const n of nodes)
        if (n instanceof HTMLScriptElement && n.src.includes("challenges.cloudflare.com")) held.push(n);
      append.apply(
        this,
        nodes.filter((n) => !held.includes(n as HTMLScriptElement)),
      );
    };
    try {
      const el = await mount(env.url, `turnstile-site-key="${SITE_KEY}"`);
      let settled = false;
      const sent = el.send("Hello").finally(() => (settled = true));
      await until(() => held.length === 1);
      el.remove();
      await until(() => settled, 1000);
      await sent;
      expect(fake.renders).to.have.length(0);
      expect(env.fetchCalls).to.have.length(0);
    } finally {
      document.head.append = append;
      // Lets the page's one load of this script end (as failed), so nothing waits on it.
      held[0]?.dispatchEvent(new Event("error"));
    }
  });

  it("without turnstile-site-key a new visitor's first send has no token: the deployment mints one, no check", async () => {
    env.backend.humanCheck = null;
    const el = await mount(env.url);
    await el.send("Hello");
    expect(fake.renders).to.have.length(0);
    expect(env.backend.posts[0]).to.deep.equal({ prompt: "Hello" });
  });
});

class HumanCheckHost extends LitElement {
  override render() {
    return html`<div class="box"></div>`;
  }
}
customElements.define("human-check-test-host", HumanCheckHost);

describe("HumanCheckController", () => {
  afterEach(() => {
    delete window.turnstile;
    delete (window as { __fakeTurnstile?: Turnstile }).__fakeTurnstile;
  });

  it("adds Turnstile's script only when a token is first asked for, and only once", async () => {
    const fake = fakeTurnstile();
    (window as { __fakeTurnstile?: Turnstile }).__fakeTurnstile = fake.turnstile;
    // A stand-in for Cloudflare's script: it defines the global the way api.js does.
    const scriptUrl = "data:text/javascript,window.turnstile%3Dwindow.__fakeTurnstile";
    const host = await fixture<HumanCheckHost>(html`<human-check-test-host></human-check-test-host>`);
    const check = new HumanCheckController(host, {
      container: () => host.shadowRoot!.querySelector<HTMLElement>(".box"),
      strings: () => defaultStrings,
      scriptUrl,
    });
    const scripts = () => [...document.querySelectorAll("script")].filter((s) => s.src === scriptUrl);
    expect(scripts()).to.have.length(0);

    const token = check.challenge(SITE_KEY);
    await until(() => fake.renders.length === 1);
    expect(scripts()).to.have.length(1);
    expect(check.active).to.equal(true);
    fake.renders[0]!.params.callback("turnstile-response");
    expect(await token).to.equal("turnstile-response");
    expect(check.active).to.equal(false);

    const again = check.challenge(SITE_KEY);
    await until(() => fake.renders.length === 2);
    fake.renders[1]!.params.callback("second");
    await again;
    expect(scripts()).to.have.length(1);
  });
});
