// `npm test`: every suite, in the order that fails fastest, stopping at the first red one.
import { spawnSync } from "node:child_process";
import { findChrome } from "./find-chrome.mjs";

const env = { ...process.env, CHROME_PATH: findChrome() };
const steps = [
  ["types", "npm", ["run", "--silent", "typecheck"]],
  ["lint (ESLint + Prettier)", "npm", ["run", "--silent", "lint"]],
  [
    "backend + local backend + docs (vitest)",
    "npx",
    ["vitest", "run", "--project", "backend", "--project", "local-backend", "--project", "docs"],
  ],
  ["widget build", "npm", ["run", "--silent", "build"]],
  ["package (publint + arethetypeswrong, on the packed tarball)", "npm", ["run", "--silent", "check:package"]],
  ["browser (web-test-runner, Chromium)", "npx", ["web-test-runner"]],
  ["end-to-end (local backend + built widget + Chromium)", "npx", ["vitest", "run", "--project", "e2e"]],
];

const started = Date.now();
for (const [name, cmd, args] of steps) {
  console.log(`\n=== ${name}`);
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { stdio: "inherit", env });
  if (r.status !== 0) {
    console.error(`\n✗ ${name} failed (exit ${r.status ?? r.signal}) after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    process.exit(r.status || 1);
  }
  console.log(`✓ ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
console.log(`\nAll suites passed in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
