// Cloudflare Turnstile at a new visitor's first send, against a fake `turnstile` global (the
// real script is never loaded here) and the suite's fetch stub for POST {site}/visitors.
import { expect, fixture, oneEvent } from "@open-wc/testing";
import { LitElement, html } from "lit";
import { deriveSiteUrl } from "../../src/ai-chat-stream.js";
import { HumanCheckController, type Turnstile } from "../../src/controllers/human-check.js";
import type { AiChatErrorEvent } from "../../src/events.js";
import { defaultStrings } from "../../src/strings.js";
import { storageKey } from "../../src/storage.js";
import { until } from "./fake-backend.js";
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

const json = (status: number, body: object, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });

const turnstileScripts = () =>
  [...document.querySelectorAll("script")].filter((s) => s.src.includes("challenges.cloudflare.com"));

describe("<ai-chat-stream turnstile-site-key>", () => {
  let env: Setup;
  let fake: ReturnType<typeof fakeTurnstile>;
  let visitorsResponse: () => Response;
  beforeEach(() => {
    visitorsResponse = () => json(200, { token: "visitor_minted" });
    env = setup((call) => (call.url.endsWith("/visitors") ? visitorsResponse() : new Response(null, { status: 205 })));
    fake = fakeTurnstile();
    window.turnstile = fake.turnstile;
  });
  afterEach(() => {
    delete window.turnstile;
    env.restore();
  });

  /** Sends "Hello", solves the challenge, and waits for the error the deployment's answer leads to. */
  async function sendSolvingTheCheckUntilError() {
    const el = await mount(env.url, `turnstile-site-key="${SITE_KEY}"`);
    const failed = oneEvent(el, "ai-chat-error") as Promise<AiChatErrorEvent>;
    void el.send("Hello");
    await until(() => fake.renders.length === 1);
    fake.renders[0]!.params.callback("turnstile-response");
    return { el, error: await failed };
  }

  it("shows nothing of Turnstile on page load; at the first send it renders the check in the shadow root, mints at POST /visitors and creates the thread with that token", async () => {
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
    expect(env.backend.calls.some((c) => c.name === "threads:create")).to.equal(false);

    params.callback("turnstile-response");
    await until(() => env.backend.calls.some((c) => c.name === "threads:create"));
    const visitors = env.fetchCalls.find((c) => c.url.endsWith("/visitors"))!;
    expect(visitors.url).to.equal(`${deriveSiteUrl(env.url)}/visitors`);
    expect(visitors.init.method).to.equal("POST");
    expect(JSON.parse(String(visitors.init.body))).to.deep.equal({ turnstileToken: "turnstile-response" });
    expect(env.backend.calls.find((c) => c.name === "threads:create")!.args.token).to.equal("visitor_minted");
    await settle(el);
    expect(fake.removed).to.deep.equal(["widget-1"]);
    expect(container.hidden).to.equal(true);
    const stored = JSON.parse(localStorage.getItem(storageKey(env.url, deriveSiteUrl(env.url)))!);
    expect(stored.token).to.equal("visitor_minted");
  });

  it("a returning visitor with a stored token sends without a check", async () => {
    localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId: null, token: "tok" }));
    const el = await mount(env.url, `turnstile-site-key="${SITE_KEY}"`);
    await el.send("Hello");
    expect(fake.renders).to.have.length(0);
    expect(env.backend.calls.find((c) => c.name === "threads:create")!.args.token).to.equal("tok");
  });

  it("a check the deployment refuses shows the visitor-facing sentence and keeps the prompt", async () => {
    visitorsResponse = () =>
      json(403, { code: "HUMAN_CHECK_FAILED", message: "The human check did not pass; please try it again." });
    const { el, error } = await sendSolvingTheCheckUntilError();
    expect(error.code).to.equal("HUMAN_CHECK_FAILED");
    expect(error.message).to.equal(defaultStrings.humanCheckFailed);
    await settle(el);
    expect($(el, ".banner")!.textContent).to.contain(defaultStrings.humanCheckFailed);
    expect($<HTMLTextAreaElement>(el, "textarea")!.value).to.equal("Hello");
    expect(env.backend.calls.some((c) => c.name === "threads:create")).to.equal(false);
  });

  it("a challenge Turnstile itself fails (error-callback) is HUMAN_CHECK_FAILED, without a request", async () => {
    const el = await mount(env.url, `turnstile-site-key="${SITE_KEY}"`);
    const failed = oneEvent(el, "ai-chat-error") as Promise<AiChatErrorEvent>;
    void el.send("Hello");
    await until(() => fake.renders.length === 1);
    fake.renders[0]!.params["error-callback"]();
    expect((await failed).code).to.equal("HUMAN_CHECK_FAILED");
    expect(env.fetchCalls.some((c) => c.url.endsWith("/visitors"))).to.equal(false);
    expect(fake.removed).to.deep.equal(["widget-1"]);
  });

  it("too many new visitors at once is TOO_MANY_VISITORS with its own sentence", async () => {
    visitorsResponse = () =>
      json(
        429,
        {
          code: "TOO_MANY_VISITORS",
          message: "Too many new visitors right now; try again in 4 seconds.",
          retryAfterMs: 4000,
        },
        { "Retry-After": "4" },
      );
    const { error } = await sendSolvingTheCheckUntilError();
    expect(error.code).to.equal("TOO_MANY_VISITORS");
    expect(error.message).to.equal(defaultStrings.tooManyVisitors);
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

  it("without turnstile-site-key a new visitor gets a token from threads:create, no check", async () => {
    const el = await mount(env.url);
    await el.send("Hello");
    expect(fake.renders).to.have.length(0);
    expect(env.backend.calls.find((c) => c.name === "threads:create")!.args.token).to.equal(undefined);
  });
});

class HumanCheckHost extends LitElement {
  override render() {
    return html`<div class="box"></div>`;
  }
}
customElements.define("human-check-test-host", HumanCheckHost);

describe("HumanCheckController", () => {
  let env: Setup;
  beforeEach(() => (env = setup(() => json(200, { token: "visitor_minted" }))));
  afterEach(() => {
    delete window.turnstile;
    delete (window as { __fakeTurnstile?: Turnstile }).__fakeTurnstile;
    env.restore();
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

    const token = check.visitorToken("https://chat.example.com/", SITE_KEY);
    await until(() => fake.renders.length === 1);
    expect(scripts()).to.have.length(1);
    expect(check.active).to.equal(true);
    fake.renders[0]!.params.callback("turnstile-response");
    expect(await token).to.equal("visitor_minted");
    expect(env.fetchCalls[0]!.url).to.equal("https://chat.example.com/visitors");
    expect(check.active).to.equal(false);

    const again = check.visitorToken("https://chat.example.com", SITE_KEY);
    await until(() => fake.renders.length === 2);
    fake.renders[1]!.params.callback("second");
    await again;
    expect(scripts()).to.have.length(1);
  });
});
