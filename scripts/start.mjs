// `npm start`: the local backend (with the demo model unless keys are set) plus Vite serving demo/.
// Prints the URLs; Ctrl-C stops both.
import { spawn, spawnSync } from "node:child_process";
import { createReadStream, existsSync } from "node:fs";
import { join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { createServer } from "vite";

const root = fileURLToPath(new URL("..", import.meta.url));
const backendPort = Number(process.env.BACKEND_PORT ?? 3210);
const demoPort = Number(process.env.DEMO_PORT ?? 5173);

// The script-tag demo page loads the IIFE build exactly as a CMS embed would.
console.log("Building the widget (dist/)...");
const build = spawnSync(process.execPath, ["scripts/build.mjs", "--script-tags"], {
  cwd: root,
  stdio: ["ignore", "ignore", "inherit"],
});
if (build.status !== 0) {
  console.error("The widget build failed; see the errors above.");
  process.exit(1);
}

const backend = spawn(
  process.execPath,
  ["--import", "tsx", "local-backend/cli.ts", "--port", String(backendPort), ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, DEMO_TOKEN_DELAY_MS: process.env.DEMO_TOKEN_DELAY_MS ?? "30" },
  },
);

let vite;
async function stop(code = 0) {
  await vite?.close().catch(() => {});
  if (backend.exitCode === null) backend.kill("SIGINT");
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
backend.on("exit", (code) => {
  if (code) console.error(`The local backend exited with code ${code}.`);
  void stop(code ?? 1);
});

const urls = await new Promise((resolve) => {
  const found = {};
  let buffered = "";
  backend.stdout.on("data", (chunk) => {
    process.stdout.write(chunk);
    buffered += chunk.toString();
    for (const [, key, value] of buffered.matchAll(/^(CONVEX_URL|CONVEX_SITE_URL)=(\S+)/gm)) found[key] = value;
    if (found.CONVEX_URL && found.CONVEX_SITE_URL) resolve(found);
  });
});

/** Serves dist/ at /dist/ so demo/script-tag.html can use the real IIFE build. */
const serveDist = {
  name: "serve-dist",
  configureServer(server) {
    server.middlewares.use("/dist", (req, res, next) => {
      const file = normalize(join(root, "dist", decodeURIComponent(req.url.split("?")[0])));
      if (!file.startsWith(join(root, "dist")) || !existsSync(file)) return next();
      res.setHeader("Content-Type", file.endsWith(".js") ? "text/javascript" : "application/octet-stream");
      createReadStream(file).pipe(res);
    });
  },
};

// Vite exposes VITE_* variables to the pages as import.meta.env and %VITE_CONVEX_URL% in HTML.
process.env.VITE_CONVEX_URL = urls.CONVEX_URL;
vite = await createServer({
  configFile: false,
  root: join(root, "demo"),
  server: { port: demoPort, strictPort: true, host: "127.0.0.1", fs: { allow: [root] } },
  plugins: [serveDist],
  logLevel: "warn",
});
await vite.listen();
const demo = `http://127.0.0.1:${demoPort}`;
console.log(`
  Demo            ${demo}/
  Script-tag page ${demo}/script-tag.html
  Support iframe  ${demo}/iframe.html
  Operator        ${demo}/operator.html
  CONVEX_URL      ${urls.CONVEX_URL}
  CONVEX_SITE_URL ${urls.CONVEX_SITE_URL}

  Ctrl-C stops everything.`);
