// Three library builds, chosen by `mode` (scripts/build.mjs runs them all):
//   es           -> the package entries as ES modules, dependencies external (for bundlers):
//                   dist/ai-chat-stream.js                the chat's classes (registers nothing)
//                   dist/ai-chat-stream-define.js         the same, registers <ai-chat-stream>
//                   dist/ai-chat-console.js               the console's classes (registers nothing)
//                   dist/ai-chat-console-define.js        the same, registers both tags
//                   The console entries import the chat's file; the chat's never import the console's.
//   iife         -> dist/ai-chat-stream.iife.js   one file with everything, defines <ai-chat-stream>
//   iife-console -> dist/ai-chat-console.iife.js  the same plus the operator console <ai-chat-console>
// Visitors' pages load only the first IIFE, so they never pay for the operator console.
// Neither uses eval or inline scripts; Lit adopts its styles as constructable stylesheets,
// so the widget runs under a strict Content-Security-Policy.
import { defineConfig, type Plugin } from "vite";

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

const EXTERNAL = /^(lit|@lit|@lit-labs|marked|dompurify|convex)(\/|$)/;

export default defineConfig(({ mode }) => {
  const iife = mode.startsWith("iife");
  // Output name (without .js) -> source entry. The script-tag builds are the define entries.
  const entries: Record<string, string> | undefined = {
    es: {
      "ai-chat-stream": "src/index.ts",
      "ai-chat-stream-define": "src/ai-chat-stream-define.ts",
      "ai-chat-console": "src/console.ts",
      "ai-chat-console-define": "src/ai-chat-console-define.ts",
    },
    iife: { "ai-chat-stream.iife": "src/ai-chat-stream-define.ts" },
    "iife-console": { "ai-chat-console.iife": "src/ai-chat-console-define.ts" },
  }[mode];
  if (!entries) throw new Error(`unknown build mode ${mode}: es, iife or iife-console`);
  return {
    // The demo pages have their own dev server; the library build reads only src/.
    publicDir: false,
    plugins: [minifyLitCss()],
    define: { "process.env.NODE_ENV": JSON.stringify("production") },
    resolve: { conditions: ["browser", "production", "module", "import", "default"] },
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
        // Code shared by entries that is not itself an entry (none today) gets a stable name.
        output: { chunkFileNames: "chunks/[name]-[hash].js" },
        preserveEntrySignatures: "allow-extension",
      },
    },
  };
});
