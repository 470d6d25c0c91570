// 4. Observer lag: the same reply in a driving page and an observing page (both the built
// widget in Chromium); for each growth of the observer's text, the time since the driver showed
// that much. Alongside, at the data level, Node subscribers vs the driver's body: ours
// (`streams:read`, cursor) and the stock `getStreamBody` subscription (baseline).
import { BenchBackend, followBaseline, followOurs, lagsBehind, type Receipt } from "./lib/backend.ts";
import { benchState, launch, openInstrumented, pageServer, waitForEnd, type Sample } from "./lib/browser.ts";
import { promptFor, startBenchModel } from "./lib/model.ts";
import { ms, percentile, type BenchOptions, type Section } from "./lib/util.ts";

/**
 * For each growth of the driver's reply to L characters, the time until the observer first
 * showed at least L: every piece of text counts, including the time it waited for a flush.
 */
function domLags(driver: Sample[], observer: Sample[], index: number): number[] {
  const growths: Receipt[] = [];
  for (const d of driver) {
    const len = d.lens[index] ?? 0;
    if (len > (growths.at(-1)?.end ?? 0)) growths.push({ end: len, at: d.wall });
  }
  return lagsBehind(
    growths,
    observer.map((s) => ({ end: s.lens[index] ?? 0, at: s.wall })),
  );
}

export async function observerLag(opts: BenchOptions): Promise<Section> {
  const tokens = opts.quick ? 200 : 600;
  const rate = 50;
  const model = await startBenchModel();
  const b = await BenchBackend.start(model.env);
  const pages = await pageServer(b.convexUrl, opts.log);
  const browser = await launch();
  try {
    const driver = await openInstrumented(browser, `${pages.origin}/pages/chat.html`);
    // A first short reply creates the thread the observer then opens.
    await driver.evaluate(() =>
      (document.querySelector("ai-chat-stream") as HTMLElement & { send(p: string): Promise<void> }).send("hello"),
    );
    await waitForEnd(driver, 1);
    const threadId = await driver.evaluate(() => document.querySelector("ai-chat-stream")!.getAttribute("thread")!);
    const observerToken = await driver.evaluate(() =>
      (document.querySelector("ai-chat-stream") as HTMLElement & { shareToken(): Promise<string> }).shareToken(),
    );
    const observer = await openInstrumented(
      browser,
      `${pages.origin}/pages/observe.html#${new URLSearchParams({ thread: threadId, token: observerToken })}`,
    );
    await observer.waitForFunction(() =>
      (window as unknown as { __bench: { samples: Sample[] } }).__bench.samples.some((s) => (s.lens[0] ?? 0) > 0),
    );

    // Node followers for the data-level comparison, subscribed as soon as the stream exists.
    const ours = await b.client();
    const base = await b.client();
    const streamWatch = driver.waitForFunction(
      () =>
        (window as unknown as { __bench: { events: { type: string; streamId?: string }[] } }).__bench.events.filter(
          (e) => e.type === "ai-chat-stream-start",
        ).length >= 2,
      null,
      { polling: 5 },
    );
    await driver.evaluate(
      (p) => {
        void (document.querySelector("ai-chat-stream") as HTMLElement & { send(p: string): Promise<void> }).send(p);
      },
      promptFor({ tokens, rate, seed: 11 }),
    );
    await streamWatch;
    const streamId = (await benchState(driver)).events.filter((e) => e.type === "ai-chat-stream-start")[1]!.streamId!;
    const followers = [
      followOurs(ours.client, { threadId, streamId, token: observerToken }),
      followBaseline(base.client, streamId),
    ];
    await waitForEnd(driver, 2, 60_000 + (tokens / rate) * 1000);
    // The observer opened after the first reply ended: its only stream events are this reply's.
    await observer.waitForFunction(
      () =>
        (window as unknown as { __bench: { events: { type: string }[] } }).__bench.events.some(
          (e) => e.type === "ai-chat-stream-end",
        ),
      null,
      { timeout: 30_000 },
    );
    await Promise.all(followers.map((f) => f.done));
    const d = await benchState(driver);
    const o = await benchState(observer);
    const lags = domLags(d.samples, o.samples, 1);
    const post = d.posts[d.posts.length - 1]!;
    // For each chunk of the driver's body, the time until a Node follower had received that far.
    const chunks = post.chunks.map(([end, at]) => ({ end, at }));
    const oursData = lagsBehind(chunks, followers[0]!.receipts);
    const baseData = lagsBehind(chunks, followers[1]!.receipts);
    for (const f of followers) f.stop();
    await Promise.all([ours.client.close(), base.client.close()]);
    const p = percentile;
    opts.log(
      `  observer lag: DOM→DOM p50 ${ms(p(lags, 50))} p95 ${ms(p(lags, 95))} (${lags.length} driver updates); data ours p95 ${ms(p(oursData, 95))}, stock p95 ${ms(p(baseData, 95))}`,
    );
    const target = 250 + 100;
    return {
      rows: [
        {
          section: "4",
          measurement: `observer lag, driver DOM → observer DOM, ${tokens} tok @ ${rate}/s (p50 / p95 over ${lags.length} driver updates)`,
          ours: `${ms(p(lags, 50), 0)} / ${ms(p(lags, 95), 0)}`,
          baseline: `${ms(p(baseData, 50), 0)} / ${ms(p(baseData, 95), 0)} (stock getStreamBody, data only)`,
          ratio: `${(p(lags, 95) / p(baseData, 95)).toFixed(2)}x`,
          target: `p95 < ${target} ms`,
          met: p(lags, 95) < target,
          data: { lags },
        },
        {
          section: "4",
          measurement: `observer lag, driver body → Node subscriber receipt (p50 / p95)`,
          ours: `${ms(p(oursData, 50), 0)} / ${ms(p(oursData, 95), 0)}`,
          baseline: `${ms(p(baseData, 50), 0)} / ${ms(p(baseData, 95), 0)}`,
          ratio: `${(p(oursData, 95) / p(baseData, 95)).toFixed(2)}x`,
          target: "",
          met: null,
          data: { oursData, baseData },
        },
      ],
      notes: [
        `4: one ${tokens}-token reply at ${rate} tok/s streamed into a driving page while an observing page (observer token) follows it; times are performance.timeOrigin + now() in each page (same machine clock). The data-level row compares a Node streams:read follower with the stock getStreamBody subscription on the same flushes (default flush policy: sentence, 250 ms, 4/s), measured from the driver's body chunk that first carried the text.`,
      ],
    };
  } finally {
    await browser.close();
    await pages.close();
    await b.stop();
    await model.close();
  }
}
