// 3. First-token overhead: the demo model at 0 delay on the local backend, the built widget in
// Chromium. In-page hooks (bench/pages/instrument.js) timestamp the widget's POST /chat-stream,
// its first body chunk, and the first reply text in the shadow DOM. Baseline: a bare `fetch` of
// the same HTTP action from the same page, to its first body byte.
import type { Page } from "playwright-core";
import { BenchBackend } from "./lib/backend.ts";
import { benchState, launch, openInstrumented, pageServer, waitForEnd } from "./lib/browser.ts";
import { ms, percentile, type BenchOptions, type Section } from "./lib/util.ts";

type OursRun = { sendToPost: number; postToFirstByte: number; postToDom: number; overhead: number; sendToDom: number };

async function oursOnce(page: Page, n: number): Promise<OursRun> {
  const mark = await page.evaluate(async () => {
    const el = document.querySelector("ai-chat-stream") as HTMLElement & {
      newConversation(): void;
      updateComplete: Promise<unknown>;
    };
    el.newConversation();
    await el.updateComplete;
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    const b = (window as unknown as { __bench: { samples: unknown[]; posts: unknown[] } }).__bench;
    return { samples: b.samples.length, posts: b.posts.length, sendAt: performance.now() };
  });
  await page.evaluate((i) => {
    const el = document.querySelector("ai-chat-stream") as HTMLElement & { send(p: string): Promise<void> };
    void el.send(`first token ${i}`);
  }, n);
  await waitForEnd(page, n);
  const state = await benchState(page);
  const post = state.posts[mark.posts];
  const first = state.samples.slice(mark.samples).find((s) => (s.lens[0] ?? 0) > 0);
  if (!post || !first) throw new Error("first-token run: no POST or no reply text recorded");
  return {
    sendToPost: post.start - mark.sendAt,
    postToFirstByte: post.firstByte - post.start,
    postToDom: first.t - post.start,
    overhead: first.t - post.firstByte,
    sendToDom: first.t - mark.sendAt,
  };
}

async function bareOnce(page: Page, b: BenchBackend, n: number): Promise<number> {
  const conv = await b.conversation();
  const sent = await b.send(conv, `bare fetch ${n}`);
  return page.evaluate(
    async ({ site, token, streamId }) => {
      const realFetch = (window as unknown as { __bench: { realFetch: typeof fetch } }).__bench.realFetch;
      const t0 = performance.now();
      const res = await realFetch(`${site}/chat-stream`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: JSON.stringify({ streamId }),
        credentials: "omit",
      });
      const reader = res.body!.getReader();
      const first = await reader.read();
      const t1 = performance.now();
      if (first.done) throw new Error(`bare fetch: empty body (${res.status})`);
      while (!(await reader.read()).done);
      return t1 - t0;
    },
    { site: b.siteUrl, token: sent.token, streamId: sent.streamId },
  );
}

export async function firstToken(opts: BenchOptions): Promise<Section> {
  const runs = opts.quick ? 8 : 20;
  const b = await BenchBackend.start({ DEMO_TOKEN_DELAY_MS: "0" });
  const pages = await pageServer(b.convexUrl, opts.log);
  const browser = await launch();
  try {
    const page = await openInstrumented(browser, `${pages.origin}/pages/chat.html`);
    // Warm-up (module compilation, connections) for both paths, not measured.
    await oursOnce(page, 1);
    await bareOnce(page, b, 0);
    const ours: OursRun[] = [];
    const bare: number[] = [];
    for (let i = 0; i < runs; i++) {
      // Interleaved, so drift on the shared machine hits both alike.
      ours.push(await oursOnce(page, i + 2));
      bare.push(await bareOnce(page, b, i + 1));
    }
    const p = (xs: number[], q: number) => percentile(xs, q);
    const pick = (k: keyof OursRun) => ours.map((r) => r[k]);
    const overhead = pick("overhead");
    const postToDom = pick("postToDom");
    opts.log(
      `  first token: overhead p50 ${ms(p(overhead, 50))}, POST→DOM p50 ${ms(p(postToDom, 50))}, bare first byte p50 ${ms(p(bare, 50))}`,
    );
    return {
      rows: [
        {
          section: "3",
          measurement: `first-token overhead: first body byte → text in shadow DOM (p50 / p95, ${runs} runs)`,
          ours: `${ms(p(overhead, 50))} / ${ms(p(overhead, 95))}`,
          baseline: "0 ms (bare fetch ends at the byte)",
          ratio: "",
          target: "p50 < 10 ms",
          met: p(overhead, 50) < 10,
          data: { overhead },
        },
        {
          section: "3",
          measurement: `POST → first text in DOM vs bare fetch → first byte (p50 / p95)`,
          ours: `${ms(p(postToDom, 50))} / ${ms(p(postToDom, 95))}`,
          baseline: `${ms(p(bare, 50))} / ${ms(p(bare, 95))}`,
          ratio: `${(p(postToDom, 50) / p(bare, 50)).toFixed(2)}x`,
          target: "",
          met: null,
          data: { postToDom, bare, postToFirstByte: pick("postToFirstByte") },
        },
        {
          section: "3",
          measurement: `send() → first text in DOM (threads:create + messages:send + POST), p50 / p95`,
          ours: `${ms(p(pick("sendToDom"), 50))} / ${ms(p(pick("sendToDom"), 95))}`,
          baseline: "",
          ratio: "",
          target: "",
          met: null,
          data: { sendToDom: pick("sendToDom"), sendToPost: pick("sendToPost") },
        },
      ],
      notes: [
        "3: each run starts a new conversation (so the first send also creates the thread; that is in send() → DOM, not in the overhead). Overhead = MutationObserver time of the first reply text − the time the first body chunk passed the in-page fetch tap; the bare fetch baseline runs from the same page, interleaved with the widget runs.",
      ],
      data: { ours, bare },
    };
  } finally {
    await browser.close();
    await pages.close();
    await b.stop();
  }
}
