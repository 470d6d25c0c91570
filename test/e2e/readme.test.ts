// The README documents the deployment's environment variables: the names in its table must be
// exactly those convex/ reads, with the same defaults (issue 25: `DEMO_TOKEN_DELAY_MS` was
// documented as 25 while `npm start` used 30, and `REPLY_LEASE_MS` was read but not listed).
// Also: every relative link and anchor in the README and the docs it was split into resolves.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_FLUSH_OPTIONS } from "../../convex/lib/flushPolicy.ts";
import { ROOT } from "./harness.ts";

const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const readme = read("README.md");

/** The rows of the README's environment-variable table: each name with its documented default cell. */
function documented(): Map<string, string> {
  const section = readme.split("### Environment variables")[1]!.split("\n### ")[0]!;
  const rows = new Map<string, string>();
  for (const line of section.split("\n").filter((l) => /^\| `/.test(l))) {
    const [names, defaults] = line.split(" | ").map((c) => c.replace(/^\| /, ""));
    const list = [...names!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!);
    const parts = defaults!.split(/,\s*/);
    list.forEach((name, i) => rows.set(name, list.length > 1 && parts.length === list.length ? parts[i]! : defaults!));
  }
  return rows;
}

/** The deployed code's source files, convex/ (the component) and app/ (the standalone app; not _generated), path -> text. */
function convexSources(): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const f of readdirSync(join(ROOT, dir))) {
      const path = `${dir}/${f}`;
      if (f === "_generated") continue;
      if (statSync(join(ROOT, path)).isDirectory()) walk(path);
      else if (f.endsWith(".ts")) out.set(path, read(path));
    }
  };
  walk("convex");
  walk("app");
  return out;
}

/** Every environment variable convex/ reads, with the files that read it. */
function readByCode(): Map<string, string[]> {
  const reads = new Map<string, string[]>();
  const add = (name: string, file: string) => reads.set(name, [...new Set([...(reads.get(name) ?? []), file])]);
  for (const [file, text] of convexSources()) {
    for (const m of text.matchAll(/\benv(?:\.|\[")([A-Z][A-Z0-9_]{2,})/g)) add(m[1]!, file);
    for (const m of text.matchAll(/\b(?:envInt|setting|optional|required)\(\s*(?:env,\s*)?"([A-Z][A-Z0-9_]{2,})"/g))
      add(m[1]!, file);
  }
  return reads;
}

const digits = (s: string) => s.replace(/[_,]/g, "");

describe("README: environment variables", () => {
  it("lists exactly the variables convex/ reads", () => {
    expect([...documented().keys()].sort()).toEqual([...readByCode().keys()].sort());
  });

  it("documents the defaults the code uses", () => {
    const sources = convexSources();
    const reads = readByCode();
    const flush: Record<string, string> = {
      STREAM_CHUNK_BY: String(DEFAULT_FLUSH_OPTIONS.chunkBy),
      STREAM_FLUSH_MS: String(DEFAULT_FLUSH_OPTIONS.maxDelayMs),
      STREAM_MAX_WRITES_PER_SEC: String(DEFAULT_FLUSH_OPTIONS.maxWritesPerSec),
    };
    let checked = 0;
    for (const [name, cell] of documented()) {
      const values = [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
      if (values.length === 0) continue; // "—", or words ("half the global rate")
      const text = (reads.get(name) ?? []).map((f) => sources.get(f)).join("\n");
      for (const value of values) {
        checked++;
        if (name in flush) {
          expect(flush[name], name).toBe(value);
        } else if (/^\d[\d,]*$/.test(value)) {
          const literal = new RegExp(`envInt\\("${name}",\\s*([\\w_]+)`).exec(text)?.[1];
          const constant =
            literal && /^[A-Z_]+$/.test(literal) ? new RegExp(`const ${literal} = ([\\d_]+)`).exec(text)?.[1] : null;
          const named = new RegExp(`const DEFAULT_${name} = ([\\d_]+)`).exec(text)?.[1];
          // Or a fallback written just after the read (`… ? hours : 12`, `?? 12`).
          const at = text.indexOf(`env.${name}`);
          const inline = at >= 0 ? /(?:\?\?|:)\s*([\d_]+)\b/.exec(text.slice(at, at + 200))?.[1] : undefined;
          const found = constant ?? (literal && /^\d/.test(literal) ? literal : null) ?? named ?? inline;
          expect(found && digits(found), `${name}'s default in convex/`).toBe(digits(value));
        } else if (name === "ANTHROPIC_BASE_URL") {
          // Unset, the provider SDK uses its own endpoint: its API URL with `/v1`.
          const sdk = read("node_modules/@ai-sdk/anthropic/dist/index.mjs");
          const api = /ANTHROPIC_API_URL = "([^"]+)"/.exec(sdk)?.[1];
          expect(sdk).toContain("`${ANTHROPIC_API_URL}/v1`");
          expect(`${api}/v1`).toBe(value);
        } else {
          expect(text, `${name}'s default ${value} in convex/`).toContain(`"${value}"`);
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it("says what npm start changes", () => {
    const start = /DEMO_TOKEN_DELAY_MS \?\? "(\d+)"/.exec(read("scripts/start.mjs"))?.[1];
    expect(start).toBeDefined();
    const row = readme.split("\n").find((l) => l.startsWith("| `DEMO_TOKEN_DELAY_MS`"))!;
    expect(row).toContain(`\`npm start\` sets \`${start}\``);
  });
});

describe("README and the docs split from it", () => {
  const slug = (h: string) =>
    h
      .trim()
      .toLowerCase()
      .replace(/[^\w\- ]/g, "")
      .replace(/ /g, "-");
  const headings = (text: string) => new Set([...text.matchAll(/^#+ (.*)$/gm)].map((m) => slug(m[1]!)));

  const docs = readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`);
  for (const doc of ["README.md", ...docs, "bench/README.md", "local-backend/README.md"]) {
    it(`${doc}: every relative link and anchor resolves`, () => {
      const text = read(doc);
      const broken: string[] = [];
      for (const [, link] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^https?:/.test(link!)) continue;
        const [path, anchor] = link!.split("#");
        const target = path ? normalize(join(dirname(doc), path)) : doc;
        if (!existsSync(join(ROOT, target))) broken.push(link!);
        else if (anchor && !headings(target.endsWith(".md") ? read(target) : "").has(anchor)) broken.push(link!);
      }
      expect(broken).toEqual([]);
    });
  }

  it("keeps README.md for people using the widget: benchmarks, internals and the local backend's rules live in their own files", () => {
    expect(readme.length).toBeLessThan(60_000);
    for (const gone of [
      "## Benchmark results",
      "## How it works",
      "## Layout",
      "## The local backend",
      "### Functions",
    ])
      expect(readme, gone).not.toContain(`\n${gone}\n`);
    for (const link of ["docs/architecture.md", "bench/README.md", "docs/local-backend.md"])
      expect(readme).toContain(`](${link})`);
    const rows = [...read("bench/README.md").matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    expect(rows).toEqual([...rows].sort((a, b) => a - b));
    const rules = read("docs/local-backend.md")
      .split("\n")
      .filter((l) => l.startsWith("| ") && !l.startsWith("| rule"));
    expect(rules.length).toBe(new Set(rules.map((l) => l.split(" | ")[0])).size);
  });
});
