// `npm run codegen`: regenerate the app's `_generated` (and its local components') with the stock Convex CLI, offline.
//
// `npx convex codegen` needs a deployment to ask for the component graph. We start the
// local backend's deployment API on a free port in config-only mode (it reads
// convex.config.ts but does not load the functions, which may not even compile before
// `_generated` exists) and point the CLI at it as a self-hosted deployment. HOME is a
// project folder (.convex-home/, git-ignored) so the CLI keeps its state out of ~.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import type { AddressInfo } from "node:net";
import { newAdminKey } from "./adminKey.js";
import { discoverComponents } from "./components.js";
import { handleDeployApi } from "./deployApi.js";
import { functionsDir } from "./projectConfig.js";

export async function runCodegen(opts: { projectDir?: string; convexDir?: string; extraArgs?: string[] } = {}) {
  const projectDir = path.resolve(opts.projectDir ?? process.cwd());
  const convexDir = opts.convexDir ? path.resolve(projectDir, opts.convexDir) : functionsDir(projectDir);
  // A key for this run only: the CLI is the one client allowed to ask.
  const adminKey = newAdminKey();
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url ?? "/", "http://127.0.0.1");
    handleDeployApi(req, res, pathname, () => discoverComponents(convexDir), adminKey)
      .then((handled) => {
        if (!handled) {
          res.writeHead(404, { "content-type": "text/plain" });
          res.end(`local backend (codegen mode): ${req.method} ${pathname} is not supported`);
        }
      })
      .catch((e: unknown) => {
        console.error(`codegen backend: ${pathname} failed: ${e instanceof Error ? e.message : String(e)}`);
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(e instanceof Error ? e.message : String(e));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const home = path.join(projectDir, ".convex-home");
  mkdirSync(home, { recursive: true });
  try {
    // The project's own CLI, else this repository's (e.g. for examples/host-app, which has no node_modules).
    const ownBin = path.join(projectDir, "node_modules", ".bin", "convex");
    const convexBin = existsSync(ownBin)
      ? ownBin
      : path.join(import.meta.dirname, "..", "node_modules", ".bin", "convex");
    // The CLI finds the functions dir itself (convex.json or ./convex), like `npx convex dev`.
    const args = ["codegen", ...(opts.extraArgs ?? [])];
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(convexBin, args, {
        cwd: projectDir,
        stdio: "inherit",
        env: {
          ...process.env,
          HOME: home,
          CONVEX_SELF_HOSTED_URL: `http://127.0.0.1:${port}`,
          CONVEX_SELF_HOSTED_ADMIN_KEY: adminKey,
          CONVEX_DEPLOYMENT: "",
          CONVEX_DEPLOY_KEY: "",
        },
      });
      child.once("error", reject);
      child.once("exit", (c) => resolve(c ?? 1));
    });
    return code;
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
}

// Run when executed directly (`tsx local-backend/codegen.ts`).
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.dirname ?? "", "codegen.ts")) {
  runCodegen({ extraArgs: process.argv.slice(2) }).then(
    (code) => {
      if (code !== 0) console.error(`codegen: npx convex codegen exited with ${code}`);
      process.exit(code);
    },
    (e: unknown) => {
      console.error(`codegen: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
