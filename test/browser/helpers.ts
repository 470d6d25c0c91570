import { fixture, oneEvent } from "@open-wc/testing";
import { setClientFactory } from "../../src/convex-pool.js";
import type { AiChatStream } from "../../src/shell/ai-chat-stream.js";
import type { AiChatStreamStartEvent } from "../../src/events.js";
import "../../src/ai-chat-console-define.js";
import { loadChatView } from "../../src/shell/load-chat-view.js";
import { FakeBackend, stubFetch, type FetchCall } from "./fake-backend.js";

// The chat's code is here before any element mounts, as after a hover: elements start their chat at once.
await loadChatView();

let port = 41000;

/** A fresh deployment URL per test so the shared-client pool never leaks between tests. */
export const freshUrl = () => `http://127.0.0.1:${port++}`;

export type Setup = {
  backend: FakeBackend;
  url: string;
  fetchCalls: FetchCall[];
  /** The warm-up GETs (src/reply/warm.ts). */
  warmups: FetchCall[];
  restore: () => void;
};

/**
 * Routes every ConvexClient to a fake backend and `fetch` to `handler`; a `POST /chat-stream`
 * goes through the fake backend, which stores what the request sends and lets `handler` say how
 * the answer goes (the default, 205: the reply is driven elsewhere, so the element follows it).
 */
export function setup(
  handler: (call: FetchCall) => Response | Promise<Response> = () => new Response(null, { status: 205 }),
): Setup {
  // Test files share an origin, so localStorage too: every test starts with none.
  localStorage.clear();
  sessionStorage.clear();
  const backend = new FakeBackend();
  setClientFactory(() => backend.client());
  const f = stubFetch((call) =>
    call.url.endsWith("/chat-stream")
      ? backend.chatStream(call, handler)
      : call.url.endsWith("/operator/sign-in")
        ? backend.signInOverHttp(call)
        : handler(call),
  );
  return {
    backend,
    url: freshUrl(),
    fetchCalls: f.calls,
    warmups: f.warmups,
    restore: () => {
      f.restore();
      setClientFactory();
    },
  };
}

export async function mount(url: string, attrs = ""): Promise<AiChatStream> {
  const el = await fixture<AiChatStream>(`<ai-chat-stream convex-url="${url}" ${attrs}></ai-chat-stream>`);
  await settle(el);
  return el;
}

/** Sends `prompt` (without waiting for the send) and resolves with the reply's `ai-chat-stream-start`. */
export function sendAndStart(el: AiChatStream, prompt: string): Promise<AiChatStreamStartEvent> {
  const started = oneEvent(el, "ai-chat-stream-start") as Promise<AiChatStreamStartEvent>;
  void el.send(prompt);
  return started;
}

/** Any of the package's elements: rendered into a shadow root, with Lit's `updateComplete`. */
type Rendered = HTMLElement & { updateComplete: Promise<unknown> };

/** Lets subscriptions deliver and the element render. */
export async function settle(el: Rendered): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 0));
    await el.updateComplete;
  }
  await new Promise((r) => requestAnimationFrame(() => r(undefined)));
  await el.updateComplete;
}

/** Waits for the element's CSS animations (the panel rising in): axe measures colours mid-fade otherwise. */
export async function animationsDone(el: Element): Promise<void> {
  await Promise.all(
    el
      .shadowRoot!.getAnimations()
      .filter((a) => a.effect?.getTiming().iterations !== Infinity)
      .map((a) => a.finished),
  );
}

export const $ = <T extends Element = HTMLElement>(el: Element, sel: string): T | null =>
  el.shadowRoot!.querySelector<T>(sel);
export const $$ = <T extends Element = HTMLElement>(el: Element, sel: string): T[] => [
  ...el.shadowRoot!.querySelectorAll<T>(sel),
];

/** Visible text of the last (or `index`th) reply, markdown blocks only, whitespace collapsed. */
export function replyText(el: AiChatStream, index = -1): string {
  const bubbles = $$(el, ".row.assistant .bubble.markdown");
  const bubble = bubbles.at(index);
  if (!bubble) return "";
  return [...bubble.querySelectorAll(".md-block")]
    .map((b) => b.textContent)
    .join(" ")
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * Records the reply text after every DOM change, so a test can assert it never shrank,
 * flickered (went empty) or doubled on the way to its final value.
 */
export function watchReply(el: AiChatStream): { samples: string[]; stop: () => void } {
  const samples: string[] = [];
  const record = () => {
    const t = replyText(el);
    if (samples[samples.length - 1] !== t) samples.push(t);
  };
  const mo = new MutationObserver(record);
  mo.observe(el.shadowRoot!, { subtree: true, childList: true, characterData: true });
  return { samples, stop: () => mo.disconnect() };
}

/** Every sample is a prefix of the final text, no sample is shorter than the one before, none blank after text appeared. */
export function assertGrowsTo(samples: string[], final: string): void {
  let prev = "";
  for (const s of samples) {
    if (!s) {
      if (prev) throw new Error(`reply went blank after ${JSON.stringify(prev)}`);
      continue;
    }
    if (!final.startsWith(s))
      throw new Error(
        `sample ${JSON.stringify(s)} is not a prefix of ${JSON.stringify(final)} (doubled or wrong text)`,
      );
    if (s.length < prev.length) throw new Error(`text shrank from ${JSON.stringify(prev)} to ${JSON.stringify(s)}`);
    prev = s;
  }
  if (prev !== final) throw new Error(`ended with ${JSON.stringify(prev)}, expected ${JSON.stringify(final)}`);
}
