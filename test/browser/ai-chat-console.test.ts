import { expect, fixture, oneEvent } from "@open-wc/testing";
import { sendKeys, setViewport } from "@web/test-runner-commands";
import { AiChatConsole, consoleStorageKey } from "../../src/console/ai-chat-console.js";
import type { AiChatStream } from "../../src/shell/ai-chat-stream.js";
import { clientRefCount } from "../../src/convex-pool.js";
import type { AiChatConsoleSelectEvent } from "../../src/events.js";
import { until } from "./fake-backend.js";
import { $, $$, replyText, settle, setup, type Setup } from "./helpers.js";

const MINUTE = 60_000;

async function mountConsole(url: string, attrs = ""): Promise<AiChatConsole> {
  const el = await fixture<AiChatConsole>(`<ai-chat-console convex-url="${url}" ${attrs}></ai-chat-console>`);
  await settle(el);
  return el;
}

/** Types the secret into the form and submits it, as an operator would. */
async function submitSecret(el: AiChatConsole, secret: string, { remember = false } = {}): Promise<void> {
  const input = $<HTMLInputElement>(el, "input[type=password]")!;
  input.focus();
  await sendKeys({ type: secret });
  if (remember) $<HTMLInputElement>(el, "input[type=checkbox]")!.checked = true;
  $<HTMLButtonElement>(el, "[part=sign-in-button]")!.click();
  await settle(el);
}

async function signedIn(env: Setup, attrs = ""): Promise<AiChatConsole> {
  const el = await mountConsole(env.url, attrs);
  await submitSecret(el, env.backend.operatorSecret);
  expect(el.phase).to.equal("signed-in");
  return el;
}

const titles = (el: AiChatConsole) => $$(el, "[part~=thread] .row-title").map((n) => n.textContent);
const row = (el: AiChatConsole, title: string) =>
  $$<HTMLButtonElement>(el, "[part~=thread]").find((b) => b.querySelector(".row-title")!.textContent === title)!;

/**
 * Every string a page script can read: attribute values, own properties (and one level into
 * objects and arrays they hold) of every element and shadow root in the document, shadow roots
 * included, and every value in localStorage and sessionStorage.
 */
function pageReadableStrings(): string[] {
  const out: string[] = [];
  const take = (v: unknown, depth: number) => {
    if (typeof v === "string") out.push(v);
    else if (depth > 0 && v && typeof v === "object" && !(v instanceof Node)) {
      for (const k of Object.getOwnPropertyNames(v)) {
        try {
          take((v as Record<string, unknown>)[k], depth - 1);
        } catch {
          // a throwing getter holds nothing readable
        }
      }
    }
  };
  const walk = (root: Document | ShadowRoot) => {
    for (const node of [root, ...root.querySelectorAll("*")]) {
      take(node, 2);
      if (node instanceof Element) {
        for (const a of node.attributes) out.push(a.value);
        if (node instanceof HTMLInputElement) out.push(node.value);
        if (node.shadowRoot) walk(node.shadowRoot);
      }
    }
  };
  walk(document);
  for (const storage of [localStorage, sessionStorage]) {
    for (let i = 0; i < storage.length; i++) out.push(storage.key(i)!, storage.getItem(storage.key(i)!)!);
  }
  return out;
}

/** Every attribute value of every element in the document, shadow roots included. */
function allAttributeValues(root: Document | ShadowRoot = document): string[] {
  const values: string[] = [];
  for (const node of root.querySelectorAll("*")) {
    for (const attr of node.attributes) values.push(attr.value);
    if (node.shadowRoot) values.push(...allAttributeValues(node.shadowRoot));
  }
  return values;
}

describe("<ai-chat-console> sign-in", () => {
  let env: Setup;
  beforeEach(() => (env = setup()));
  afterEach(() => env.restore());

  it("asks for the operator secret in a labelled password field and lists nothing before sign-in", async () => {
    env.backend.seedThread("v", [["Hello", "Hi"]]);
    const el = await mountConsole(env.url);
    const input = $<HTMLInputElement>(el, "input[part=secret-input]")!;
    expect(input.type).to.equal("password");
    expect(input.closest("label")!.textContent).to.contain("Operator secret");
    expect($(el, "[part=list]")).to.equal(null);
    expect(env.backend.subscriptions("operator:listThreads")).to.have.length(0);
    expect(el.phase).to.equal("signed-out");
  });

  it("lists the threads once the operator signs in with the secret", async () => {
    env.backend.seedThread("v1", [["Where is my order?", "Let me check."]], { lastMessageAt: Date.now() - 5 * MINUTE });
    env.backend.seedThread("v2", [["Refund policy", "30 days."]], { lastMessageAt: Date.now() - 2 * 3600_000 });
    const el = await signedIn(env);
    expect(titles(el)).to.deep.equal(["Where is my order?", "Refund policy"]);
    const first = row(el, "Where is my order?");
    expect(first.querySelector("time")!.textContent).to.equal("5 minutes ago");
    expect(first.querySelector("[part~=status]")!.textContent).to.equal("Idle");
    expect(row(el, "Refund policy").querySelector("time")!.textContent).to.equal("2 hours ago");
    expect($(el, "input[type=password]")).to.equal(null);
  });

  it("shows UNAUTHORIZED from a wrong secret as an error in the form and stays signed out", async () => {
    env.backend.seedThread("v", [["Hello", "Hi"]]);
    const el = await mountConsole(env.url);
    await submitSecret(el, "not-the-secret");
    await until(() => el.phase === "signed-out" && $(el, "[part=form-error]"));
    const error = $(el, "[part=form-error]")!;
    expect(error.getAttribute("role")).to.equal("alert");
    expect(error.textContent).to.equal("That operator secret was not accepted.");
    expect($(el, "input[type=password]")!.getAttribute("aria-invalid")).to.equal("true");
    expect($(el, "[part=list]")).to.equal(null);
    expect(env.backend.subscriptions("operator:listThreads")).to.have.length(0);
  });

  it("signs in again after a wrong secret, clearing the error", async () => {
    const el = await mountConsole(env.url);
    await submitSecret(el, "wrong");
    await until(() => $(el, "[part=form-error]"));
    expect(await el.signIn(env.backend.operatorSecret)).to.equal(true);
    await settle(el);
    expect(el.phase).to.equal("signed-in");
    expect($(el, "[part=form-error]")).to.equal(null);
  });

  it("never puts the secret in an attribute, in the page or in any shadow root, nor leaves it in the field", async () => {
    const threadId = env.backend.seedThread("v", [["Hello", "Hi there"]]);
    const el = await mountConsole(env.url);
    const input = $<HTMLInputElement>(el, "input[type=password]")!;
    await submitSecret(el, env.backend.operatorSecret);
    expect(input.value).to.equal("");
    row(el, "Hello").click();
    await settle(el);
    const chat = $<AiChatStream>(el, "ai-chat-stream")!;
    await settle(chat);
    expect(chat.thread).to.equal(threadId);
    const leaks = allAttributeValues().filter((v) => v.includes(env.backend.operatorSecret));
    expect(leaks).to.deep.equal([]);
    expect(el.outerHTML + el.shadowRoot!.innerHTML).not.to.contain(env.backend.operatorSecret);
    expect(pageReadableStrings().filter((v) => v.includes(env.backend.operatorSecret))).to.deep.equal([]);
    // What the embedded chat holds is the session token, not the secret.
    expect(chat.observerToken).to.equal([...env.backend.operatorSessions][0]);
  });

  it("after sign-in (remembered), the secret is in no attribute, property or storage a page script can read", async () => {
    env.backend.seedThread("v", [["Hello", "Hi"]]);
    const el = await mountConsole(env.url);
    await submitSecret(el, env.backend.operatorSecret, { remember: true });
    row(el, "Hello").click();
    await settle(el);
    await settle($<AiChatStream>(el, "ai-chat-stream")!);
    const found = pageReadableStrings();
    expect(found.length).to.be.greaterThan(50); // the walk does reach the elements' properties and storage
    expect(found.filter((v) => v.includes(env.backend.operatorSecret))).to.deep.equal([]);
  });

  it("keeps the secret out of storage unless 'Remember for this tab' is ticked", async () => {
    await signedIn(env);
    expect(sessionStorage.getItem(consoleStorageKey(env.url))).to.equal(null);
    expect(Object.values(localStorage).some((v) => v.includes(env.backend.operatorSecret))).to.equal(false);
  });

  it("remembers only the session token for the tab when asked, so a reloaded console signs itself in", async () => {
    env.backend.seedThread("v", [["Hello", "Hi"]]);
    const first = await mountConsole(env.url);
    await submitSecret(first, env.backend.operatorSecret, { remember: true });
    expect(sessionStorage.getItem(consoleStorageKey(env.url))).to.equal([...env.backend.operatorSessions][0]);
    first.remove();
    const second = await mountConsole(env.url);
    await until(() => second.phase === "signed-in");
    await settle(second);
    expect(titles(second)).to.deep.equal(["Hello"]);
  });

  it("signs out: forgets the secret, closes the thread, unsubscribes and focuses the secret field", async () => {
    env.backend.seedThread("v", [["Hello", "Hi"]]);
    const el = await mountConsole(env.url);
    await submitSecret(el, env.backend.operatorSecret, { remember: true });
    row(el, "Hello").click();
    await settle(el);
    $<HTMLButtonElement>(el, "[part=sign-out-button]")!.click();
    await settle(el);
    expect(el.phase).to.equal("signed-out");
    expect(el.thread).to.equal(null);
    expect($(el, "ai-chat-stream")).to.equal(null);
    expect(env.backend.subscriptions("operator:listThreads")).to.have.length(0);
    expect(env.backend.subscriptions("messages:live")).to.have.length(0);
    expect(sessionStorage.getItem(consoleStorageKey(env.url))).to.equal(null);
    expect(env.backend.operatorSessions.size).to.equal(0); // revoked on the deployment
    expect(el.shadowRoot!.activeElement).to.equal($(el, "input[type=password]"));
  });

  it("drops back to the form with a message when the session stops being accepted (expired or revoked)", async () => {
    const el = await signedIn(env);
    env.backend.operatorSessions.clear();
    env.backend.flush();
    await until(() => el.phase === "signed-out");
    await settle(el);
    expect($(el, "[part=form-error]")!.textContent).to.equal("Your operator session has ended. Sign in again.");
  });

  it("says so in the form when convex-url is not a deployment URL, instead of throwing", async () => {
    env.restore(); // the real ConvexClient, which refuses such a URL
    const el = await mountConsole("not-a-url");
    expect($(el, "[part=form-error]")!.textContent).to.contain("convex-url is not a deployment URL: not-a-url");
    expect(el.phase).to.equal("signed-out");
  });

  it("shares one client per deployment with the embedded chat and releases it when removed", async () => {
    env.backend.seedThread("v", [["Hello", "Hi"]]);
    const el = await signedIn(env);
    row(el, "Hello").click();
    await settle(el);
    expect(clientRefCount(env.url)).to.equal(2);
    expect(env.backend.clientsMade).to.equal(1);
    el.remove();
    expect(clientRefCount(env.url)).to.equal(0);
  });
});

describe("<ai-chat-console> thread list", () => {
  let env: Setup;
  beforeEach(() => (env = setup()));
  afterEach(() => env.restore());

  it("lists threads with a reply streaming first, then by newest activity", async () => {
    const now = Date.now();
    env.backend.seedThread("a", [], { title: "Newest idle", lastMessageAt: now - MINUTE });
    const older = env.backend.seedThread("b", [], { title: "Older, streaming", lastMessageAt: now - 60 * MINUTE });
    env.backend.seedThread("c", [], { title: "Oldest idle", lastMessageAt: now - 120 * MINUTE });
    const el = await signedIn(env);
    expect(titles(el)).to.deep.equal(["Newest idle", "Older, streaming", "Oldest idle"]);

    env.backend.seedActiveReply(older, "Still there?");
    await until(() => titles(el)[0] === "Older, streaming");
    const live = row(el, "Older, streaming").querySelector("[part~=status]")!;
    expect(live.textContent).to.equal("Live");
    expect(live.getAttribute("part")).to.equal("status streaming");
  });

  it("shows a title stored with bidi overrides and control characters as plain text, in the row and the header", async () => {
    // Stored before titles were cleaned on the server: U+202E would make "gnp.exe" read "exe.png".
    env.backend.seedThread("a", [], { title: "invoice\u202egnp.exe\u202c\u0007 \u2066ok\u2069\u200f" });
    const el = await signedIn(env);
    expect(titles(el)).to.deep.equal(["invoicegnp.exe ok"]);
    const title = $(el, "[part~=thread] .row-title")!;
    expect(title.getAttribute("dir")).to.equal("auto");
    row(el, "invoicegnp.exe ok").click();
    await settle(el);
    const chat = $<AiChatStream>(el, "ai-chat-stream")!;
    await settle(chat);
    expect($(chat, "[part=header] h2")!.textContent).to.equal("invoicegnp.exe ok");
  });

  it("shows a new thread at the top as soon as it starts", async () => {
    env.backend.seedThread("a", [], { title: "Earlier", lastMessageAt: Date.now() - MINUTE });
    const el = await signedIn(env);
    expect(titles(el)).to.deep.equal(["Earlier"]);
    env.backend.seedThread("b", [["Brand new question", "Answer"]]);
    env.backend.flush();
    await until(() => titles(el).length === 2);
    expect(titles(el)).to.deep.equal(["Brand new question", "Earlier"]);
    expect(row(el, "Brand new question").querySelector("time")!.textContent).to.equal("just now");
  });

  it("fetches the next page with Load more and hides the button after the last page", async () => {
    const now = Date.now();
    for (let i = 0; i < 7; i++)
      env.backend.seedThread(`v${i}`, [], { title: `Thread ${i}`, lastMessageAt: now - i * MINUTE });
    const el = await signedIn(env, `page-size="3"`);
    expect(titles(el)).to.deep.equal(["Thread 0", "Thread 1", "Thread 2"]);
    const more = () => $<HTMLButtonElement>(el, "[part=load-more-button]");
    more()!.click();
    await until(() => titles(el).length === 6);
    expect(titles(el).slice(3)).to.deep.equal(["Thread 3", "Thread 4", "Thread 5"]);
    more()!.click();
    await until(() => titles(el).length === 7);
    await settle(el);
    expect(more()).to.equal(null);
    const pages = env.backend
      .subscriptions("operator:listThreads")
      .map((s) => (s.args.paginationOpts as { numItems: number }).numItems);
    expect(pages).to.deep.equal([3, 3, 3]);
  });

  it("loses no thread between pages when a new one pushes the first page down", async () => {
    const now = Date.now();
    for (let i = 0; i < 6; i++)
      env.backend.seedThread(`v${i}`, [], { title: `Thread ${i}`, lastMessageAt: now - (i + 1) * MINUTE });
    const el = await signedIn(env, `page-size="3"`);
    $<HTMLButtonElement>(el, "[part=load-more-button]")!.click();
    await until(() => titles(el).length === 6);
    env.backend.seedThread("new", [], { title: "Newcomer", lastMessageAt: now });
    env.backend.flush();
    await until(() => titles(el)[0] === "Newcomer");
    await settle(el);
    expect(titles(el)).to.deep.equal([
      "Newcomer",
      "Thread 0",
      "Thread 1",
      "Thread 2",
      "Thread 3",
      "Thread 4",
      "Thread 5",
    ]);
  });

  it("moves a thread from a later page to the top when it starts streaming, and shows it once", async () => {
    const now = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 6; i++)
      ids.push(env.backend.seedThread(`v${i}`, [], { title: `Thread ${i}`, lastMessageAt: now - (i + 1) * MINUTE }));
    const el = await signedIn(env, `page-size="3"`);
    $<HTMLButtonElement>(el, "[part=load-more-button]")!.click();
    await until(() => titles(el).length === 6);
    env.backend.seedActiveReply(ids[4]!, "Help!");
    await until(() => titles(el)[0] === "Thread 4");
    await settle(el);
    expect(titles(el)).to.deep.equal(["Thread 4", "Thread 0", "Thread 1", "Thread 2", "Thread 3", "Thread 5"]);
  });

  it("shows an empty state when there are no threads", async () => {
    const el = await signedIn(env);
    expect($(el, "[part=list]")).to.equal(null);
    expect($(el, ".empty")!.textContent).to.contain("No conversations yet");
    expect($(el, "[part=load-more-button]")).to.equal(null);
    expect($(el, ".placeholder")!.textContent).to.contain("Select a conversation");
  });

  it("uses the strings property for its text", async () => {
    const el = await mountConsole(env.url);
    el.strings = { signIn: "Anmelden", secretLabel: "Betreiber-Geheimnis" };
    await settle(el);
    expect($(el, "[part=sign-in-button]")!.textContent!.trim()).to.equal("Anmelden");
    expect($(el, "[part=secret-input]")!.closest("label")!.textContent).to.contain("Betreiber-Geheimnis");
  });

  it("keeps hundreds of threads in order as they change live", async () => {
    const now = Date.now();
    for (let i = 0; i < 300; i++)
      env.backend.seedThread(`v${i}`, [], { title: `Thread ${i}`, lastMessageAt: now - i * 1000 });
    const el = await signedIn(env, `page-size="100"`);
    for (let n = 200; n <= 300; n += 100) {
      $<HTMLButtonElement>(el, "[part=load-more-button]")!.click();
      await until(() => titles(el).length === n);
    }
    // A thread deep in the list starts streaming: it moves to the top, nothing is lost or doubled.
    // (How fast that re-render is belongs in `npm run bench`, not in a timed test.)
    const target = [...env.backend.threads.values()][150]!._id;
    env.backend.seedActiveReply(target, "Urgent");
    await until(() => titles(el)[0] === "Urgent" || titles(el)[0] === "Thread 150", 2000);
    await el.updateComplete;
    expect(titles(el)).to.have.length(300);
    expect(new Set(titles(el)).size).to.equal(300);
  });
});

describe("<ai-chat-console> observing a thread", () => {
  let env: Setup;
  beforeEach(() => (env = setup()));
  afterEach(() => env.restore());

  it("opens the selected thread in a read-only observer view with its messages", async () => {
    const threadId = env.backend.seedThread("v", [["What are your hours?", "We are open 9 to 5."]]);
    env.backend.seedThread("w", [["Other question", "Other answer"]], { lastMessageAt: Date.now() - MINUTE });
    const el = await signedIn(env);
    const button = row(el, "What are your hours?");
    setTimeout(() => button.click());
    const event = (await oneEvent(el, "ai-chat-console-select")) as AiChatConsoleSelectEvent;
    expect(event.threadId).to.equal(threadId);
    await settle(el);
    expect(el.thread).to.equal(threadId);
    expect(button.getAttribute("aria-current")).to.equal("true");
    expect(button.getAttribute("part")).to.equal("thread selected");
    expect(row(el, "Other question").hasAttribute("aria-current")).to.equal(false);

    const chat = $<AiChatStream>(el, "ai-chat-stream")!;
    await until(() => replyText(chat) === "We are open 9 to 5.");
    expect(chat.mode).to.equal("observe");
    expect($(chat, ".row.user .bubble")!.textContent).to.contain("What are your hours?");
    expect($(chat, "[part=composer]")).to.equal(null);
    expect($(chat, "[part=header] h2")!.textContent).to.equal("What are your hours?");
    const pages = env.backend.reads.filter((r) => r.name === "messages:list");
    expect(pages.map((r) => r.args)).to.deep.equal([{ threadId, token: [...env.backend.operatorSessions][0] }]);
    const live = env.backend.subscriptions("messages:live");
    expect(live.map((s) => [s.args.threadId, s.args.token])).to.deep.equal([
      [threadId, [...env.backend.operatorSessions][0]],
    ]);
  });

  it("follows a reply streaming in the observed thread", async () => {
    const threadId = env.backend.seedThread("v", [["First", "One"]]);
    const el = await signedIn(env);
    row(el, "First").click();
    await settle(el);
    const { streamId } = env.backend.seedActiveReply(threadId, "Second");
    env.backend.persist(streamId, "Two, ");
    env.backend.persist(streamId, "live.");
    const chat = $<AiChatStream>(el, "ai-chat-stream")!;
    await until(() => replyText(chat) === "Two, live.");
    await until(() => row(el, "First").querySelector("[part~=status]")!.textContent === "Live");
    env.backend.finish(streamId);
    await until(() => row(el, "First").querySelector("[part~=status]")!.textContent === "Idle");
  });

  it("switches the observer view to another thread", async () => {
    env.backend.seedThread("v", [["Alpha", "Reply A"]]);
    const beta = env.backend.seedThread("w", [["Beta", "Reply B"]], { lastMessageAt: Date.now() - MINUTE });
    const el = await signedIn(env);
    row(el, "Alpha").click();
    await settle(el);
    const chat = $<AiChatStream>(el, "ai-chat-stream")!;
    await until(() => replyText(chat) === "Reply A");
    row(el, "Beta").click();
    await settle(el);
    expect(chat.thread).to.equal(beta);
    await until(() => replyText(chat) === "Reply B");
    expect($$(chat, ".row.user")).to.have.length(1);
  });
});

describe("<ai-chat-console> keyboard", () => {
  let env: Setup;
  beforeEach(() => (env = setup()));
  afterEach(() => env.restore());

  it("moves between rows with the arrow keys (one Tab stop) and opens one with Enter", async () => {
    const now = Date.now();
    for (let i = 0; i < 4; i++)
      env.backend.seedThread(`v${i}`, [[`Question ${i}`, `Answer ${i}`]], { lastMessageAt: now - i * MINUTE });
    const el = await signedIn(env);
    const rows = () => $$<HTMLButtonElement>(el, "[part~=thread]");
    expect(rows().map((r) => r.tabIndex)).to.deep.equal([0, -1, -1, -1]);

    rows()[0]!.focus();
    await sendKeys({ press: "ArrowDown" });
    await sendKeys({ press: "ArrowDown" });
    await settle(el);
    expect(el.shadowRoot!.activeElement).to.equal(rows()[2]);
    expect(rows().map((r) => r.tabIndex)).to.deep.equal([-1, -1, 0, -1]);
    await sendKeys({ press: "ArrowUp" });
    await settle(el);
    expect(el.shadowRoot!.activeElement).to.equal(rows()[1]);
    await sendKeys({ press: "Enter" });
    await settle(el);
    expect(rows()[1]!.getAttribute("aria-current")).to.equal("true");
    expect(el.thread).to.equal([...env.backend.threads.keys()][1]);
    await sendKeys({ press: "End" });
    await settle(el);
    expect(el.shadowRoot!.activeElement).to.equal(rows()[3]);
    await sendKeys({ press: "Home" });
    await settle(el);
    expect(el.shadowRoot!.activeElement).to.equal(rows()[0]);
  });

  it("signs in from the keyboard: type the secret, press Enter", async () => {
    const el = await mountConsole(env.url);
    $<HTMLInputElement>(el, "input[type=password]")!.focus();
    await sendKeys({ type: env.backend.operatorSecret });
    await sendKeys({ press: "Enter" });
    await until(() => el.phase === "signed-in");
  });
});

describe("<ai-chat-console> layout and accessibility", () => {
  let env: Setup;
  beforeEach(() => (env = setup()));
  afterEach(async () => {
    env.restore();
    await setViewport({ width: 800, height: 600 });
  });

  it("is accessible signed out, with an error in the form", async () => {
    const el = await mountConsole(env.url);
    await expect(el).to.be.accessible();
    await submitSecret(el, "wrong");
    await until(() => $(el, "[part=form-error]"));
    await expect(el).to.be.accessible();
  });

  it("is accessible signed in with a thread open, in dark theme", async () => {
    const threadId = env.backend.seedThread("v", [["Hello", "Hi"]]);
    env.backend.seedActiveReply(env.backend.seedThread("w", [], { title: "Streaming one" }), "Now");
    const el = await signedIn(env, `theme="dark"`);
    row(el, "Hello").click();
    await settle(el);
    await settle($<AiChatStream>(el, "ai-chat-stream")!);
    expect(el.thread).to.equal(threadId);
    await expect(el).to.be.accessible();
  });

  it("is accessible signed in with no threads", async () => {
    const el = await signedIn(env);
    await expect(el).to.be.accessible();
  });

  it("puts the list beside the conversation when wide, above it when narrow, and shows the thread alone on a phone", async () => {
    env.backend.seedThread("v", [["Hello", "Hi"]]);
    await setViewport({ width: 1000, height: 800 });
    const el = await signedIn(env);
    el.style.width = "900px";
    row(el, "Hello").click();
    await settle(el);
    let list = $(el, "[part=sidebar]")!.getBoundingClientRect();
    let viewer = $(el, "[part=viewer]")!.getBoundingClientRect();
    expect(viewer.left).to.be.at.least(list.right - 1);
    expect(Math.abs(viewer.top - list.top)).to.be.below(2);

    await setViewport({ width: 620, height: 700 });
    el.style.width = "100%";
    await settle(el);
    list = $(el, "[part=sidebar]")!.getBoundingClientRect();
    viewer = $(el, "[part=viewer]")!.getBoundingClientRect();
    expect(viewer.top).to.be.at.least(list.bottom - 1);
    expect(Math.abs(viewer.left - list.left)).to.be.below(2);

    // A phone: the open thread under the header alone; its back button (console-thread-actions.test.ts) returns to the list.
    await setViewport({ width: 375, height: 700 });
    await settle(el);
    expect(getComputedStyle($(el, "[part=list]")!).display).to.equal("none");
    expect($(el, "[part=filter]")!.checkVisibility()).to.equal(false);
    expect(getComputedStyle($(el, "[part=back-button]")!).display).to.not.equal("none");
  });
});

/** Mounts a console in `parent` (any node, a shadow root included) and signs it in. */
async function signedInWithin(env: Setup, parent: Node): Promise<AiChatConsole> {
  const el = document.createElement("ai-chat-console");
  el.convexUrl = env.url;
  parent.appendChild(el);
  await settle(el);
  await submitSecret(el, env.backend.operatorSecret);
  expect(el.phase).to.equal("signed-in");
  return el;
}

const age = (el: AiChatConsole) => $(el, "[part~=thread] time")!.textContent;

/**
 * Lets a test fire the page's live intervals by hand: records every interval set (and forgets
 * cleared ones) from now on; `fire(ms)` runs the live ones of that period once.
 */
function manualIntervals(): { fire(ms: number): void; restore(): void } {
  const live = new Map<number, { fn: () => void; ms: number }>();
  const realSet = window.setInterval;
  const realClear = window.clearInterval;
  window.setInterval = ((fn: () => void, ms: number) => {
    const id = realSet(fn, ms);
    live.set(id, { fn, ms });
    return id;
  }) as typeof window.setInterval;
  window.clearInterval = ((id: number) => {
    live.delete(id);
    realClear(id);
  }) as typeof window.clearInterval;
  return {
    fire: (ms) => [...live.values()].filter((t) => t.ms === ms).forEach((t) => t.fn()),
    restore: () => {
      window.setInterval = realSet;
      window.clearInterval = realClear;
    },
  };
}

describe("<ai-chat-console> ages and locale", () => {
  let env: Setup;
  beforeEach(() => (env = setup()));
  afterEach(() => env.restore());

  it("writes ages in the language of the closest [lang] ancestor, and follows it when it changes", async () => {
    env.backend.seedThread("v", [["Hallo", "Hi"]], { lastMessageAt: Date.now() - 5 * MINUTE });
    const wrapper = await fixture<HTMLDivElement>(`<div lang="de"></div>`);
    const el = await signedInWithin(env, wrapper);
    expect(age(el)).to.equal("vor 5 Minuten");
    wrapper.lang = "fr";
    await settle(el);
    expect(age(el)).to.equal("il y a 5 minutes");
  });

  it("takes the language of an ancestor outside the shadow root it is rendered in", async () => {
    env.backend.seedThread("v", [["Hola", "Hi"]], { lastMessageAt: Date.now() - 5 * MINUTE });
    const outer = await fixture<HTMLDivElement>(`<div lang="es"><section></section></div>`);
    const shadow = outer.querySelector("section")!.attachShadow({ mode: "open" });
    const el = await signedInWithin(env, shadow);
    expect(age(el)).to.equal("hace 5 minutos");
  });

  it("keeps the ages ticking after a signed-in console is moved in the DOM", async () => {
    const realNow = Date.now;
    const timers = manualIntervals();
    try {
      env.backend.seedThread("v", [["Hello", "Hi"]], { lastMessageAt: realNow() - 5 * MINUTE });
      const el = await signedIn(env);
      expect(age(el)).to.equal("5 minutes ago");
      const elsewhere = await fixture<HTMLDivElement>(`<div></div>`);
      elsewhere.append(el);
      await settle(el);
      Date.now = () => realNow() + 2 * MINUTE;
      timers.fire(30_000);
      await settle(el);
      expect(age(el)).to.equal("7 minutes ago");
    } finally {
      Date.now = realNow;
      timers.restore();
    }
  });

  it("stops its clock when removed from the page", async () => {
    const timers = manualIntervals();
    try {
      const el = await signedIn(env);
      let ticks = 0;
      const realRequest = el.requestUpdate.bind(el);
      el.requestUpdate = (...args: Parameters<typeof el.requestUpdate>) => (ticks++, realRequest(...args));
      el.remove();
      timers.fire(30_000);
      expect(ticks).to.equal(0);
    } finally {
      timers.restore();
    }
  });
});

describe("<ai-chat-console> parts", () => {
  let env: Setup;
  beforeEach(() => (env = setup()));
  afterEach(() => env.restore());

  it("forwards the embedded chat's parts, prefixed chat-, so the page can style them", async () => {
    env.backend.seedThread("v", [["What are your hours?", "We are open 9 to 5."]]);
    const el = await signedIn(env);
    row(el, "What are your hours?").click();
    await settle(el);
    const chat = $<AiChatStream>(el, "ai-chat-stream")!;
    await settle(chat);
    const style = document.createElement("style");
    document.head.append(style);
    try {
      for (const part of ["panel", "header", "messages", "message", "user", "assistant"]) {
        style.textContent = `ai-chat-console::part(chat-${part}) { outline-offset: 7px; }`;
        const inner = chat.shadowRoot!.querySelector(`[part~=${part}]`)!;
        expect(getComputedStyle(inner).outlineOffset, part).to.equal("7px");
      }
    } finally {
      style.remove();
    }
  });
});
