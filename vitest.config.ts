import { defineConfig } from "vitest/config";

// Node-side suites. Browser code is tested in Chromium by web-test-runner (web-test-runner.config.mjs).
export default defineConfig({
  test: {
    projects: [
      {
        // The convex/ functions on convex-test, in the edge runtime Convex's own repos use.
        test: {
          name: "backend",
          include: ["test/backend/**/*.test.ts"],
          environment: "edge-runtime",
          server: { deps: { inline: ["convex-test"] } },
        },
      },
      {
        // The local backend, driven over real sockets by the unmodified Convex clients.
        test: {
          name: "local-backend",
          include: ["test/local-backend/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // The docs against the tree: every function, file and symbol they name exists.
        test: { name: "docs", include: ["test/docs/**/*.test.ts"], environment: "node" },
      },
      {
        // Whole system: local backend + built widget + real Chromium.
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
