// 5. Rendering: a ~50 KB Markdown reply streamed into the element's renderer in Chromium, fixed
// chunks, one update per task; per-update main-thread time at 1 KB vs at 50 KB and the longest
// task, ours (incremental MarkdownStream) vs a naive full re-parse per chunk.
import { build } from "esbuild";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { ROOT } from "./lib/backend.ts";
import { launch } from "./lib/browser.ts";
import { markdownDoc } from "./lib/markdownDoc.ts";
import { median, ms, percentile, sum, type BenchOptions, type Row, type Section } from "./lib/util.ts";
import type { RenderResult } from "./pages/render.ts";

const CSS = `body{margin:0;font:15px/1.5 system-ui,sans-serif}.bubble{width:640px;padding:12px}
pre{overflow:auto;background:#f4f4f5;padding:8px}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:2px 6px}`;

export async function rendering(opts: BenchOptions): Promise<Section> {
  const size = 50 * 1024;
  const chunk = 64;
  const windowBytes = 1024;
  const text = markdownDoc(size);
  const bundle = await build({
    entryPoints: [join(ROOT, "bench/pages/render.ts")],
    bundle: true,
    format: "iife",
    minify: true,
    write: false,
    target: "es2022",
    logLevel: "silent",
  });
  const browser = await launch();
  try {
    const page = await (await browser.newContext({ viewport: { width: 800, height: 800 } })).newPage();
    await page.setContent(`<!doctype html><html><head><style>${CSS}</style></head><body></body></html>`);
    await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
    const runOnce = (mode: "ours" | "naive") =>
      page.evaluate(
        ({ mode, text, chunk }) =>
          (
            window as unknown as { __renderBench(m: string, t: string, c: number): Promise<RenderResult> }
          ).__renderBench(mode, text, chunk),
        { mode, text, chunk },
      );
    // Warm-up: JIT both paths on the first 4 KB before measuring either.
    for (const mode of ["ours", "naive"]) {
      await page.evaluate(
        ({ mode, text }) =>
          (window as unknown as { __renderBench(m: string, t: string, c: number): Promise<unknown> }).__renderBench(
            mode,
            text,
            64,
          ),
        { mode, text: text.slice(0, 4096) },
      );
    }
    const results: Record<string, RenderResult> = {};
    for (const mode of ["ours", "naive"] as const) {
      results[mode] = await runOnce(mode);
    }
    const figures = (r: RenderResult) => {
      const small = r.updates.filter((u) => u.len <= windowBytes).map((u) => u.ms);
      const large = r.updates.filter((u) => u.len > size - windowBytes).map((u) => u.ms);
      return {
        at1KB: median(small),
        at50KB: median(large),
        p95At50KB: percentile(large, 95),
        maxUpdate: Math.max(...r.updates.map((u) => u.ms)),
        longTasks: r.longTasks.length,
        longestTask: r.longTasks.length ? Math.max(...r.longTasks) : 0,
        updatesMs: sum(r.updates.map((u) => u.ms)),
        totalMs: r.totalMs,
        updates: r.updates.length,
        parseCount: r.parseCount,
      };
    };
    const ours = figures(results.ours!);
    const naive = figures(results.naive!);
    opts.log(
      `  rendering: ours ${ms(ours.at1KB, 2)} @1KB, ${ms(ours.at50KB, 2)} @50KB, max ${ms(ours.maxUpdate)}; naive ${ms(naive.at1KB, 2)} @1KB, ${ms(naive.at50KB, 2)} @50KB, max ${ms(naive.maxUpdate)}`,
    );
    const growth = (f: typeof ours) => f.at50KB / f.at1KB;
    const rows: Row[] = [
      {
        section: "5",
        measurement: `render time per frame at 1 KB (median, ${chunk} B chunks)`,
        ours: ms(ours.at1KB, 2),
        baseline: ms(naive.at1KB, 2),
        ratio: `${(ours.at1KB / naive.at1KB).toFixed(2)}x`,
        target: "",
        met: null,
      },
      {
        section: "5",
        measurement: `render time per frame at 50 KB (median; p95)`,
        ours: `${ms(ours.at50KB, 2)}; ${ms(ours.p95At50KB, 2)}`,
        baseline: `${ms(naive.at50KB, 2)}; ${ms(naive.p95At50KB, 2)}`,
        ratio: `${(ours.at50KB / naive.at50KB).toFixed(2)}x`,
        target: "",
        met: null,
      },
      {
        section: "5",
        measurement: "per-frame cost growth, 50 KB / 1 KB",
        ours: `${growth(ours).toFixed(2)}x`,
        baseline: `${growth(naive).toFixed(1)}x`,
        ratio: "",
        target: "≤ 2x",
        met: growth(ours) <= 2,
      },
      {
        section: "5",
        measurement: `longest update; long tasks (> 50 ms) over ${ours.updates} updates`,
        ours: `${ms(ours.maxUpdate)}; ${ours.longTasks}`,
        baseline: `${ms(naive.maxUpdate)}; ${naive.longTasks} (longest ${ms(naive.longestTask, 0)})`,
        ratio: `${(ours.maxUpdate / naive.maxUpdate).toFixed(2)}x`,
        target: "no task > 50 ms",
        met: ours.longTasks === 0 && ours.maxUpdate <= 50,
      },
      {
        section: "5",
        measurement: "main-thread time for the whole 50 KB reply (sum of updates)",
        ours: ms(ours.updatesMs, 0),
        baseline: ms(naive.updatesMs, 0),
        ratio: `${(ours.updatesMs / naive.updatesMs).toFixed(3)}x`,
        target: "",
        met: null,
      },
    ];
    const hostile = await hostileRow(page, opts);
    rows.push(hostile.row);
    const code = await codeRows(page, opts);
    rows.push(...code.rows);
    return {
      rows,
      notes: [
        hostile.note,
        code.note,
        `5: ${(text.length / 1024).toFixed(1)} KB of Markdown (headings, paragraphs with inline marks and links, lists, fenced code, tables, quotes) fed in ${chunk}-byte chunks, one update per task; each update is timed from the parse to a forced style/layout (what a frame pays, paint excluded). "At 1 KB" = median over updates with ≤ 1 KB of text, "at 50 KB" = the last 1 KB. Ours = MarkdownStream + identity diff of blocks, as the element renders (${ours.parseCount} block renders for ${ours.updates} updates); baseline = renderMarkdown (marked + DOMPurify) on the whole text each chunk.`,
      ],
      data: { ours, naive, chunk, bytes: text.length, hostile: hostile.data, code: code.data },
    };
  } finally {
    await browser.close();
  }
}

/** A 12,000-character line of `[`, then prose with a link in it, on the same line. */
export const HOSTILE_BRACKETS =
  "[".repeat(12_000) + " and then prose that cites [the docs](https://docs.example/x) as it goes.".repeat(8);

/** What a model can be coaxed into writing: quadratic for marked, nested deep, or just huge. */
export const HOSTILE_INPUTS: Record<string, string> = {
  "*a _ ×6000": "*a _".repeat(6000),
  "_a * ×6000": "_a *".repeat(6000),
  "**a ×8000": "**a".repeat(8000),
  "quotes 1,000 deep (one line)": ">".repeat(1000) + " deep",
  "quotes 1,000 deep (lines)": Array.from({ length: 1000 }, (_, i) => ">".repeat(i + 1) + ` q${i}`).join("\n"),
  "lists 1,000 deep (one line)": "- ".repeat(1000) + "deep",
  "lists 1,000 deep (indented)": Array.from({ length: 1000 }, (_, i) => "  ".repeat(i) + `- l${i}`).join("\n"),
  "200 KB paragraph": "word *strong* [link](https://x.example) ".repeat(5200).slice(0, 200 * 1024),
  "10,000-row table":
    "| n | square |\n|---|---|\n" + Array.from({ length: 10000 }, (_, i) => `| r${i} | **${i * i}** |`).join("\n"),
  // The streaming view's unclosed-link check backtracked once per "[" to the next "]" (issue 20).
  "[ ×12,000 then prose (one line)": HOSTILE_BRACKETS,
};
/** The baseline renders at most this much of each input once: the old renderer's cost for that much of one block, on every update. */
const BASELINE_BYTES = 24 * 1024;

type Page = Awaited<ReturnType<Awaited<ReturnType<Awaited<ReturnType<typeof launch>>["newContext"]>>["newPage"]>>;

async function hostileRow(
  page: Page,
  opts: BenchOptions,
): Promise<{ row: Row; note: string; data: Record<string, unknown> }> {
  const chunk = 512;
  const per: Record<string, { worst: number; updates: number; baseline: number }> = {};
  for (const [name, text] of Object.entries(HOSTILE_INPUTS)) {
    const r = await page.evaluate(
      ({ text, chunk }) =>
        (
          window as unknown as {
            __hostileBench(t: string, c: number): Promise<{ worst: number; updates: number; chars: number }>;
          }
        ).__hostileBench(text, chunk),
      { text, chunk },
    );
    const baseline = await page.evaluate(
      (text) => (window as unknown as { __unguardedBench(t: string): Promise<number> }).__unguardedBench(text),
      text.slice(0, BASELINE_BYTES),
    );
    per[name] = { worst: r.worst, updates: r.updates, baseline };
    opts.log(
      `  hostile ${name}: worst update ${ms(r.worst)} over ${r.updates} updates; unguarded ${(Math.min(text.length, BASELINE_BYTES) / 1024).toFixed(0)} KB once ${ms(baseline)}`,
    );
  }
  const entries = Object.entries(per);
  const [worstName, worst] = entries.reduce((a, b) => (b[1].worst > a[1].worst ? b : a));
  const [baseName, base] = entries.reduce((a, b) => (b[1].baseline > a[1].baseline ? b : a));
  return {
    row: {
      section: "5",
      measurement: `worst update on hostile input (${entries.length} inputs, ${chunk} B chunks)`,
      ours: `${ms(worst.worst)} (${worstName})`,
      baseline: `${ms(base.baseline)} (${baseName})`,
      ratio: `${(worst.worst / base.baseline).toFixed(3)}x`,
      target: "≤ 50 ms",
      met: worst.worst <= 50,
    },
    note: `5 (hostile): ${entries.map(([n]) => n).join("; ")}, each streamed as the element shows a reply being written (settledText, then MarkdownStream) in ${chunk}-byte chunks, one update per task, then the finished text once, timed through style/layout; ours = the longest single update. Baseline = one render of the first ${BASELINE_BYTES / 1024} KB of each with marked + DOMPurify unguarded (what the previous MarkdownStream paid for its growing last block on every update), the slowest shown. Per input: ${entries.map(([n, v]) => `${n} ${ms(v.worst)} vs ${ms(v.baseline)}`).join(", ")}.`,
    data: per,
  };
}

/** Six code blocks in six languages (~1 KB each) between short paragraphs: what "show me the code" replies look like. */
export function codeReply(): string {
  const blocks: [string, string][] = [
    [
      "ts",
      "export async function load(id: string): Promise<User | null> {\n  const row = await db.get(id);\n  return row ? { ...row, seen: Date.now() } : null;\n}\n",
    ],
    [
      "python",
      "def fib(n: int) -> int:\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b  # next\n    return a\n",
    ],
    [
      "sql",
      "SELECT u.id, count(o.id) AS orders\nFROM users u LEFT JOIN orders o ON o.user_id = u.id\nWHERE u.created_at > now() - interval '30 days'\nGROUP BY u.id ORDER BY orders DESC;\n",
    ],
    ["go", "func Sum(xs []int) (total int) {\n\tfor _, x := range xs {\n\t\ttotal += x\n\t}\n\treturn\n}\n"],
    ["rust", 'fn main() {\n    let v: Vec<u32> = (1..10).map(|x| x * x).collect();\n    println!("{:?}", v);\n}\n'],
    ["bash", 'for f in *.log; do\n  gzip -9 "$f" && echo "packed $f"\ndone\n'],
  ];
  return blocks
    .map(([lang, body]) => `Here is the ${lang} version:\n\n\`\`\`${lang}\n${body.repeat(4)}\`\`\`\n`)
    .join("\n");
}

/**
 * 5 (code): the highlighter's chunk size, and what a streaming code block costs per frame with it
 * loaded against without it (today's rendering), in the same page and run.
 */
async function codeRows(
  page: Page,
  opts: BenchOptions,
): Promise<{ rows: Row[]; note: string; data: Record<string, unknown> }> {
  const part = await build({
    entryPoints: [join(ROOT, "src/markdown/highlight.ts")],
    bundle: true,
    format: "iife",
    minify: true,
    write: false,
    target: "es2022",
    logLevel: "silent",
  });
  const chunkBytes = gzipSync(part.outputFiles[0]!.contents, { level: 9 }).length;
  const text = codeReply();
  const chunk = 64;
  type CodeResult = { updates: number[]; last: number; highlighted: number };
  const once = (highlight: boolean) =>
    page.evaluate(
      ({ text, chunk, highlight }) =>
        (window as unknown as { __codeBench(t: string, c: number, h: boolean): Promise<CodeResult> }).__codeBench(
          text,
          chunk,
          highlight,
        ),
      { text, chunk, highlight },
    );
  await once(true);
  await once(false);
  // Alternating runs, so drift on a shared machine falls on both sides alike.
  const withHl: CodeResult[] = [];
  const without: CodeResult[] = [];
  for (let i = 0; i < 3; i++) {
    withHl.push(await once(true));
    without.push(await once(false));
  }
  const per = (rs: CodeResult[]) => rs.flatMap((r) => r.updates);
  const hlMedian = median(per(withHl));
  const baseMedian = median(per(without));
  const hlP95 = percentile(per(withHl), 95);
  const baseP95 = percentile(per(without), 95);
  const hlLast = median(withHl.map((r) => r.last));
  const baseLast = median(without.map((r) => r.last));
  opts.log(
    `  code: highlight part ${(chunkBytes / 1024).toFixed(1)} KB gz; per frame ${ms(hlMedian, 2)} vs ${ms(baseMedian, 2)} (p95 ${ms(hlP95, 2)} vs ${ms(baseP95, 2)}); last update ${ms(hlLast, 1)} vs ${ms(baseLast, 1)}`,
  );
  return {
    rows: [
      {
        section: "5",
        measurement:
          "highlighter chunk (highlight.js core + 20 languages), gzip -9, loaded at the first fenced block naming its language",
        ours: `${(chunkBytes / 1024).toFixed(1)} KB`,
        baseline: "",
        ratio: "",
        target: "not in loader or chat",
        met: null,
      },
      {
        section: "5",
        measurement: `streaming a reply of 6 code blocks (${(text.length / 1024).toFixed(1)} KB, ${chunk} B chunks): per-frame cost, median; p95`,
        ours: `${ms(hlMedian, 2)}; ${ms(hlP95, 2)}`,
        baseline: `${ms(baseMedian, 2)}; ${ms(baseP95, 2)}`,
        ratio: `${(hlMedian / baseMedian).toFixed(2)}x`,
        target: "median ≤ 1.1x today's",
        met: hlMedian <= baseMedian * 1.1,
      },
      {
        section: "5",
        measurement: "the update that ends that reply (its last block highlighted then)",
        ours: ms(hlLast, 1),
        baseline: ms(baseLast, 1),
        ratio: `${(hlLast / baseLast).toFixed(2)}x`,
        target: "",
        met: null,
      },
    ],
    note: `5 (code): ${(text.length / 1024).toFixed(1)} KB reply of six fenced blocks (ts, python, sql, go, rust, bash) streamed as the element shows a reply being written (settledText, then MarkdownStream.update(text, streaming)) in ${chunk}-byte chunks, one update per task, then the finished text; ours = with the highlighter loaded (a block is highlighted once, when it is finished: ${withHl[0]!.highlighted} blocks at the end), baseline = the same without it (today's rendering); 3 alternating runs each after a warm-up. Chunk size: src/markdown/highlight.ts bundled and minified as the part file is.`,
    data: { chunkBytes, hlMedian, baseMedian, hlP95, baseP95, hlLast, baseLast },
  };
}
