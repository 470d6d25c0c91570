// Chromium for the in-page measurements: the e2e suite's page server (the built widget and the
// e2e pages) and a browser launched the same way the e2e suite does.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { chromium, type Browser, type Page } from "playwright-core";
import { CHROME_ARGS, findChrome } from "../../scripts/find-chrome.mjs";
import { startPageServer } from "../../test/e2e/harness.ts";
import { ROOT } from "./backend.ts";

const INSTRUMENT = join(ROOT, "bench/pages/instrument.js");

let distChecked = false;

/**
 * Builds dist/ when it is missing (the pages load dist/ai-chat-stream.iife.js); when src/ changed
 * after the build, says so once, since rows 3, 4 and 6 would measure the old build.
 */
export function ensureDist(log: (s: string) => void): void {
  if (distChecked) return;
  distChecked = true;
  const iife = join(ROOT, "dist/ai-chat-stream.iife.js");
  if (existsSync(iife) && existsSync(join(ROOT, "dist/ai-chat-stream.js"))) {
    const builtAt = statSync(iife).mtimeMs;
    const newer = readdirSync(join(ROOT, "src"), { recursive: true, encoding: "utf8" }).filter((f) => {
      const st = statSync(join(ROOT, "src", f));
      return st.isFile() && st.mtimeMs > builtAt;
    });
    if (newer.length)
      log(
        `  warning: src/${newer[0]}${newer.length > 1 ? ` and ${newer.length - 1} more` : ""} changed after dist/ was built: rows 3, 4 and 6 measure the old build (npm run build)`,
      );
    return;
  }
  log("  dist/ is missing: npm run build");
  const r = spawnSync("npm", ["run", "build"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error("npm run build failed");
}

export async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: findChrome(), args: CHROME_ARGS, headless: true });
}

type Pages = { origin: string; close(): Promise<void> };

export async function pageServer(convexUrl: string, log: (s: string) => void): Promise<Pages> {
  ensureDist(log);
  return startPageServer(convexUrl);
}

/** A fresh context and page with the bench instrumentation, at `url`. */
export async function openInstrumented(browser: Browser, url: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  // The e2e pages' own recorder samples every frame; the bench measures with its own hooks instead.
  await page.route("**/pages/record.js", (route) =>
    route.fulfill({ status: 200, contentType: "text/javascript", body: "" }),
  );
  await page.addInitScript({ path: INSTRUMENT });
  await page.goto(url);
  await page.locator("ai-chat-stream").first().waitFor();
  return page;
}

export type Sample = { t: number; wall: number; lens: number[] };
export type Post = { start: number; headers: number; firstByte: number; end: number; chunks: [number, number][] };
export type BenchEvent = {
  type: string;
  t: number;
  streamId?: string;
  status?: string;
  code?: string;
  message?: string;
};
export type BenchState = { posts: Post[]; samples: Sample[]; events: BenchEvent[] };

export async function benchState(page: Page): Promise<BenchState> {
  return page.evaluate(() => {
    const b = (window as unknown as { __bench: BenchState }).__bench;
    return { posts: b.posts, samples: b.samples, events: b.events };
  });
}

/** Waits for the `n`th ai-chat-stream-end (or any ai-chat-error) recorded by the instrumentation. */
export async function waitForEnd(page: Page, n: number, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    (count) => {
      const events = (window as unknown as { __bench: BenchState }).__bench.events;
      const error = events.find((e) => e.type === "ai-chat-error");
      if (error) throw new Error(`ai-chat-error ${error.code}: ${error.message}`);
      return events.filter((e) => e.type === "ai-chat-stream-end").length >= count;
    },
    n,
    { timeout, polling: 20 },
  );
}
