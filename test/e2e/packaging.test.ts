// The published ES entries (dist/, from `npm run build`): the chat's never reaches the console's
// code, and a bundler that honours package.json `sideEffects` keeps a registration only from the
// define entries. Bundled with esbuild as a consumer would import the package by name.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./harness.ts";

/** The text of an ES file in dist/ and of every dist/ file it imports, transitively. */
function moduleGraph(file: string, seen = new Set<string>()): string {
  if (seen.has(file)) return "";
  seen.add(file);
  const code = readFileSync(file, "utf8");
  let text = code;
  for (const [, spec] of code.matchAll(/\bfrom\s*"(\.{1,2}\/[^"]+)"/g))
    text += moduleGraph(join(dirname(file), spec), seen);
  return text;
}

// Markers of the console's code: its class, its list controller, its stylesheet.
const CONSOLE_CODE = [/\bAiChatConsole\b/, /\bThreadListController\b/, /--ai-chat-console-list-width/];

let consumerDir: string;
beforeAll(() => {
  if (!existsSync(join(ROOT, "dist/ai-chat-stream.js")))
    throw new Error("dist/ is missing: run `npm run build` first (npm test does).");
  // A consumer project with the package installed (a link to this repository).
  consumerDir = mkdtempSync(join(tmpdir(), "ai-chat-consumer-"));
  mkdirSync(join(consumerDir, "node_modules"));
  symlinkSync(ROOT, join(consumerDir, "node_modules/ai-chat-stream"), "dir");
});
afterAll(() => rmSync(consumerDir, { recursive: true, force: true }));

/** What a bundler emits for `source` in the consumer project (the dependencies stay external). */
async function bundle(source: string): Promise<string> {
  const result = await build({
    stdin: { contents: source, resolveDir: consumerDir, loader: "js" },
    bundle: true,
    write: false,
    format: "esm",
    logLevel: "silent",
    external: ["lit", "lit/*", "@lit/*", "marked", "dompurify", "convex", "convex/*"],
  });
  return result.outputFiles[0]!.text;
}

describe("the ES build", () => {
  it("the chat's entry and everything it imports contain none of the console's code", () => {
    const chat = moduleGraph(join(ROOT, "dist/ai-chat-stream.js"));
    const consoleEntry = moduleGraph(join(ROOT, "dist/ai-chat-console.js"));
    for (const marker of CONSOLE_CODE) {
      expect(chat).not.toMatch(marker);
      expect(consoleEntry).toMatch(marker);
    }
  });

  it("importing ai-chat-stream or ai-chat-stream/console for nothing bundles to nothing", async () => {
    expect((await bundle(`import "ai-chat-stream";`)).trim()).toBe("");
    expect((await bundle(`import "ai-chat-stream/console";`)).trim()).toBe("");
  });

  it("a page that uses the chat's class never bundles the console", async () => {
    const out = await bundle(`import { AiChatStream } from "ai-chat-stream"; AiChatStream.define("my-chat");`);
    expect(out).toMatch(/\bAiChatStream = class\b/);
    for (const marker of CONSOLE_CODE) expect(out).not.toMatch(marker);
  });

  it("the define entries keep their registrations", async () => {
    const chat = await bundle(`import "ai-chat-stream/define";`);
    expect(chat).toMatch(/\bAiChatStream\.define\(\)/);
    for (const marker of CONSOLE_CODE) expect(chat).not.toMatch(marker);
    const console = await bundle(`import "ai-chat-stream/console/define";`);
    expect(console).toMatch(/\bAiChatConsole\.define\(\)/);
  });
});

describe("the script-tag files in the package", () => {
  // A site that bundles its pages can import the files' URLs (e.g. Vite's `?url`) to copy them:
  // the loader fetches the chat from its own folder, so both must be importable, and neither
  // may be dropped as side-effect free.
  it("exports the loader and the chat it loads, both kept when imported for their effect", async () => {
    for (const file of ["ai-chat-stream.iife.js", "ai-chat-stream.chat.js"]) {
      const out = await bundle(`import "ai-chat-stream/${file}";`);
      expect(out.length, file).toBeGreaterThan(readFileSync(join(ROOT, "dist", file), "utf8").length / 2);
    }
  });
});
