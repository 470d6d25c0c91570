// Four library builds, chosen by `mode` (scripts/build.mjs runs them all):
//   es           -> the package entries as ES modules, dependencies external (for bundlers):
//                   dist/ai-chat-stream.js                the chat's classes (registers nothing)
//                   dist/ai-chat-stream-define.js         the same, registers <ai-chat-stream>
//                   dist/ai-chat-console.js               the console's classes (registers nothing)
//                   dist/ai-chat-console-define.js        the same, registers both tags
//                   The console entries import the chat's file; the chat's never import the console's.
//                   The chat inside the element is a dynamic import(), so a chunk of its own (dist/chunks/).
//   iife         -> dist/ai-chat-stream.iife.js   the loader: <ai-chat-stream>'s shell, Lit, the tag
//   iife-chat    -> dist/ai-chat-stream.chat.js   the chat the loader loads from beside itself when wanted
//   iife-console -> dist/ai-chat-console.iife.js  one file with both elements, chat included
// scripts/build.mjs adds dist/ai-chat-stream.locale.<code>.js, one classic script per built-in
// language, which the chat script and the console's file load from beside themselves; the ES
// build splits each language into a chunk of its own.
// Visitors' pages load the loader, then the chat on intent, and never the operator console.
// None uses eval or inline scripts; Lit adopts its styles as constructable stylesheets,
// so the widget runs under a strict Content-Security-Policy.
import { fileURLToPath } from "node:url";
import { build as esbuild } from "esbuild";
import { defineConfig, type Plugin, type UserConfig } from "vite";

const src = (path: string) => fileURLToPath(new URL(`src/${path}`, import.meta.url));

/** Lit's css`` templates are plain strings to a minifier: squeeze comments and whitespace out. */
function minifyLitCss(): Plugin {
  return {
    name: "minify-lit-css",
    transform(code, id) {
      if (!/\.styles\.ts$/.test(id)) return null;
      const out = code.replace(/css`([^`]*)`/g, (_, body: string) => {
        const min = body
          .replace(/\/\*[\s\S]*?\*\//g, "")
          .replace(/\s+/g, " ")
          .replace(/\s*([{};,>])\s*/g, "$1")
          .replace(/:\s+/g, ":")
          .replace(/;}/g, "}")
          .trim();
        return `css\`${min}\``;
      });
      // Only CSS text inside *.styles.ts changes; those files get no source map (there is no
      // logic in them to debug), which is what `map: null` says.
      return { code: out, map: null };
    },
  };
}

/** The names a module exports, as esbuild sees them. */
async function exportsOf(entry: string): Promise<string[]> {
  const out = await esbuild({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    write: false,
    metafile: true,
    logLevel: "silent",
    conditions: ["browser", "production", "module", "import", "default"],
  });
  return Object.values(out.metafile.outputs)[0]!.exports;
}

/**
 * The chat script takes Lit and events.ts from the loader (src/shell/hand-off.ts) instead of bundling
 * its own copies: one Lit on the page, and the event classes the page can test with `instanceof`.
 * Lit's directives stay in the chat; their import of lit-html's core goes to the loader's Lit.
 */
async function fromHandOff(): Promise<Plugin> {
  const shared: Record<string, string[]> = {
    lit: await exportsOf("lit"),
    events: await exportsOf(src("events.ts")),
  };
  // Resolved files (browser, production): lit's entry, lit-html's core, our events module.
  const keyOf = (id: string) =>
    /[\\/]node_modules[\\/](lit[\\/]index|lit-html[\\/]lit-html)\.js$/.test(id)
      ? "lit"
      : id === src("events.ts")
        ? "events"
        : null;
  return {
    name: "from-hand-off",
    // Before Vite's own resolver, which would otherwise resolve Lit to its files first.
    enforce: "pre",
    async resolveId(source, importer, options) {
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      const key = resolved && keyOf(resolved.id);
      return key ? `\0hand-off:${key}` : null;
    },
    load(id) {
      if (!id.startsWith("\0hand-off:")) return null;
      const key = id.slice("\0hand-off:".length);
      // Each name is read by a call marked pure, so the bundler drops the names the chat never
      // uses (a plain `shared.name` read is kept: it could run a getter).
      return [
        `import { handOff } from ${JSON.stringify(src("shell/hand-off.ts"))};`,
        `const shared = handOff().${key};`,
        `const pick = (name) => shared[name];`,
        ...shared[key]!.map((name) => `export const ${name} = /* @__PURE__ */ pick(${JSON.stringify(name)});`),
      ].join("\n");
    },
  };
}

const EXTERNAL = /^(lit|@lit|@lit-labs|marked|dompurify|convex|highlight\.js)(\/|$)/;

export default defineConfig(async ({ mode }): Promise<UserConfig> => {
  const iife = mode.startsWith("iife");
  // Output name (without .js) -> source entry.
  const entries: Record<string, string> | undefined = {
    es: {
      "ai-chat-stream": "src/index.ts",
      "ai-chat-stream-define": "src/ai-chat-stream-define.ts",
      "ai-chat-console": "src/console.ts",
      "ai-chat-console-define": "src/ai-chat-console-define.ts",
    },
    iife: { "ai-chat-stream.iife": "src/shell/loader.script.ts" },
    "iife-chat": { "ai-chat-stream.chat": "src/chat/chat-view.script.ts" },
    "iife-console": { "ai-chat-console.iife": "src/ai-chat-console.script.ts" },
  }[mode];
  if (!entries) throw new Error(`unknown build mode ${mode}: es, iife, iife-chat or iife-console`);
  const plugins = [minifyLitCss()];
  if (mode === "iife-chat") plugins.push(await fromHandOff());
  // The console file's entry imports beside-script.ts first for its side effect (reading
  // document.currentScript while the file runs, src/ai-chat-console.script.ts); package.json's
  // sideEffects names only dist files, so the bundler would drop the import.
  if (mode === "iife-console") {
    plugins.push({
      name: "beside-script-has-side-effects",
      transform: (code, id) => (id === src("beside-script.ts") ? { code, moduleSideEffects: true } : null),
    });
  }
  return {
    // The demo pages have their own dev server; the library build reads only src/.
    publicDir: false,
    plugins,
    define: { "process.env.NODE_ENV": JSON.stringify("production") },
    resolve: {
      conditions: ["browser", "production", "module", "import", "default"],
      // The loader loads the chat as a script from beside itself (an IIFE cannot import()).
      // The chat script and the console's one file load a language as a script from beside themselves.
      alias: [
        ...(mode === "iife"
          ? [{ find: /^\.\/load-chat-view\.js$/, replacement: src("shell/load-chat-view.script.ts") }]
          : []),
        ...(mode === "iife-chat" || mode === "iife-console"
          ? [
              { find: /^\.{1,2}\/load-locale\.js$/, replacement: src("load-locale.script.ts") },
              { find: /^\.{1,2}\/parts\.js$/, replacement: src("parts.script.ts") },
              // ConvexClient's token refresh, which neither element uses (src/convex-no-auth.ts).
              { find: /^\.\/authentication_manager\.js$/, replacement: src("convex-no-auth.ts") },
              { find: /^\.\.\/\.\.\/vendor\/jwt-decode\/index\.js$/, replacement: src("convex-no-auth.ts") },
              // ConvexClient's paginated queries, which neither element uses (src/convex-no-pagination.ts).
              { find: /^\.\/sync\/paginated_query_client\.js$/, replacement: src("convex-no-pagination.ts") },
            ]
          : []),
      ],
    },
    build: {
      target: "es2022",
      outDir: "dist",
      emptyOutDir: false,
      sourcemap: true,
      minify: iife,
      reportCompressedSize: false,
      lib: {
        entry: entries,
        formats: [iife ? "iife" : "es"],
        name: "AiChatStreamElement",
        fileName: (_format, entryName) => `${entryName}.js`,
      },
      rolldownOptions: {
        external: iife ? [] : (id: string) => EXTERNAL.test(id),
        // The console's one file inlines the chat; the ES build's chat chunk gets a stable name.
        output: iife ? { codeSplitting: false } : { chunkFileNames: "chunks/[name]-[hash].js" },
        preserveEntrySignatures: "allow-extension",
      },
    },
  };
});
