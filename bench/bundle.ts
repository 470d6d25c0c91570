// 6. Bundle: gzip -9 sizes of the script-tag files (the loader and the chat it loads: everything
// included) and the ES build (deps external), and what each dependency weighs alone (esbuild --minify of just the imports the
// element uses, same conditions as the Vite build). Baselines: the anchors named in the issue.
import { build } from "esbuild";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { ROOT } from "./lib/backend.ts";
import { ensureDist } from "./lib/browser.ts";
import { kb, type BenchOptions, type Row, type Section } from "./lib/util.ts";

const gz = (buf: Uint8Array | string) => gzipSync(buf, { level: 9 }).length;

/** The imports src/ makes of each dependency. */
const DEPENDENCIES: Record<string, string> = {
  "convex (ConvexClient)": `import { ConvexClient } from "convex/browser"; import { makeFunctionReference } from "convex/server"; globalThis.x = [ConvexClient, makeFunctionReference];`,
  marked: `import { Marked } from "marked"; globalThis.x = Marked;`,
  dompurify: `import createDOMPurify from "dompurify"; globalThis.x = createDOMPurify;`,
  lit: `import { LitElement, html, nothing, css } from "lit"; import { property, query, state } from "lit/decorators.js"; import { repeat } from "lit/directives/repeat.js"; globalThis.x = [LitElement, html, nothing, css, property, query, state, repeat];`,
};

async function depSize(contents: string): Promise<{ raw: number; gzip: number }> {
  const out = await build({
    stdin: { contents, resolveDir: ROOT, loader: "ts" },
    bundle: true,
    minify: true,
    format: "iife",
    target: "es2022",
    write: false,
    logLevel: "silent",
    conditions: ["browser", "production", "module", "import", "default"],
    define: { "process.env.NODE_ENV": '"production"' },
  });
  const text = out.outputFiles[0]!.contents;
  return { raw: text.length, gzip: gz(text) };
}

export async function bundleSize(opts: BenchOptions): Promise<Section> {
  ensureDist(opts.log);
  const file = (name: string) => join(ROOT, "dist", name);
  const loader = readFileSync(file("ai-chat-stream.iife.js"));
  const chat = readFileSync(file("ai-chat-stream.chat.js"));
  const es = readFileSync(file("ai-chat-stream.js"));
  const loaderGz = gz(loader);
  const chatGz = gz(chat);
  // Everything a visitor's page runs by the first reply: the two files, each gzipped on its own as served.
  const iifeGz = loaderGz + chatGz;
  const esGz = gz(es);
  const builtAt = statSync(file("ai-chat-stream.iife.js")).mtime.toISOString();
  const deps: Record<string, { raw: number; gzip: number }> = {};
  for (const [name, contents] of Object.entries(DEPENDENCIES)) deps[name] = await depSize(contents);
  const depsGz = Object.values(deps).reduce((a, d) => a + d.gzip, 0);
  const chatwoot = 170 * 1024;
  const webchat = 570 * 1024;
  const rows: Row[] = [
    {
      section: "6",
      measurement: "script-tag files, loader + chat, gzip -9 each (everything included)",
      ours: kb(iifeGz),
      baseline: "Chatwoot ~170 KB; WebChat 570+ KB",
      ratio: `${(iifeGz / chatwoot).toFixed(2)}x / ${(iifeGz / webchat).toFixed(2)}x`,
      target: "≤ 55 KB",
      met: iifeGz <= 55 * 1024,
      data: { raw: loader.length + chat.length, gzip: iifeGz, loaderGzip: loaderGz, chatGzip: chatGz, builtAt },
    },
    {
      section: "6",
      measurement: "  of which the loader dist/ai-chat-stream.iife.js (all a closed launcher loads)",
      ours: kb(loaderGz),
      baseline: "",
      ratio: "",
      target: "≤ 15 KB",
      met: loaderGz <= 15 * 1024,
    },
    {
      section: "6",
      measurement: "  of which the chat dist/ai-chat-stream.chat.js (loaded on intent)",
      ours: kb(chatGz),
      baseline: "",
      ratio: "",
      target: "",
      met: null,
    },
    // Each part the chat loads beside itself only when first needed (src/parts.ts), and the largest language.
    ...readdirSync(join(ROOT, "dist"))
      .filter((name) => /^ai-chat-stream\.part\.\w+\.js$/.test(name))
      .sort()
      .map((name): Row => ({
        section: "6",
        measurement: `  part dist/${name} (loaded when first needed, not by the first reply)`,
        ours: kb(gz(readFileSync(file(name)))),
        baseline: "",
        ratio: "",
        target: "",
        met: null,
      })),
    {
      section: "6",
      measurement: "  largest language dist/ai-chat-stream.locale.<code>.js (one, for the page's lang)",
      ours: kb(
        Math.max(
          ...readdirSync(join(ROOT, "dist"))
            .filter((name) => /^ai-chat-stream\.locale\.[\w-]+\.js$/.test(name))
            .map((name) => gz(readFileSync(file(name)))),
        ),
      ),
      baseline: "",
      ratio: "",
      target: "",
      met: null,
    },
    {
      section: "6",
      measurement: "ES build dist/ai-chat-stream.js, gzip -9 (deps external)",
      ours: kb(esGz),
      baseline: "",
      ratio: "",
      target: "",
      met: null,
      data: { raw: es.length, gzip: esGz },
    },
  ];
  for (const [name, d] of Object.entries(deps)) {
    rows.push({
      section: "6",
      measurement: `  of which ${name}, alone (esbuild --minify, gzip -9)`,
      ours: kb(d.gzip),
      baseline: "",
      ratio: `${((d.gzip / iifeGz) * 100).toFixed(0)}% of both`,
      target: "",
      met: null,
    });
  }
  rows.push({
    section: "6",
    measurement: "  element code (both − the dependencies alone, approx.)",
    ours: kb(iifeGz - depsGz),
    baseline: "",
    ratio: `${(((iifeGz - depsGz) / iifeGz) * 100).toFixed(0)}% of both`,
    target: "",
    met: null,
  });
  opts.log(
    `  bundle: loader ${kb(loaderGz)} + chat ${kb(chatGz)} gz, ES ${kb(esGz)} gz; deps ${Object.entries(deps)
      .map(([n, d]) => `${n} ${kb(d.gzip)}`)
      .join(", ")}`,
  );
  return {
    rows,
    notes: [
      `6: sizes of dist/ as built at ${builtAt} (npm run build; the bench builds only when dist/ is missing). Per-dependency sizes bundle only the imports src/ uses, each alone, so they do not add up exactly (gzip shares context across one file). Baselines are the anchors in the issue (transfer sizes), not measured here.`,
    ],
    data: { deps },
  };
}
