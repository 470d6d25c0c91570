// What a person does with the widget, and what a test reads back, in one place.
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Frame, Page } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import type { MessageView } from "../../src/api.ts";
import { OPERATOR_SECRET, ROOT, type System } from "./harness.ts";

export { OPERATOR_SECRET };
export const ARTIFACTS = join(ROOT, "test-artifacts");
mkdirSync(ARTIFACTS, { recursive: true });

export type RecordedEvent = {
  type: string;
  threadId?: string;
  streamId?: string;
  driven?: boolean;
  status?: string;
  text?: string;
  code?: string;
  message?: string;
  state?: string;
  operatorName?: string;
  messageId?: string;
  rating?: string | null;
  comment?: string | null;
};

const listMessages = makeFunctionReference<"query", { threadId: string; token?: string }, MessageView[]>(
  "messages:list",
);

const signIn = makeFunctionReference<
  "mutation",
  { secret: string; name: string },
  { ok: boolean; sessionToken?: string }
>("operator:signIn");
const sessions = new WeakMap<System, Promise<string>>();

/** An operator session for the tests' own reads (signed in once per system). */
function operatorSession(system: System): Promise<string> {
  let session = sessions.get(system);
  if (!session) {
    session = new ConvexHttpClient(system.convexUrl)
      .mutation(signIn, { secret: OPERATOR_SECRET, name: "e2e" })
      .then((r) => {
        if (!r.ok || !r.sessionToken) throw new Error("operator sign-in failed");
        return r.sessionToken;
      });
    sessions.set(system, session);
  }
  return session;
}

/**
 * Starts a system before the enclosing suite's tests and closes it after them. Returns a getter
 * rather than the system itself, which does not exist until `beforeAll` has run.
 */
export function useSystem<S extends System>(start: () => Promise<S>): () => S {
  let system: S | undefined;
  beforeAll(async () => {
    system = await start();
  });
  afterAll(async () => {
    await system?.close();
  });
  return () => {
    if (!system) throw new Error("useSystem: the system is started in beforeAll; call the getter inside a test");
    return system;
  };
}

/** The transcript as the database has it (read with an operator session). */
export async function persisted(system: System, threadId: string): Promise<MessageView[]> {
  return new ConvexHttpClient(system.convexUrl).query(listMessages, { threadId, token: await operatorSession(system) });
}

/** Plain sentences with no Markdown syntax, so rendered text equals raw text. */
export function plainReply(words: number, seed = 1): string {
  const vocabulary = [
    "stream",
    "reply",
    "token",
    "observer",
    "driver",
    "backend",
    "widget",
    "cursor",
    "flush",
    "text",
    "answer",
    "chunk",
  ];
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    let word = vocabulary[(i * 7 + seed * 3) % vocabulary.length] + String(i);
    if (i % 9 === 8) word += ".";
    out.push(word);
  }
  return out.join(" ").replace(/\.?$/, ".");
}

export const collapse = (s: string) => s.replace(/\s+/g, " ").trim();

export async function openChat(system: System, context?: BrowserContext, page = "/pages/chat.html"): Promise<Page> {
  const p = await (context ?? (await system.browser.newContext())).newPage();
  recordProblems(p);
  p.on("dialog", (d) => {
    throw new Error(`Unexpected ${d.type()} dialog: ${d.message()}`);
  });
  await p.goto(system.origin + page);
  await p.locator("ai-chat-stream").first().waitFor();
  return p;
}

/** Types into the composer and presses Enter, as a visitor would. */
export async function sendPrompt(page: Page | Frame, prompt: string): Promise<void> {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(prompt);
  await box.press("Enter");
}

export async function events(page: Page | Frame, type?: string): Promise<RecordedEvent[]> {
  const all = (await page.evaluate(() => (window as unknown as { __events: RecordedEvent[] }).__events)) ?? [];
  return type ? all.filter((e) => e.type === type) : all;
}

/** Waits for the `n`th `ai-chat-stream-end` event (1-based) and returns it. */
export async function waitForEnd(page: Page | Frame, n = 1, timeout = 30_000): Promise<RecordedEvent> {
  try {
    await page.waitForFunction(
      (count) =>
        (window as unknown as { __events: RecordedEvent[] }).__events.filter((e) => e.type === "ai-chat-stream-end")
          .length >= count,
      n,
      { timeout },
    );
  } catch (e) {
    // A reply that never ends says nothing by itself; what the page saw says why (CI shows only this).
    throw new Error(`no ai-chat-stream-end #${n} within ${timeout} ms. ${await whatThePageSaw(page)}`, { cause: e });
  }
  return (await events(page, "ai-chat-stream-end"))[n - 1];
}

const pageProblems = new WeakMap<Page, string[]>();

/** Keeps the page's uncaught errors, console errors and failed requests, for `whatThePageSaw`. */
function recordProblems(page: Page): void {
  const problems: string[] = [];
  pageProblems.set(page, problems);
  const keep = (line: string) => problems.push(line.slice(0, 300));
  page.on("pageerror", (e) => keep(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    // "Failed to load resource" repeats what the request listeners below record, with no URL.
    if ((m.type() === "error" || m.type() === "warning") && !m.text().startsWith("Failed to load resource"))
      keep(`console.${m.type()}: ${m.text()}`);
  });
  page.on("requestfailed", (r) => keep(`request failed: ${r.method()} ${r.url()} (${r.failure()?.errorText})`));
  page.on("response", (r) => {
    if (r.status() >= 400) keep(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
}

/** The widget's events, its status line and the page's problems, for a failure message. */
export async function whatThePageSaw(page: Page | Frame): Promise<string> {
  const seen = await page
    .evaluate(() => {
      const root = document.querySelector("ai-chat-stream")?.shadowRoot;
      const shown = [...(root?.children ?? [])].map((c) => (c as HTMLElement).innerText ?? "").join(" ");
      const status = shown.replace(/\s+/g, " ").trim().slice(-300);
      const recorded = (window as unknown as { __events?: RecordedEvent[] }).__events ?? [];
      return { status, recorded };
    })
    .catch((e: unknown) => ({ status: `(page unreadable: ${String(e)})`, recorded: [] as RecordedEvent[] }));
  const eventLines = seen.recorded.map((e) =>
    [e.type, e.status, e.code, e.message, e.driven === undefined ? undefined : `driven=${e.driven}`]
      .filter((part) => part !== undefined && part !== "")
      .join(" "),
  );
  const owner = "page" in page ? page.page() : page;
  const problems = pageProblems.get(owner) ?? [];
  return [
    `The widget shows (its end): ${JSON.stringify(seen.status)}.`,
    `Events: ${eventLines.length ? eventLines.join("; ") : "none"}.`,
    `Page problems: ${problems.length ? problems.slice(-15).join(" | ") : "none"}.`,
  ].join(" ");
}

/** Visible text of each reply bubble in the first widget on the page/frame. */
export async function visibleReplies(page: Page | Frame, host = "ai-chat-stream"): Promise<string[]> {
  return page
    .locator(`${host} .row.assistant .bubble.markdown`)
    .evaluateAll((bubbles) =>
      bubbles.map((b) => (window as unknown as { __replyText(b: Element): string }).__replyText(b)),
    );
}

export async function waitForReplyText(page: Page | Frame, minChars: number, host = "ai-chat-stream"): Promise<string> {
  await expect
    .poll(async () => ((await visibleReplies(page, host)).at(-1) ?? "").length, { timeout: 20_000 })
    .toBeGreaterThanOrEqual(minChars);
  return (await visibleReplies(page, host)).at(-1)!;
}

/**
 * Every rendered state of the last reply, per animation frame (recorded by pages/record.js).
 * Asserts it only ever grew: each state extends the previous one (no shrink, no flicker to
 * empty, no doubled text).
 */
export async function expectReplyOnlyGrew(page: Page | Frame, index = -1): Promise<string[]> {
  const samples = (await page.evaluate(() => (window as unknown as { __samples: string[][] }).__samples)) as string[][];
  const states = samples.map((s) => s.at(index)).filter((s): s is string => s !== undefined && s !== "");
  expect(states.length).toBeGreaterThan(1);
  for (let i = 1; i < states.length; i++) {
    if (!states[i].startsWith(states[i - 1])) {
      throw new Error(
        `reply text did not only grow: frame ${i - 1} "${states[i - 1].slice(-60)}" -> frame ${i} "${states[i].slice(-60)}"`,
      );
    }
  }
  return states;
}

export async function threadOf(page: Page | Frame): Promise<string> {
  const id = await page.locator("ai-chat-stream").first().getAttribute("thread");
  if (!id) throw new Error("the widget has no thread yet");
  return id;
}

export async function shareToken(page: Page | Frame): Promise<string> {
  return page.evaluate(() =>
    (document.querySelector("ai-chat-stream") as unknown as { shareToken(): Promise<string> }).shareToken(),
  );
}

export async function openObserver(system: System, threadId: string, observerToken: string): Promise<Page> {
  const page = await (await system.browser.newContext()).newPage();
  await page.goto(
    `${system.origin}/pages/observe.html#${new URLSearchParams({ thread: threadId, token: observerToken })}`,
  );
  return page;
}
