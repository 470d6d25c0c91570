// 8. First load: what a page with a closed launcher pays, and what opening it costs. The built
// loader (dist/ai-chat-stream.iife.js) on test/e2e/pages/loader-closed.html, against the same page
// with the chat script loaded at once (loader-eager.html), in fresh browser contexts (cold
// cache), interleaved. Script bytes are the gzip -9 size of every script response the page got;
// "ready composer" is from the click on the launcher to the message box taking focus.
import { gzipSync } from "node:zlib";
import type { Browser, Page } from "playwright-core";
import { BenchBackend } from "./lib/backend.ts";
import { launch, pageServer } from "./lib/browser.ts";
import { kb, median, ms, percentile, type BenchOptions, type Row, type Section } from "./lib/util.ts";

type Variant = "lazy" | "eager";
const PAGES: Record<Variant, string> = { lazy: "/pages/loader-closed.html", eager: "/pages/loader-eager.html" };
/** No throttling (this machine's loopback), and a slow connection: 40 ms each way, 10 Mbit/s down. */
const NETWORKS = [
  { name: "loopback", conditions: null },
  {
    name: "40 ms RTT, 10 Mbit/s",
    conditions: { offline: false, latency: 40, downloadThroughput: (10e6 / 8) | 0, uploadThroughput: (5e6 / 8) | 0 },
  },
];

type Run = { beforeOpen: number; total: number; clickToComposer: number };

async function once(
  browser: Browser,
  origin: string,
  variant: Variant,
  network: (typeof NETWORKS)[number],
  withReply: boolean,
): Promise<Run> {
  const context = await browser.newContext();
  const page: Page = await context.newPage();
  if (network.conditions) {
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.emulateNetworkConditions", network.conditions);
  }
  const scripts: Promise<number>[] = [];
  page.on("response", (r) => {
    // The widget's files only (loader-closed.html also loads the e2e suite's recorder).
    if (r.request().resourceType() === "script" && new URL(r.url()).pathname.startsWith("/dist/"))
      scripts.push(r.body().then((b) => gzipSync(b, { level: 9 }).length));
  });
  await page.goto(origin + PAGES[variant], { waitUntil: "networkidle" });
  await page.getByRole("button", { name: "Open chat" }).waitFor();
  const beforeOpen = (await Promise.all(scripts)).reduce((a, b) => a + b, 0);
  const clickToComposer = await page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const root = document.querySelector("ai-chat-stream")!.shadowRoot!;
        // (The page is closed right after: the listener needs no removal.)
        root.addEventListener("focusin", (e) => {
          if ((e.target as Element).localName === "textarea") resolve(performance.now() - t0);
        });
        const t0 = performance.now();
        root.querySelector<HTMLButtonElement>("[part=launcher]")!.click();
      }),
  );
  if (withReply) {
    await page.getByRole("textbox", { name: "Message" }).fill("How much script did this take?");
    await page.keyboard.press("Enter");
    await page.locator("ai-chat-stream .row.assistant .bubble.markdown").first().waitFor({ timeout: 30_000 });
  }
  const total = (await Promise.all(scripts)).reduce((a, b) => a + b, 0);
  await context.close();
  return { beforeOpen, total, clickToComposer };
}

export async function loader(opts: BenchOptions): Promise<Section> {
  const b = await BenchBackend.start({ DEMO_TOKEN_DELAY_MS: "0" });
  const pages = await pageServer(b.convexUrl, opts.log);
  const browser = await launch();
  const runs = opts.quick ? 4 : 12;
  const rows: Row[] = [];
  const data: Record<string, unknown> = {};
  try {
    // Bytes: one run each with a first reply (the same on every run).
    const lazyBytes = await once(browser, pages.origin, "lazy", NETWORKS[0]!, true);
    const eagerBytes = await once(browser, pages.origin, "eager", NETWORKS[0]!, true);
    rows.push(
      {
        section: "8",
        measurement: "script before the launcher is opened, gzip -9 (the loader)",
        ours: kb(lazyBytes.beforeOpen),
        baseline: kb(eagerBytes.beforeOpen),
        ratio: `${(lazyBytes.beforeOpen / eagerBytes.beforeOpen).toFixed(2)}x`,
        target: "≤ 15 KB",
        met: lazyBytes.beforeOpen <= 15 * 1024,
      },
      {
        section: "8",
        measurement: "script loaded by the first reply, gzip -9 (loader + chat)",
        ours: kb(lazyBytes.total),
        baseline: kb(eagerBytes.total),
        ratio: `${(lazyBytes.total / eagerBytes.total).toFixed(2)}x`,
        target: "≤ 75 KB",
        met: lazyBytes.total <= 75 * 1024,
      },
    );
    data.bytes = { lazy: lazyBytes, eager: eagerBytes };
    for (const network of NETWORKS) {
      const times: Record<Variant, number[]> = { lazy: [], eager: [] };
      for (let i = 0; i < runs; i++) {
        for (const variant of ["lazy", "eager"] as const)
          times[variant].push((await once(browser, pages.origin, variant, network, false)).clickToComposer);
      }
      const [lazy, eager] = [median(times.lazy), median(times.eager)];
      rows.push({
        section: "8",
        measurement: `click on the launcher → focused composer, cold cache, ${network.name} (median; p95 over ${runs})`,
        ours: `${ms(lazy)}; ${ms(percentile(times.lazy, 95))}`,
        baseline: `${ms(eager)}; ${ms(percentile(times.eager, 95))} (chat loaded at once)`,
        ratio: `${(lazy / eager).toFixed(2)}x`,
        target: "",
        met: null,
      });
      data[network.name] = times;
      opts.log(`  loader: ${network.name}: lazy ${ms(lazy)}, eager ${ms(eager)}`);
    }
  } finally {
    await browser.close();
    await pages.close();
    await b.stop();
  }
  return {
    rows,
    notes: [
      "8: the built script-tag files on a page with a closed launcher (test/e2e/pages/loader-closed.html); baseline: the same page with dist/ai-chat-stream.chat.js in a second script tag, so the chat is loaded before anyone opens it. Every run is a fresh browser context (cold HTTP cache); lazy and eager runs alternate. Bytes are the gzip -9 size of each script response. Composer time: from the click on the launcher to focus entering the message box (the chat's code fetched and run, the panel rendered; the connection opens in parallel). The slow network is Chromium's own throttling (CDP Network.emulateNetworkConditions).",
    ],
    data,
  };
}
