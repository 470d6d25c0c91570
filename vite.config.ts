// Three library builds, chosen by `mode` (scripts/build.mjs runs them all):
//   es           -> dist/ai-chat-stream.js        ES module, dependencies external (for bundlers)
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
  const entry = mode === "iife" ? "src/widget.ts" : "src/index.ts";
  const fileName = { es: "ai-chat-stream.js", iife: "ai-chat-stream.iife.js", "iife-console": "ai-chat-console.iife.js" }[mode];
  if (!fileName) throw new Error(`unknown build mode ${mode}: es, iife or iife-console`);
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
        entry,
        formats: [iife ? "iife" : "es"],
        name: "AiChatStreamElement",
        fileName: () => fileName,
      },
      rolldownOptions: {
        external: iife ? [] : (id: string) => EXTERNAL.test(id),
      },
    },
  };
});
