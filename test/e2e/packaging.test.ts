// The published ES entries (dist/, from `npm run build`): the chat's never reaches the console's
// code, and a bundler that honours package.json `sideEffects` keeps a registration only from the
// define entries. Bundled with esbuild as a consumer would import the package by name.
// Then the tarball `npm pack` makes: exactly the files users need (published-package.ts).
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packTarball } from "../../scripts/check-package.mjs";
import { ROOT } from "./harness.ts";
import { isUnpackedConvexFile, MODULE_ENTRIES, NEVER_PACKED, PACKED } from "./published-package.ts";

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

describe("the tarball npm pack makes", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
    main: string;
    module: string;
    types: string;
    customElements: string;
    sideEffects: string[];
    exports: Record<string, string | Record<string, string>>;
    files: string[];
  };
  let packDir: string;
  let files: string[];
  beforeAll(() => {
    packDir = mkdtempSync(join(tmpdir(), "ai-chat-pack-"));
    ({ files } = packTarball(packDir));
  });
  afterAll(() => rmSync(packDir, { recursive: true, force: true }));

  it("holds no file that is not listed in PACKED, and none of tests, demo, tooling, local state or .env", () => {
    const problems: string[] = [];
    for (const file of files) {
      const never = NEVER_PACKED.find((rule) => rule.files.test(file));
      if (never) problems.push(`${file}: ${never.why}`);
      else if (!PACKED.some((rule) => rule.files.test(file))) problems.push(`${file}: unexpected (no PACKED rule)`);
    }
    expect(problems).toEqual([]);
  });

  it("holds every file package.json points at: main, module, types, the manifest, each export and sideEffects entry", () => {
    const targets = [pkg.main, pkg.module, pkg.types, pkg.customElements, ...pkg.sideEffects];
    for (const target of Object.values(pkg.exports))
      targets.push(...(typeof target === "string" ? [target] : Object.values(target)));
    const missing = [...new Set(targets.map((t) => posix.normalize(t)))].filter((t) => !files.includes(t));
    expect(missing).toEqual([]);
    for (const doc of ["README.md", "LICENSE", "CHANGELOG.md"]) expect(files).toContain(doc);
  });

  it("has every module entry, and only those, with types (published-package.ts lists one consumer file each)", () => {
    const withTypes = Object.entries(pkg.exports)
      .filter(([, target]) => typeof target !== "string" && "types" in target)
      .map(([entry]) => entry);
    const modules = Object.entries(pkg.exports)
      .filter(([, target]) => typeof target !== "string")
      .map(([entry]) => entry);
    expect(modules).toEqual(withTypes);
    expect(modules).toEqual(MODULE_ENTRIES.map((e) => e.entry));
  });

  it("holds every file each packed script imports (chunks included)", () => {
    const missing: string[] = [];
    for (const file of files.filter((f) => f.startsWith("dist/") && f.endsWith(".js"))) {
      const code = readFileSync(join(ROOT, file), "utf8");
      for (const [, spec] of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)"(\.{1,2}\/[^"]+)"/g)) {
        const target = posix.join(posix.dirname(file), spec);
        if (!files.includes(target)) missing.push(`${file} imports ${spec}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("holds the backend users deploy: every file of convex/ and app/ that git tracks, but tests and .env files", () => {
    const tracked = execFileSync("git", ["ls-files", "convex", "app"], { cwd: ROOT, encoding: "utf8" })
      .split("\n")
      .filter((f) => f && !isUnpackedConvexFile(f));
    expect(tracked).toContain("convex/schema.ts");
    expect(tracked).toContain("app/convex.config.ts");
    expect(files.filter((f) => f.startsWith("convex/") || f.startsWith("app/"))).toEqual(tracked.sort());
  });

  it("leaves out a .env file or a test someone puts in convex/", () => {
    // The package's own `files` rules, on a copy with such files planted (the checkout is not touched).
    const copy = join(packDir, "copy");
    for (const entry of ["package.json", ...pkg.files.filter((f) => !f.startsWith("!"))])
      cpSync(join(ROOT, entry), join(copy, entry), { recursive: true });
    const planted = [
      "convex/.env",
      "convex/.env.local",
      "convex/lib/.env.production",
      "convex/threads.test.ts",
      "app/.env.local",
      "app/threads.test.ts",
    ];
    for (const file of planted) writeFileSync(join(copy, file), "OPENAI_API_KEY=sk-planted\n");
    const listed = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
      cwd: copy,
      encoding: "utf8",
    });
    const packed = (JSON.parse(listed) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(packed).toContain("convex/schema.ts");
    expect(packed.filter((f) => planted.includes(f))).toEqual([]);
  });
});
