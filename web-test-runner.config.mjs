// Browser tests for the element, in real Chromium (never jsdom).
import { chromeLauncher } from "@web/test-runner-chrome";
import { esbuildPlugin } from "@web/dev-server-esbuild";
import { fileURLToPath } from "node:url";
import { CHROME_ARGS, findChrome } from "./scripts/find-chrome.mjs";

const executablePath = findChrome();

export default {
  files: ["test/browser/**/*.test.ts"],
  nodeResolve: { exportConditions: ["browser", "production"] },
  plugins: [esbuildPlugin({ ts: true, tsconfig: fileURLToPath(new URL("./tsconfig.json", import.meta.url)) })],
  browsers: [
    chromeLauncher({
      launchOptions: { executablePath, args: CHROME_ARGS },
      // A sanitiser regression that reaches alert() must fail fast, not leave a dialog open.
      async createPage({ context }) {
        const page = await context.newPage();
        page.on("dialog", (dialog) => {
          console.error(`Unexpected dialog: ${dialog.type()} ${dialog.message()}`);
          void dialog.dismiss();
        });
        return page;
      },
    }),
  ],
  concurrency: 1,
  testFramework: { config: { timeout: 10_000 } },
  testsFinishTimeout: 120_000,
  browserStartTimeout: 60_000,
};
