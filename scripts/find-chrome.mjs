// Finds a Chromium/Chrome for the browser and end-to-end tests, installing one where it can.
// Order: $CHROME_PATH, a system browser, Playwright's cache; then Debian's `chromium` via
// apt-get (as root), then Playwright's installer (needs the internet); else one line that
// says how to get one.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const SYSTEM_PATHS = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/opt/google/chrome/chrome",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
];

/** Flags that keep headless Chromium quiet on a machine with no outside network. */
export const CHROME_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--no-first-run",
];

function playwrightCached() {
  const root = process.env.PLAYWRIGHT_BROWSERS_PATH || join(homedir(), ".cache", "ms-playwright");
  if (!existsSync(root)) return undefined;
  for (const dir of readdirSync(root)
    .filter((d) => d.startsWith("chromium"))
    .sort()
    .reverse()) {
    for (const sub of [
      "chrome-linux/chrome",
      "chrome-linux64/chrome",
      "chrome-mac/Chromium.app/Contents/MacOS/Chromium",
    ]) {
      const p = join(root, dir, sub);
      if (existsSync(p)) return p;
    }
  }
  return undefined;
}

function locate() {
  if (process.env.CHROME_PATH) {
    if (existsSync(process.env.CHROME_PATH)) return process.env.CHROME_PATH;
    throw new Error(`CHROME_PATH is set to ${process.env.CHROME_PATH}, which does not exist.`);
  }
  return SYSTEM_PATHS.find((p) => existsSync(p)) ?? playwrightCached();
}

function tryInstall() {
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (isRoot && spawnSync("which", ["apt-get"]).status === 0) {
    console.error("No Chromium found; installing Debian's chromium with apt-get (about 15 s)...");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
    spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "chromium"], { stdio: "inherit", env });
    const found = locate();
    if (found) return found;
  }
  console.error("No Chromium found; trying Playwright's browser installer...");
  const r = spawnSync("npx", ["--yes", "playwright-core", "install", "chromium"], { stdio: "inherit" });
  if (r.status === 0) return locate();
  return undefined;
}

/** Path to a Chromium binary, installing one if needed; exits with one line of advice otherwise. */
export function findChrome({ install = true } = {}) {
  const found = locate() ?? (install ? tryInstall() : undefined);
  if (!found) {
    console.error(
      "No Chromium or Chrome found: install one (Debian: `apt-get install chromium`) or set CHROME_PATH=/path/to/chrome.",
    );
    process.exit(1);
  }
  return found;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = findChrome();
  console.log(path);
  try {
    console.error(execFileSync(path, ["--version"]).toString().trim());
  } catch {
    /* the version line is a courtesy */
  }
}
