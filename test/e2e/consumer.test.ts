// A user's project, from the tarball: a fresh folder installs the packed package (and the
// TypeScript and Vite it builds with), type-checks a file per module entry, builds a Vite page that
// imports `ai-chat-stream/define`, serves the two script-tag files from a plain folder as a CDN
// would, and chats through each in Chromium. The backend is the package's own standalone app
// (app/, with the component in convex/ and convex.json), copied out of node_modules as a user
// would to deploy it, on the local backend; only the model is fake. Needs `npm run build` first (npm test does); installs from the npm cache when it can.
import { spawn } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { runCodegen } from "../../local-backend/codegen.ts";
import { startLocalBackend, type LocalBackend } from "../../local-backend/index.ts";
import { packTarball } from "../../scripts/check-package.mjs";
import { CHROME_ARGS, findChrome } from "../../scripts/find-chrome.mjs";
import { OPERATOR_SECRET, ROOT } from "./harness.ts";
import { collapse, sendPrompt, visibleReplies, waitForEnd } from "./helpers.ts";
import { SHORT_REPLY, startProvider } from "./provider.ts";
import { MODULE_ENTRIES } from "./published-package.ts";

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  devDependencies: Record<string, string>;
  exports: Record<string, string | { types: string }>;
};

/** Runs a command in the consumer project; resolves with its output, rejects with it on failure. */
function run(cwd: string, cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env } });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(" ")} exited ${code}:\n${out}`)),
    );
  });
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

/** A plain static server for one folder, as a CDN or a site's host serves files: no rewriting. */
async function serveFolder(dir: string): Promise<{ origin: string; requested: string[]; close(): Promise<void> }> {
  const requested: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    requested.push(path);
    const file = normalize(join(dir, path === "/" ? "index.html" : path));
    if (!file.startsWith(dir) || !existsSync(file)) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requested,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let project: string;
let provider: Awaited<ReturnType<typeof startProvider>>;
let backend: LocalBackend;
let browser: Browser;
const servers: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  if (!existsSync(join(ROOT, "dist/ai-chat-stream.js")))
    throw new Error("dist/ is missing: run `npm run build` first (npm test does).");
  project = mkdtempSync(join(tmpdir(), "ai-chat-consumer-"));
  const { tarball } = packTarball(project);
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2),
  );
  // The user's own tools, at the versions this repository builds with.
  await run(project, "npm", [
    "install",
    "--prefer-offline",
    "--no-audit",
    "--no-fund",
    tarball,
    `typescript@${pkg.devDependencies.typescript}`,
    `vite@${pkg.devDependencies.vite}`,
    // The example host app's auth.config.ts reads process.env, as Convex apps do.
    `@types/node@${pkg.devDependencies["@types/node"]}`,
  ]);
  // The standalone app and the component as the package ships them, where a user puts them to
  // deploy (README "Going to production"); their imports (convex, the components, the AI SDK)
  // resolve to what installing the tarball brought.
  for (const entry of ["app", "convex", "convex.json"]) {
    cpSync(join(project, "node_modules/ai-chat-stream", entry), join(project, entry), { recursive: true });
  }
  provider = await startProvider();
  backend = await startLocalBackend({
    port: 0,
    dataDir: join(project, ".local-backend"),
    reset: true,
    convexDir: join(project, "app"),
    env: { OPERATOR_SECRET, OPENAI_BASE_URL: provider.baseUrl, OPENAI_API_KEY: "fake-key", AI_MODEL: "fake-model" },
    quiet: true,
  });
  browser = await chromium.launch({ executablePath: findChrome(), args: CHROME_ARGS, headless: true });
});

afterAll(async () => {
  await browser?.close();
  for (const server of servers) await server.close();
  await backend?.stop();
  await provider?.close();
  if (project) rmSync(project, { recursive: true, force: true });
});

/** A page with the e2e recorder (events, reply text per frame) installed before its scripts run. */
async function newPage(): Promise<Page> {
  const context = await browser.newContext();
  await context.addInitScript({ path: join(ROOT, "test/e2e/pages/record.js") });
  const page = await context.newPage();
  page.on("dialog", (d) => {
    throw new Error(`Unexpected ${d.type()} dialog: ${d.message()}`);
  });
  return page;
}

/** Sends a prompt as a visitor would and waits for the whole reply on screen. */
async function chat(page: Page): Promise<void> {
  await sendPrompt(page, "A short answer, please");
  const end = await waitForEnd(page);
  expect(end.status).toBe("done");
  expect(end.text).toBe(SHORT_REPLY);
  expect((await visibleReplies(page)).at(-1)).toBe(collapse(SHORT_REPLY));
}

describe("a project that installs the packed tarball", () => {
  it("type-checks a file importing each entry, with moduleResolution bundler and node16", async () => {
    const checks = join(project, "checks");
    mkdirSync(checks);
    MODULE_ENTRIES.forEach(({ consumerFile }, i) => writeFileSync(join(checks, `entry-${i}.ts`), consumerFile));
    const compilerOptions = {
      strict: true,
      noEmit: true,
      target: "ES2022",
      lib: ["ES2022", "DOM", "DOM.Iterable"],
      types: [],
      // A side-effect import (`import "ai-chat-stream/define"`) must resolve too.
      noUncheckedSideEffectImports: true,
    };
    const resolutions = {
      bundler: { module: "ESNext", moduleResolution: "Bundler" },
      node16: { module: "Node16", moduleResolution: "Node16" },
    };
    await Promise.all(
      Object.entries(resolutions).map(async ([name, resolution]) => {
        const config = `tsconfig.${name}.json`;
        writeFileSync(
          join(project, config),
          JSON.stringify({ compilerOptions: { ...compilerOptions, ...resolution }, include: ["checks"] }),
        );
        const listed = await run(project, "node_modules/.bin/tsc", ["-p", config, "--listFiles"]);
        // Each entry's declarations came from the installed tarball, by its exports map.
        for (const { entry } of MODULE_ENTRIES) {
          const target = pkg.exports[entry];
          if (typeof target === "string") throw new Error(`${entry} is a file export, not a module entry`);
          expect(listed, `${name}: ${entry}`).toContain(join(project, "node_modules/ai-chat-stream", target.types));
        }
      }),
    );
    // Two compilers over the DOM lib and the dependencies' declarations: ~11 s each on an idle
    // 2-core machine, 35 s seen with the cores shared; more than the suite's 60 s default allows.
  }, 120_000);

  it("builds a Vite page that imports ai-chat-stream/define; in Chromium the element renders and chats", async () => {
    const app = join(project, "vite-app");
    mkdirSync(app);
    writeFileSync(
      join(app, "index.html"),
      `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>A shop</title><script type="module" src="./main.ts"></script></head>
  <body><ai-chat-stream convex-url="%VITE_CONVEX_URL%" heading="Ask the shop"></ai-chat-stream></body>
</html>
`,
    );
    writeFileSync(join(app, "main.ts"), `import "ai-chat-stream/define";\n`);
    await run(app, "../node_modules/.bin/vite", ["build", "--logLevel", "warn"], {
      VITE_CONVEX_URL: backend.convexUrl,
    });
    const site = await serveFolder(join(app, "dist"));
    servers.push(site);

    const page = await newPage();
    await page.goto(site.origin);
    await expect.poll(() => page.evaluate(() => customElements.get("ai-chat-stream") !== undefined)).toBe(true);
    await page.getByRole("heading", { name: "Ask the shop" }).waitFor();
    await chat(page);
    // The page's code is the Vite build of the installed package, served by the site alone.
    expect(site.requested.some((path) => /^\/assets\/.+\.js$/.test(path))).toBe(true);
  });

  it("the example host app, importing the package by name, passes the Convex CLI's codegen (typecheck, bundle); the local backend serves it", async () => {
    // examples/host-app as a user has it: its imports are the package's entries (its comments
    // say which), the package from the tarball, and the CLI and TypeScript the project installed.
    const host = join(project, "host-app");
    cpSync(join(ROOT, "examples/host-app/convex"), join(host, "convex"), {
      recursive: true,
      filter: (src) => !src.includes("_generated"),
    });
    symlinkSync(join(project, "node_modules"), join(host, "node_modules"), "dir");
    const dependencies = { "ai-chat-stream": "*", convex: "*" }; // what the CLI looks for; installed above
    writeFileSync(join(host, "package.json"), JSON.stringify({ name: "host-app", private: true, dependencies }));
    const entries: Record<string, string> = {
      "../../../convex/convex.config": "ai-chat-stream/convex.config",
      "../../../convex/client.functions": "ai-chat-stream/functions",
      "../../../convex/client": "ai-chat-stream/server",
    };
    for (const file of ["convex.config.ts", "aiChat.ts"]) {
      const path = join(host, "convex", file);
      let text = readFileSync(path, "utf8");
      for (const [local, entry] of Object.entries(entries)) text = text.replaceAll(`"${local}"`, `"${entry}"`);
      expect(text, file).not.toContain("../../../");
      writeFileSync(path, text);
    }
    expect(await runCodegen({ projectDir: host, extraArgs: ["--typecheck", "enable"] })).toBe(0);
    expect(readFileSync(join(host, "convex/_generated/api.d.ts"), "utf8")).toContain('"aiChat"');
    const hostBackend = await startLocalBackend({
      port: 0,
      dataDir: join(host, ".local-backend"),
      reset: true,
      convexDir: join(host, "convex"),
      env: { AUTH_JWT_ISSUER: "https://auth.host-app.test", AUTH_JWKS_URL: "data:application/json,{}" },
      quiet: true,
    });
    try {
      const config = await new ConvexHttpClient(hostBackend.convexUrl).query(anyApi.aiChat!.configGet!, {});
      expect(config).toMatchObject({ maxPromptChars: expect.any(Number) });
      // The component's routes under the host's /chat/ mount.
      expect((await fetch(`${hostBackend.siteUrl}/chat/chat-stream`)).ok).toBe(true);
    } finally {
      await hostBackend.stop();
    }
  }, 120_000);

  it("serves the two script-tag files from a plain folder, as a CDN would; a page on another origin chats through them", async () => {
    const cdnDir = join(project, "cdn");
    mkdirSync(cdnDir);
    for (const file of ["ai-chat-stream.iife.js", "ai-chat-stream.chat.js"])
      copyFileSync(join(project, "node_modules/ai-chat-stream/dist", file), join(cdnDir, file));
    const cdn = await serveFolder(cdnDir);
    servers.push(cdn);
    const siteDir = join(project, "cms-site");
    mkdirSync(siteDir);
    writeFileSync(
      join(siteDir, "index.html"),
      `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>A CMS page</title>
    <script src="${cdn.origin}/ai-chat-stream.iife.js" defer></script></head>
  <body><ai-chat-stream convex-url="${backend.convexUrl}" heading="Ask us"></ai-chat-stream></body>
</html>
`,
    );
    const site = await serveFolder(siteDir);
    servers.push(site);

    const page = await newPage();
    await page.goto(site.origin);
    await page.getByRole("heading", { name: "Ask us" }).waitFor();
    await chat(page);
    // The loader came from the CDN folder and fetched the chat from beside itself.
    expect(cdn.requested).toEqual(expect.arrayContaining(["/ai-chat-stream.iife.js", "/ai-chat-stream.chat.js"]));
  });
});
