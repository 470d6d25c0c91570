// Browser tests for the element, in real Chromium (never jsdom).
import { chromeLauncher } from "@web/test-runner-chrome";
import { esbuildPlugin } from "@web/dev-server-esbuild";
import { fileURLToPath } from "node:url";
import { CHROME_ARGS, findChrome } from "./scripts/find-chrome.mjs";

const executablePath = findChrome();

export default {
  files: ["test/browser/**/*.test.ts"],
  nodeResolve: { exportConditions: ["browser", "production"] },
  plugins: [
    esbuildPlugin({ ts: true, tsconfig: fileURLToPath(new URL("./tsconfig.json", import.meta.url)) }),
    {
      // highlight.js's ES entry re-exports its CommonJS core (lib/core.js, no require()): bundlers
      // convert it, the test server serves files as they are, so it gets the same wrapping here.
      name: "highlight-js-core-as-esm",
      transform(context) {
        if (!context.path.endsWith("/highlight.js/lib/core.js")) return undefined;
        return { body: `const module = { exports: {} };\n${context.body}\nexport default module.exports;\n` };
      },
    },
  ],
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
