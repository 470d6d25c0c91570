// Nothing until needed: a closed launcher connects to nothing and calls no function; opening it
// connects and restores the visitor's conversation; closing it keeps the connection while a
// reply is on its way, and the shared client is released once it is no longer wanted.
import { expect, fixture } from "@open-wc/testing";
import { LitElement, html } from "lit";
import { deriveSiteUrl } from "../../src/shell/ai-chat-stream.js";
import { ClientController } from "../../src/controllers/client.js";
import { acquireClient, clientRefCount, releaseClient, type ChatClient } from "../../src/convex-pool.js";
import { storageKey } from "../../src/storage.js";
import { controlledBody, until } from "./fake-backend.js";
import { $, $$, mount, sendAndStart, settle, setup, type Setup } from "./helpers.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a launcher the visitor has not opened", () => {
  let env: Setup;
  beforeEach(() => (env = setup()));
  afterEach(() => env.restore());

  it("creates no client, subscribes to nothing and calls nothing while closed", async () => {
    const el = await mount(env.url, "launcher");
    await sleep(50);
    await settle(el);
    expect(env.backend.clientsMade).to.equal(0);
    expect(env.backend.subscriptions()).to.have.length(0);
    expect(env.backend.reads).to.have.length(0);
    expect(env.backend.calls).to.have.length(0);
    expect(env.warmups).to.have.length(0);
    expect(clientRefCount(env.url)).to.equal(0);
  });

  it("connects to nothing when the pointer is over the launcher or it has focus", async () => {
    const el = await mount(env.url, "launcher");
    const button = $<HTMLButtonElement>(el, "[part=launcher]")!;
    button.dispatchEvent(new PointerEvent("pointerenter"));
    button.focus();
    await sleep(50);
    await settle(el);
    expect(env.backend.clientsMade).to.equal(0);
    expect(env.backend.subscriptions()).to.have.length(0);
    expect(env.warmups).to.have.length(0);
  });

  it("opening it warms the connection the send will use: one GET to the site URL, not renewed while the visitor types", async () => {
    const el = await mount(env.url, "launcher");
    $<HTMLButtonElement>(el, "[part=launcher]")!.click();
    await until(() => env.warmups.length === 1);
    const warm = env.warmups[0]!;
    expect(warm.url).to.equal(`${deriveSiteUrl(env.url)}/chat-stream`);
    expect(warm.init.method ?? "GET").to.equal("GET");
    expect(warm.init.credentials).to.equal("omit");
    expect(warm.init.headers).to.equal(undefined);
    const box = $<HTMLTextAreaElement>(el, "textarea")!;
    for (const text of ["W", "Wh", "Whe"]) {
      box.value = text;
      box.dispatchEvent(new Event("input", { bubbles: true, composed: true }));
    }
    await settle(el);
    expect(env.warmups).to.have.length(1);
    expect(env.backend.calls).to.have.length(0);
  });

  it("connects when opened and restores the visitor's stored conversation", async () => {
    const token = "visitor-token";
    const threadId = env.backend.seedThread(token, [["Where is my order?", "It shipped yesterday."]]);
    localStorage.setItem(storageKey(env.url, deriveSiteUrl(env.url)), JSON.stringify({ threadId, token }));
    const el = await mount(env.url, "launcher");
    expect(env.backend.clientsMade).to.equal(0);
    expect(el.thread).to.equal(null);
    $<HTMLButtonElement>(el, "[part=launcher]")!.click();
    await until(() => $$(el, ".row").length === 2);
    expect(env.backend.clientsMade).to.equal(1);
    expect(el.thread).to.equal(threadId);
    expect(env.backend.subscriptions("config:get")).to.have.length(1);
  });

  it("newConversation() while closed is kept: opening shows no stored thread, and the token stays", async () => {
    const token = "visitor-token";
    const threadId = env.backend.seedThread(token, [["Where is my order?", "It shipped yesterday."]]);
    const key = storageKey(env.url, deriveSiteUrl(env.url));
    localStorage.setItem(key, JSON.stringify({ threadId, token }));
    const el = await mount(env.url, "launcher");
    el.newConversation();
    await until(() => JSON.parse(localStorage.getItem(key)!).threadId === null);
    expect(env.backend.clientsMade).to.equal(0);
    $<HTMLButtonElement>(el, "[part=launcher]")!.click();
    await until(() => $(el, ".empty") !== null);
    await sleep(50);
    await settle(el);
    expect(el.thread).to.equal(null);
    expect(JSON.parse(localStorage.getItem(key)!)).to.deep.equal({ threadId: null, token });
  });

  it("connects when a prompt is sent from script while closed", async () => {
    const body = controlledBody();
    env.restore();
    env = setup(() => new Response(body.stream, { status: 200 }));
    const el = await mount(env.url, "launcher");
    await sendAndStart(el, "Hello from script");
    expect(env.backend.clientsMade).to.equal(1);
    expect(env.backend.calls.map((c) => c.name)).to.deep.equal(["threads:create", "messages:send"]);
  });
});

describe("a launcher closed again", () => {
  let env: Setup;
  afterEach(() => env.restore());

  it("keeps its connection while the reply the visitor waits for streams, and after it ends until idle", async () => {
    const body = controlledBody();
    env = setup(() => new Response(body.stream, { status: 200 }));
    const el = await mount(env.url, "launcher open");
    const { streamId } = await sendAndStart(el, "Tell me a story");
    el.open = false;
    await settle(el);
    expect(clientRefCount(env.url)).to.equal(1);
    expect(env.backend.subscriptions("messages:live")).to.have.length(1);
    body.push("Once upon a time.");
    env.backend.persist(streamId, "Once upon a time.");
    env.backend.finish(streamId);
    body.close();
    await until(() => el.status === "idle");
    // Idle now, but within the idle time: still connected, so reopening is instant.
    expect(clientRefCount(env.url)).to.equal(1);
    expect(env.backend.clientsClosed).to.equal(0);
  });
});

/** A host that wants its client when `wanted` is set. */
class WantingHost extends LitElement {
  convexUrl = "";
  wanted = false;
}
customElements.define("client-test-host", WantingHost);

describe("ClientController", () => {
  let env: Setup;
  beforeEach(() => (env = setup()));
  afterEach(() => env.restore());

  async function mountHost(idleMs: number) {
    const host = await fixture<WantingHost>(html`<client-test-host></client-test-host>`);
    host.convexUrl = env.url;
    const clients: Array<ChatClient | null> = [];
    const controller = new ClientController(
      host,
      { onClient: (c) => clients.push(c), onError: () => {} },
      { wanted: () => host.wanted, idleMs },
    );
    return { host, controller, clients };
  }

  it("acquires nothing until wanted, then the shared client", async () => {
    const { host, controller, clients } = await mountHost(20);
    controller.sync();
    expect(controller.client).to.equal(null);
    expect(env.backend.clientsMade).to.equal(0);
    host.wanted = true;
    controller.sync();
    expect(controller.client).to.not.equal(null);
    expect(clients).to.have.length(1);
    expect(clientRefCount(env.url)).to.equal(1);
  });

  it("releases the client the idle time after it stopped being wanted, and the pool closes it", async () => {
    const { host, controller, clients } = await mountHost(30);
    host.wanted = true;
    controller.sync();
    host.wanted = false;
    controller.sync();
    expect(clientRefCount(env.url)).to.equal(1);
    await until(() => clientRefCount(env.url) === 0);
    expect(controller.client).to.equal(null);
    expect(clients.at(-1)).to.equal(null);
    expect(env.backend.clientsClosed).to.equal(1);
  });

  it("keeps the client when wanted again within the idle time", async () => {
    const { host, controller } = await mountHost(30);
    host.wanted = true;
    controller.sync();
    host.wanted = false;
    controller.sync();
    await sleep(10);
    host.wanted = true;
    controller.sync();
    await sleep(60);
    expect(clientRefCount(env.url)).to.equal(1);
    expect(env.backend.clientsMade).to.equal(1);
  });

  it("leaves the client open for another element that still uses it", async () => {
    const other = acquireClient(env.url);
    const { host, controller } = await mountHost(10);
    host.wanted = true;
    controller.sync();
    expect(controller.client).to.equal(other);
    host.wanted = false;
    controller.sync();
    await until(() => clientRefCount(env.url) === 1 && controller.client === null);
    expect(env.backend.clientsClosed).to.equal(0);
    releaseClient(env.url);
    expect(env.backend.clientsClosed).to.equal(1);
  });
});
