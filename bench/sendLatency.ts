// 9. Send → model request, in round trips, for a visitor far away: the built script-tag widget on
// a page (the launcher, as a CMS embeds it), a fake OpenAI-compatible model on 127.0.0.1 that
// records when each request arrives, and the same steps run twice per round: straight to the
// local backend (near) and through a latency proxy with a 200 ms round trip whose new connections
// pay two round trips before their first byte (far; bench/lib/latencyProxy.ts). Each round is a
// new visitor (a fresh browser context): open the launcher, type the first message, send it;
// when its reply is done, pause 6 s, type a second one and send it. Send is the Enter keydown in
// the composer; the model request is its arrival at the fake model. (far − near) / RTT is how many
// round trips the path spends in series; the floor is half of one (the request reaches the
// deployment, which then calls the model).
import type { Browser } from "playwright-core";
import { startFakeOpenAI } from "../test/support/fake-providers.ts";
import { BenchBackend } from "./lib/backend.ts";
import { launch, pageServer } from "./lib/browser.ts";
import { startLatencyProxy } from "./lib/latencyProxy.ts";
import { median, ms, sleep, type BenchOptions, type Row, type Section } from "./lib/util.ts";

const RTT_MS = 200;
const PAUSE_MS = 6_000;
/** Keystrokes of a visitor typing (ms apart). */
const TYPING_MS = 40;

type Round = { first: number; later: number };

/** `performance.timeOrigin + performance.now()`: one clock for the page and this process. */
const now = () => performance.timeOrigin + performance.now();

async function round(browser: Browser, pageUrl: string, arrivals: number[], n: number): Promise<Round> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.addInitScript(() => {
    const w = window as unknown as { __sendAt: number[] };
    w.__sendAt = [];
    // The Enter that sends, wherever in the shadow DOM the composer is (keydown is composed).
    document.addEventListener(
      "keydown",
      (e) => {
        if (e.key === "Enter" && !e.shiftKey) w.__sendAt.push(performance.timeOrigin + performance.now());
      },
      true,
    );
  });
  await page.goto(pageUrl);
  await page.getByRole("button", { name: "Open chat" }).click();
  const box = page.getByRole("textbox", { name: "Message" });
  await box.waitFor();
  const sendAndTime = async (prompt: string, repliesBefore: number) => {
    const before = arrivals.length;
    await box.pressSequentially(prompt, { delay: TYPING_MS });
    await page.keyboard.press("Enter");
    const deadline = Date.now() + 30_000;
    while (arrivals.length === before) {
      if (Date.now() > deadline) throw new Error("the model request never came");
      await sleep(5);
    }
    const sentAt = (await page.evaluate(() => (window as unknown as { __sendAt: number[] }).__sendAt)).at(-1)!;
    await page
      .locator("ai-chat-stream .row.assistant .bubble.markdown")
      .nth(repliesBefore)
      .getByText("Done.")
      .waitFor({ timeout: 30_000 });
    return arrivals[before]! - sentAt;
  };
  const first = await sendAndTime(`Round ${n}: where is my order?`, 0);
  await sleep(PAUSE_MS);
  const later = await sendAndTime(`Round ${n}: and the invoice?`, 1);
  await context.close();
  return { first, later };
}

export async function sendLatency(opts: BenchOptions): Promise<Section> {
  const arrivals: number[] = [];
  const model = await startFakeOpenAI(() => {
    arrivals.push(now());
    return { tokens: ["Here ", "you ", "are. ", "Done."] };
  });
  // Proof of work on, as deployed: the page solves the warm-up's challenge while the visitor types.
  const b = await BenchBackend.start({
    OPENAI_API_KEY: "sk-bench",
    OPENAI_BASE_URL: model.baseUrl,
    PROOF_OF_WORK: "on",
  });
  const proxy = await startLatencyProxy(b.convexUrl, b.siteUrl, RTT_MS);
  const near = await pageServer(b.convexUrl, opts.log);
  const far = await pageServer(proxy.convexUrl, opts.log);
  const browser = await launch();
  const rounds = opts.quick ? 2 : 5;
  const runs: Record<"near" | "far", Round[]> = { near: [], far: [] };
  try {
    for (let i = 0; i < rounds; i++) {
      runs.near.push(await round(browser, `${near.origin}/pages/loader-closed.html`, arrivals, i));
      runs.far.push(await round(browser, `${far.origin}/pages/loader-closed.html`, arrivals, i));
      opts.log(
        `  send latency round ${i + 1}/${rounds}: near ${JSON.stringify(runs.near[i])}, far ${JSON.stringify(runs.far[i])}`,
      );
    }
  } finally {
    await browser.close();
    await Promise.all([near.close(), far.close(), proxy.close(), model.close()]);
    await b.stop();
  }
  const rows: Row[] = [];
  const cases = [
    { key: "first", what: "a new visitor's first message, after opening the launcher", goal: 1.5 },
    { key: "later", what: `a later message, after a ${PAUSE_MS / 1000} s pause`, goal: 0.75 },
  ] as const;
  for (const c of cases) {
    const nearMs = median(runs.near.map((r) => r[c.key]));
    const farMs = median(runs.far.map((r) => r[c.key]));
    const trips = (farMs - nearMs) / RTT_MS;
    rows.push({
      section: "9",
      measurement: `Send → model request, ${c.what}, ${RTT_MS} ms RTT (median of ${rounds}; round trips = (far − near) / RTT)`,
      ours: `${trips.toFixed(2)} round trips (far ${ms(farMs, 0)})`,
      baseline: `near ${ms(nearMs, 0)} (loopback)`,
      ratio: "",
      target: `≤ ${c.goal} round trips`,
      met: trips <= c.goal,
      data: { near: runs.near.map((r) => r[c.key]), far: runs.far.map((r) => r[c.key]) },
    });
  }
  return {
    rows,
    notes: [
      `9: the built script-tag widget on test/e2e/pages/loader-closed.html, a fake OpenAI-compatible model on 127.0.0.1; near = straight to the local backend, far = through bench/lib/latencyProxy.ts (${RTT_MS} ms RTT: every chunk delayed ${RTT_MS / 2} ms each way, a new connection's first bytes held until it is 2 RTT old, as TCP + TLS 1.3). Each round is a fresh browser context: open the launcher, type the message (${TYPING_MS} ms a key), Enter; after its reply, a ${PAUSE_MS / 1000} s pause, then the second message. Send = the Enter keydown (page clock), model request = its arrival at the fake model (same machine clock). Near and far rounds alternate. The floor is 0.5 round trips.`,
    ],
    data: runs,
  };
}
