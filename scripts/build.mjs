// `npm run build`: the package entries as ES modules (deps external), the self-contained IIFEs,
// type declarations, and custom-elements.json from source; then the gzipped sizes.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { build as esbuild } from "esbuild";
import { build } from "vite";

const root = fileURLToPath(new URL("..", import.meta.url));
process.chdir(root);
// The libraries alone (ConvexClient 17.0 without the auth and pagination src/convex-no-*.ts
// replace, marked 15.3, DOMPurify 12.0, Lit 6.0 KB gzipped) are ~50 KB. A page with a closed launcher loads only the loader (Lit, the shell, its styles): at
// most 15 KB. Loader and chat together are all a visitor's page loads by the first reply: at most
// 75 KB (`npm run bench` rows 6 and 8). The budgets catch the chat's code reaching the loader, a
// second Lit, a dependency pulled in by accident or a dev build of Lit; anything new the chat
// needs only sometimes belongs in a chunk of its own, loaded when first needed.
const BUDGETS_GZIP = {
  "dist/ai-chat-stream.iife.js": 15 * 1024,
  "dist/ai-chat-stream.chat.js": 61 * 1024,
  // 85 KB: the operator's page, never a visitor's, carries human handoff (the takeover bar, the
  // reply form, the waiting list, filter and search: 80.2 -> 82.0 KB) and the open thread's
  // actions (export, share, delete, the phone back button) and file chips: 83.3 KB. The chat's
  // parts still load beside it when first needed. Its next feature should be a part of its own.
  "dist/ai-chat-console.iife.js": 85 * 1024,
};
/** Files a visitor's page loads together, and their budget as a sum. */
const TOTALS_GZIP = [
  { name: "loader + chat", files: ["dist/ai-chat-stream.iife.js", "dist/ai-chat-stream.chat.js"], budget: 75 * 1024 },
];

/**
 * Gives every relative import in the emitted declarations its `.js` extension. Under node16/nodenext
 * resolution (a TypeScript user whose package is `"type": "module"`) an extensionless
 * `from "../convex/lib/errors"` does not resolve, and whatever it carried becomes `any`. The source
 * may leave the extension out (bundler resolution allows it; src/api.ts does); the published
 * declarations may not. Returns how many specifiers it rewrote.
 */
function addDeclarationExtensions(dir) {
  let rewritten = 0;
  for (const entry of readdirSync(dir, { recursive: true })) {
    const file = join(dir, entry);
    if (!file.endsWith(".d.ts")) continue;
    const code = readFileSync(file, "utf8");
    const fixed = code.replace(/(\bfrom\s*|\bimport\s*\(\s*)(["'])(\.{1,2}\/[^"']*)\2/g, (whole, lead, quote, spec) => {
      if (/\.(m?js|json)$/.test(spec)) return whole;
      const target = join(dirname(file), spec);
      const resolved = existsSync(`${target}.d.ts`)
        ? `${spec}.js`
        : existsSync(join(target, "index.d.ts"))
          ? `${spec}/index.js`
          : null;
      if (!resolved) throw new Error(`${file}: cannot resolve ${spec} to a declaration file`);
      rewritten++;
      return `${lead}${quote}${resolved}${quote}`;
    });
    if (fixed !== code) writeFileSync(file, fixed);
  }
  return rewritten;
}

/**
 * Removes the declarations no package entry reaches. The app's function modules enter the type
 * program only through src/api.ts's internal, stripped references (typed from
 * `convex/_generated/api`); their declarations are not part of the package's types.
 */
function pruneUnreachableDeclarations(dir, entries) {
  const reached = new Set();
  const queue = entries.map((e) => join(dir, e));
  while (queue.length) {
    const file = queue.pop();
    if (reached.has(file) || !existsSync(file)) continue;
    reached.add(file);
    const code = readFileSync(file, "utf8");
    for (const m of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)(["'])(\.{1,2}\/[^"']*)\1/g)) {
      const target = join(dirname(file), m[2].replace(/\.js$/, ""));
      queue.push(`${target}.d.ts`, join(target, "index.d.ts"));
    }
  }
  let removed = 0;
  for (const entry of readdirSync(dir, { recursive: true })) {
    const file = join(dir, entry);
    if (file.endsWith(".d.ts") && !reached.has(file)) {
      rmSync(file);
      removed++;
    }
  }
  return removed;
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: "inherit", shell: process.platform === "win32" });
  if (r.status !== 0) {
    console.error(`✗ ${cmd} ${args.join(" ")} failed`);
    process.exit(r.status || 1);
  }
}

// `--script-tags`: only the script-tag files, for `npm start` (its pages load those; the rest of
// the demo runs from source), skipping the ES build, declarations and the manifest.
const scriptTagsOnly = process.argv.includes("--script-tags");

rmSync("dist", { recursive: true, force: true });
for (const mode of scriptTagsOnly
  ? ["iife", "iife-chat", "iife-console"]
  : ["es", "iife", "iife-chat", "iife-console"]) {
  await build({ configFile: "vite.config.ts", mode, logLevel: "warn" });
}
/**
 * Classic scripts that the script-tag chat loads from beside itself: `entries` maps each output
 * name (`dist/<name>.js`) to the module source that registers what it carries.
 */
async function buildBesideChat(entries) {
  await esbuild({
    entryPoints: Object.fromEntries(Object.keys(entries).map((name) => [name, `beside:${name}`])),
    outdir: "dist",
    bundle: true,
    format: "iife",
    minify: true,
    target: "es2022",
    charset: "utf8",
    logLevel: "warning",
    plugins: [
      {
        name: "beside-chat-entries",
        setup(b) {
          b.onResolve({ filter: /^beside:/ }, (a) => ({ path: a.path.slice("beside:".length), namespace: "beside" }));
          // convex's package.json does not say its modules are free of side effects, so esbuild
          // would keep its validators and schema builders beside `anyApi` (src/api.ts): most of
          // the history part. They are free of them (the chat's build drops them too).
          b.onResolve({ filter: /.*/ }, async (a) => {
            if (a.pluginData === "resolving") return undefined;
            const { path, kind, resolveDir, importer } = a;
            const r = await b.resolve(path, { kind, resolveDir, importer, pluginData: "resolving" });
            return /[\\/]node_modules[\\/]convex[\\/]/.test(r.path) ? { ...r, sideEffects: false } : undefined;
          });
          b.onLoad({ filter: /.*/, namespace: "beside" }, (a) => ({
            resolveDir: root,
            loader: "ts",
            contents: entries[a.path],
          }));
        },
      },
    ],
  });
}

// One per built-in language, registering its strings in src/locale-registry.ts: the chat loads
// only the one the page's `lang` asks for.
const LOCALES = readdirSync("src/locales")
  .filter((f) => f.endsWith(".ts"))
  .map((f) => f.slice(0, -3));
// One per part the chat loads only when first needed (src/parts.ts), putting its module in
// src/parts-registry.ts.
const PARTS = {
  humanCheck: "src/reply/human-check.ts",
  earlier: "src/controllers/earlier.ts",
  attachments: "src/attach/attachments.ts",
  actions: "src/actions/message-actions.ts",
  highlight: "src/markdown/highlight.ts",
  history: "src/history/history.ts",
  suggestions: "src/chat/suggestions.ts",
  handoff: "src/handoff/visitor.ts",
  attach: "src/attach/compose.ts",
};
await buildBesideChat({
  ...Object.fromEntries(
    LOCALES.map((code) => [
      `ai-chat-stream.locale.${code}`,
      `import strings from "./src/locales/${code}.ts";
import { localeRegistry } from "./src/locale-registry.ts";
localeRegistry()[${JSON.stringify(code)}] = strings;`,
    ]),
  ),
  ...Object.fromEntries(
    Object.entries(PARTS).map(([name, file]) => [
      `ai-chat-stream.part.${name}`,
      `import * as part from "./${file}";
import { partsRegistry } from "./src/parts-registry.ts";
partsRegistry()[${JSON.stringify(name)}] = part;`,
    ]),
  ),
});

if (!scriptTagsOnly) {
  run("npx", ["tsc", "-p", "tsconfig.build.json"]);
  // Every `types` package.json's exports name: the declarations a user can reach start there.
  const exportsMap = JSON.parse(readFileSync("package.json", "utf8")).exports;
  const entries = Object.values(exportsMap)
    .map((target) => (typeof target === "object" ? target.types : null))
    .filter((types) => typeof types === "string")
    .map((types) => types.replace(/^\.\/dist\/types\//, ""));
  const pruned = pruneUnreachableDeclarations("dist/types", entries);
  if (pruned) console.log(`dist/types: ${pruned} declarations no entry reaches left out`);
  const rewritten = addDeclarationExtensions("dist/types");
  if (rewritten) console.log(`dist/types: ${rewritten} extensionless relative imports given their .js extension`);
  run("npx", ["cem", "analyze", "--litelement", "--globs", "src/**/*.ts", "--outdir", "."]);
}

// A strict CSP forbids eval and friends; fail the build rather than ship them.
for (const file of Object.keys(BUDGETS_GZIP)) {
  const evalLike = readFileSync(file, "utf8").match(/\beval\(|new Function\(/);
  if (evalLike) {
    console.error(`✗ ${file} contains ${evalLike[0]}: it would break under a strict CSP`);
    process.exit(1);
  }
}

// A part runs beside the chat, which has Lit: it renders with the chat's (`chat.html`, or `html`
// passed in). lit-html's core in a part file (its `litHtmlVersions` marker) is a second copy, 3 KB gz.
for (const name of Object.keys(PARTS)) {
  const file = `dist/ai-chat-stream.part.${name}.js`;
  if (readFileSync(file, "utf8").includes("litHtmlVersions")) {
    console.error(`✗ ${file} bundles its own lit-html: render with the chat's, as src/handoff/visitor.ts does`);
    process.exit(1);
  }
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log("\nfile                              size       gzip -9");
const over = [];
const gzipped = {};
const reported = scriptTagsOnly
  ? Object.keys(BUDGETS_GZIP)
  : ["dist/ai-chat-stream.js", "dist/ai-chat-console.js", ...Object.keys(BUDGETS_GZIP), "custom-elements.json"];
for (const file of reported) {
  const gz = (gzipped[file] = gzipSync(readFileSync(file), { level: 9 }).length);
  console.log(`${file.padEnd(34)}${kb(statSync(file).size).padStart(9)}  ${kb(gz).padStart(9)}`);
  if (BUDGETS_GZIP[file] && gz > BUDGETS_GZIP[file])
    over.push(`${file} is ${kb(gz)} gzipped, over its ${kb(BUDGETS_GZIP[file])} budget`);
}
const localeSizes = LOCALES.map(
  (code) => gzipSync(readFileSync(`dist/ai-chat-stream.locale.${code}.js`), { level: 9 }).length,
);
console.log(
  `${`dist/ai-chat-stream.locale.*.js (${LOCALES.length})`.padEnd(34)}${"".padStart(9)}  ${kb(Math.max(...localeSizes)).padStart(9)} at most`,
);
for (const { name, files, budget } of TOTALS_GZIP) {
  const sum = files.reduce((total, file) => total + gzipped[file], 0);
  console.log(`${name.padEnd(34)}${"".padStart(9)}  ${kb(sum).padStart(9)}`);
  if (sum > budget) over.push(`${name} is ${kb(sum)} gzipped, over its ${kb(budget)} budget`);
}
if (over.length) {
  for (const line of over) console.error(`✗ ${line}`);
  process.exit(1);
}
console.log("✓ script-tag builds within their gzip budgets");
