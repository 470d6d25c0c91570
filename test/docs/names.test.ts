// The docs name only what exists: every Convex function (`module:name`), every source file and
// every `file:Symbol` the README and the docs beside it (docs/, bench/, local-backend/) mention is checked against the tree, so
// a renamed method or a moved file cannot leave a stale hop in the docs.
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DOCS = [
  "README.md",
  "docs/architecture.md",
  "docs/local-backend.md",
  "bench/README.md",
  "local-backend/README.md",
];
const read = (path: string) => readFileSync(ROOT + path, "utf8");

/** `text` inside backticks, one entry per code span. */
function codeSpans(markdown: string): string[] {
  return [...markdown.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
}

/** Whether `source` declares `name` (a class, function, method, property, constant or export). */
function declares(source: string, name: string): boolean {
  const n = name.replace(/[$]/g, "\\$&");
  return new RegExp(
    `(class|function|const|let|interface|type|enum)\\s+${n}\\b|^\\s*(export\\s+)?(async\\s+)?(static\\s+)?(readonly\\s+)?(private\\s+|protected\\s+)?(get\\s+|set\\s+)?${n}\\s*[(<=:?]|\\b${n}\\s*[:=]\\s*(async\\s*)?\\(`,
    "m",
  ).test(source);
}

for (const doc of DOCS) {
  describe(doc, () => {
    const spans = codeSpans(read(doc));

    test("every Convex function it names exists, in the module it names", () => {
      const missing: string[] = [];
      for (const span of spans) {
        for (const m of span.matchAll(/\b([a-z][A-Za-z]*):([a-z][A-Za-z]*)\b/g)) {
          const file = `convex/${m[1]}.ts`;
          // `https:`, `mailto:` and the like are not modules of ours.
          if (!existsSync(ROOT + file)) continue;
          if (!new RegExp(`export const ${m[2]}\\b`).test(read(file))) missing.push(`${m[1]}:${m[2]}`);
        }
      }
      expect(missing).toEqual([]);
    });

    test("every source file it names exists, and every file:Symbol it names is declared there", () => {
      const missing: string[] = [];
      for (const span of spans) {
        for (const m of span.matchAll(
          /(?<![\w./-])((?:src|convex|local-backend|bench|test|scripts)\/[\w./-]+\.(?:ts|mjs))(?::([\w$.]+))?/g,
        )) {
          const [, file, symbol] = m;
          if (!existsSync(ROOT + file!)) {
            missing.push(file!);
            continue;
          }
          if (!symbol) continue;
          const source = read(file!);
          for (const part of symbol.split(".")) if (!declares(source, part)) missing.push(`${file}:${symbol}`);
        }
      }
      expect(missing).toEqual([]);
    });
  });
}
