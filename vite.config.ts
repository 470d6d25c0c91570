// Two library builds of the element, chosen by `mode` (scripts/build.mjs runs both):
//   es   -> dist/ai-chat-stream.js       ES module, dependencies external (for bundlers)
//   iife -> dist/ai-chat-stream.iife.js  one file with everything, defines <ai-chat-stream>
// Neither uses eval or inline scripts; Lit adopts its styles as constructable stylesheets,
// so the widget runs under a strict Content-Security-Policy.
import { defineConfig, type Plugin } from "vite";

/** Lit's css`` templates are plain strings to a minifier: squeeze comments and whitespace out. */
function minifyLitCss(): Plugin {
  return {
    name: "minify-lit-css",
    transform(code, id) {
      if (!/\.styles\.ts$/.test(id)) return null;
      return code.replace(/css`([^`]*)`/g, (_, body: string) => {
        const min = body
          .replace(/\/\*[\s\S]*?\*\//g, "")
          .replace(/\s+/g, " ")
          .replace(/\s*([{};,>])\s*/g, "$1")
          .replace(/:\s+/g, ":")
          .replace(/;}/g, "}")
          .trim();
        return `css\`${min}\``;
      });
    },
  };
}

const EXTERNAL = /^(lit|@lit|@lit-labs|marked|dompurify|convex)(\/|$)/;

export default defineConfig(({ mode }) => {
  const iife = mode === "iife";
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
        entry: "src/index.ts",
        formats: [iife ? "iife" : "es"],
        name: "AiChatStreamElement",
        fileName: () => (iife ? "ai-chat-stream.iife.js" : "ai-chat-stream.js"),
      },
      rolldownOptions: {
        external: iife ? [] : (id: string) => EXTERNAL.test(id),
      },
    },
  };
});
