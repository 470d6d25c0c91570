// The console's sign-in and operator session on a throwaway host, with no form around it: what
// the session keeps, when it counts as signed in, and what ends it. The console element's own
// tests drive the same paths through the form.
import { expect, fixture } from "@open-wc/testing";
import { LitElement, html } from "lit";
import { property } from "lit/decorators.js";
import { consoleStorageKey, OperatorSessionController, type ConsolePhase } from "../../src/console/operator-session.js";
import { defaultConsoleStrings } from "../../src/strings.js";
import { deriveSiteUrl } from "../../src/site-url.js";
import { fullDate, relativeAge } from "../../src/console/relative-age.js";
import { until } from "./fake-backend.js";
import { settle, setup, type Setup } from "./helpers.js";

class SessionTestHost extends LitElement {
  @property({ attribute: "convex-url" }) convexUrl = "";
  siteUrl = "";
  phase: ConsolePhase = "signed-out";
  phases: ConsolePhase[] = [];
  ended = 0;
  focused = 0;
  readonly session = new OperatorSessionController(this, {
    pageSize: () => 10,
    strings: () => defaultConsoleStrings,
    focusSecret: () => this.focused++,
    onEnded: () => this.ended++,
  });
  override willUpdate(changed: Map<PropertyKey, unknown>): void {
    if (changed.has("convexUrl")) this.session.urlChanged(changed.get("convexUrl") as string | undefined);
    if (this.phases.at(-1) !== this.phase) this.phases.push(this.phase);
  }
}
customElements.define("operator-session-test-host", SessionTestHost);

const mountHost = (url: string) =>
  fixture<SessionTestHost>(html`<operator-session-test-host convex-url=${url}></operator-session-test-host>`);

describe("OperatorSessionController", () => {
  let env: Setup;
  beforeEach(() => {
    env = setup();
  });
  afterEach(() => env.restore());

  it("is signed in only once the thread list's first page arrived, and keeps the session token, not the secret", async () => {
    env.backend.seedThread("v", [["Hello", "Hi"]]);
    const host = await mountHost(env.url);
    const signedIn = host.session.signIn(env.backend.operatorSecret);
    expect(host.phase).to.equal("verifying");
    expect(await signedIn).to.equal(true);
    expect(host.phase).to.equal("signed-in");
    expect(host.session.list.threads.map((t) => t.title)).to.deep.equal(["Hello"]);
    expect(host.session.token).to.equal([...env.backend.operatorSessions][0]);
    expect(host.session.token).not.to.contain(env.backend.operatorSecret);
    expect(sessionStorage.getItem(consoleStorageKey(env.url)), "not remembered unless asked").to.equal(null);
  });

  it("a refused secret leaves it signed out with the reason, and asks for the secret field", async () => {
    const host = await mountHost(env.url);
    expect(await host.session.signIn("not-the-secret")).to.equal(false);
    expect(host.phase).to.equal("signed-out");
    expect(host.session.error).to.equal(defaultConsoleStrings.wrongSecret);
    expect(host.focused).to.equal(1);
  });

  it("ends the session when the list is refused later (expired or revoked) and forgets the stored token", async () => {
    const host = await mountHost(env.url);
    await host.session.signIn(env.backend.operatorSecret, { remember: true });
    expect(sessionStorage.getItem(consoleStorageKey(env.url))).to.equal(host.session.token);
    env.backend.operatorSessions.clear();
    env.backend.flush();
    await until(() => host.phase === "signed-out");
    expect(host.session.error).to.equal(defaultConsoleStrings.secretRejected);
    expect(host.session.token).to.equal("");
    expect(host.ended).to.equal(1);
    expect(sessionStorage.getItem(consoleStorageKey(env.url))).to.equal(null);
  });

  it("signs itself in from a token remembered for the tab", async () => {
    const first = await mountHost(env.url);
    await first.session.signIn(env.backend.operatorSecret, { remember: true });
    first.remove();
    const second = await mountHost(env.url);
    await until(() => second.phase === "signed-in");
    expect(second.phases).to.include("verifying");
    expect(env.backend.calls.filter((c) => c.name === "POST /operator/sign-in")).to.have.length(1);
  });

  it("sends the secret to POST {site}/operator/sign-in, where wrong ones are limited per address, not to the mutation", async () => {
    const host = await mountHost(env.url);
    expect(await host.session.signIn(env.backend.operatorSecret, { name: "Ada" })).to.equal(true);
    host.siteUrl = "https://shop.example/chat";
    expect(await host.session.signIn("not-the-secret")).to.equal(false);
    expect(env.fetchCalls.map((c) => [c.url, c.init.method, JSON.parse(String(c.init.body))])).to.deep.equal([
      [`${deriveSiteUrl(env.url)}/operator/sign-in`, "POST", { secret: env.backend.operatorSecret, name: "Ada" }],
      ["https://shop.example/chat/operator/sign-in", "POST", { secret: "not-the-secret", name: "" }],
    ]);
    expect(env.backend.calls.filter((c) => c.name === "operator:signIn")).to.deep.equal([]);
  });

  it("shows the route's refusal when this address sent too many wrong secrets", async () => {
    const message = "Too many wrong operator secrets from this address; try again in 60 seconds.";
    env.backend.signInOverHttp = () =>
      new Response(JSON.stringify({ ok: false, code: "RATE_LIMITED", message, retryAfterMs: 60_000 }), {
        status: 429,
      });
    const host = await mountHost(env.url);
    expect(await host.session.signIn(env.backend.operatorSecret)).to.equal(false);
    expect(host.phase).to.equal("signed-out");
    expect(host.session.error).to.equal(message);
  });

  it("is signed in with no secret when the page's client is signed in to the app as an operator", async () => {
    env.backend.seedThread("v", [["Hello", "Hi"]]);
    env.backend.signedInOperator = true;
    const host = await mountHost(env.url);
    await until(() => host.phase === "signed-in");
    expect(host.session.list.threads.map((t) => t.title)).to.deep.equal(["Hello"]);
    expect(host.session.token).to.equal("");
    await until(() => host.session.usage?.tokens === 1234);
    expect(env.fetchCalls).to.deep.equal([]);
  });

  it("stays signed out, with nothing to say, when the page's client is not an operator", async () => {
    const host = await mountHost(env.url);
    await settle(host);
    expect(env.backend.subscriptions("operator:listThreads"), "asked once, then stopped").to.have.length(0);
    expect(host.phases).to.deep.equal(["signed-out"]);
    expect(host.session.error).to.equal("");
    expect(host.focused).to.equal(0);
    expect(host.ended).to.equal(0);
    expect(await host.session.signIn(env.backend.operatorSecret)).to.equal(true);
  });

  it("a new deployment URL ends the session but keeps the old deployment's remembered token", async () => {
    const host = await mountHost(env.url);
    await host.session.signIn(env.backend.operatorSecret, { remember: true });
    const token = host.session.token;
    const oldUrl = env.url;
    host.convexUrl = `${oldUrl}0`;
    await settle(host);
    expect(host.phase).to.equal("signed-out");
    expect(host.session.token).to.equal("");
    expect(host.ended).to.equal(1);
    expect(sessionStorage.getItem(consoleStorageKey(oldUrl))).to.equal(token);
    expect(env.backend.operatorSessions.has(token), "not revoked: it still belongs to the old deployment").to.equal(
      true,
    );
  });

  it("sign-out revokes the token on the deployment and forgets it", async () => {
    const host = await mountHost(env.url);
    await host.session.signIn(env.backend.operatorSecret, { remember: true });
    host.session.signOut();
    await until(() => env.backend.operatorSessions.size === 0);
    expect(host.phase).to.equal("signed-out");
    expect(host.session.list.threads).to.deep.equal([]);
    expect(env.backend.subscriptions("operator:listThreads")).to.have.length(0);
    expect(sessionStorage.getItem(consoleStorageKey(env.url))).to.equal(null);
  });

  it("keeps the token usage live after the console is taken out of the page and put back", async () => {
    const host = await mountHost(env.url);
    await host.session.signIn(env.backend.operatorSecret);
    await until(() => host.session.usage?.tokens === 1234);
    // Taken out (a single-page app re-mounting it), the console releases its client; put back, it
    // acquires a new one, and the session must follow it there.
    const parent = host.parentElement!;
    host.remove();
    expect(env.backend.clientsClosed).to.equal(1);
    parent.append(host);
    await until(() => env.backend.subscriptions("operator:listThreads").length === 1);
    env.backend.usageTokens = 5678;
    env.backend.flush();
    await until(() => host.session.usage?.tokens === 5678);
    expect(env.backend.subscriptions("operator:usage"), "one usage subscription, not one per connect").to.have.length(
      1,
    );
  });
});

describe("relativeAge", () => {
  const now = Date.UTC(2024, 5, 15, 12);
  const MINUTE = 60_000;

  it("says 'just now' under 45 seconds, then counts minutes, hours, days, months and years", () => {
    const age = (ms: number) => relativeAge(now - ms, now, "en", "just now");
    expect(age(44_000)).to.equal("just now");
    expect(age(5 * MINUTE)).to.equal("5 minutes ago");
    expect(age(3 * 60 * MINUTE)).to.equal("3 hours ago");
    expect(age(24 * 60 * MINUTE)).to.equal("yesterday");
    expect(age(60 * 24 * 60 * MINUTE)).to.equal("2 months ago");
    expect(age(800 * 24 * 60 * MINUTE)).to.equal("2 years ago");
  });

  it("writes the age in the locale it is given", () => {
    expect(relativeAge(now - 5 * MINUTE, now, "de", "gerade eben")).to.equal("vor 5 Minuten");
    expect(relativeAge(now - 5 * MINUTE, now, "en", "just now")).to.equal("5 minutes ago");
  });
});

describe("fullDate", () => {
  it("reads as Date.prototype.toLocaleString does, in each locale", () => {
    const at = Date.UTC(2024, 5, 15, 12, 3, 4);
    for (const locale of [undefined, "en-US", "de", "ar", "ja"])
      expect(fullDate(at, locale), String(locale)).to.equal(new Date(at).toLocaleString(locale));
  });
});
