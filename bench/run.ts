// `npm run bench [-- --quick] [--replies N] [--observers M] [--only 1,3]`: every measurement of
// issue 6, each against a baseline run in the same process, printed as one table and written to
// bench/results.json with the machine's description.
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { bundleSize } from "./bundle.ts";
import { firstToken } from "./firstToken.ts";
import { load } from "./load.ts";
import { loader } from "./loader.ts";
import { observerCost } from "./observerCost.ts";
import { observerLag } from "./observerLag.ts";
import { rendering } from "./rendering.ts";
import { scale } from "./scale.ts";
import { sendLatency } from "./sendLatency.ts";
import type { BenchOptions, Row, Section } from "./lib/util.ts";
import { writesPerReply } from "./writes.ts";

const SECTIONS: { id: string; title: string; run: (o: BenchOptions) => Promise<Section> }[] = [
  { id: "1", title: "observer cost per reply", run: observerCost },
  { id: "2", title: "writes per reply", run: writesPerReply },
  { id: "3", title: "first-token overhead", run: firstToken },
  { id: "4", title: "observer lag", run: observerLag },
  { id: "5", title: "rendering", run: rendering },
  { id: "6", title: "bundle", run: bundleSize },
  { id: "7", title: "load", run: load },
  { id: "8", title: "first load", run: loader },
  { id: "9", title: "send to model request", run: sendLatency },
  { id: "10", title: "deployment scale", run: scale },
];

function parseArgs(argv: string[]) {
  const opts = {
    quick: false,
    sameThread: false,
    httpActions: null as number[] | null,
    replies: 20,
    observers: 5,
    only: null as Set<string> | null,
    json: fileURLToPath(new URL("results.json", import.meta.url)),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--quick") opts.quick = true;
    else if (a === "--same-thread") opts.sameThread = true;
    else if (a.startsWith("--http-actions")) opts.httpActions = value().split(",").map(Number);
    else if (a.startsWith("--replies")) opts.replies = Number(value());
    else if (a.startsWith("--observers")) opts.observers = Number(value());
    else if (a.startsWith("--only")) opts.only = new Set(value().split(","));
    else if (a.startsWith("--json")) opts.json = value();
    else if (a === "--help" || a === "-h") {
      console.log(
        "npm run bench [-- --quick] [--replies N] [--observers M] [--only 1,2,...] [--same-thread] [--http-actions 64,8] [--json path]",
      );
      process.exit(0);
    } else throw new Error(`unknown flag ${a} (try --help)`);
  }
  if (!(opts.replies > 0) || !(opts.observers > 0)) throw new Error("--replies and --observers must be positive");
  if (opts.httpActions?.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error("--http-actions takes whole numbers ≥ 1");
  return opts;
}

const COLUMNS = ["measurement", "ours", "baseline", "ratio", "target", "met"] as const;

function cells(r: Row): string[] {
  return [
    `${r.section}. ${r.measurement}`,
    r.ours,
    r.baseline,
    r.ratio,
    r.target,
    r.met === null ? "" : r.met ? "✓" : "✗",
  ];
}

/** A Markdown table: readable in a terminal, and pastes into bench/README.md as is. */
export function formatTable(rows: Row[]): string {
  const body = rows.map(cells);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...body.map((r) => [...r[i]!].length)));
  const line = (r: readonly string[]) =>
    `| ${r.map((c, i) => c + " ".repeat(widths[i]! - [...c].length)).join(" | ")} |`;
  return [line(COLUMNS), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)].join("\n");
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const options: BenchOptions = {
    quick: args.quick,
    replies: args.replies,
    observers: args.observers,
    sameThread: args.sameThread,
    ...(args.httpActions ? { httpActions: args.httpActions } : {}),
    log,
  };
  const started = Date.now();
  const rows: Row[] = [];
  const notes: string[] = [];
  const sections: Record<string, unknown> = {};
  const timings: Record<string, number> = {};
  for (const s of SECTIONS) {
    if (args.only && !args.only.has(s.id)) continue;
    const t0 = Date.now();
    log(`[bench] ${s.id}. ${s.title}...`);
    try {
      const result = await s.run(options);
      rows.push(...result.rows);
      notes.push(...result.notes);
      sections[s.id] = { title: s.title, rows: result.rows, notes: result.notes, data: result.data };
    } catch (e) {
      const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
      log(`[bench] ${s.id}. ${s.title} FAILED: ${message}`);
      rows.push({
        section: s.id,
        measurement: `${s.title}: failed (${String((e as Error)?.message ?? e).slice(0, 80)})`,
        ours: "",
        baseline: "",
        ratio: "",
        target: "",
        met: false,
      });
      sections[s.id] = { title: s.title, error: message };
    }
    timings[s.id] = (Date.now() - t0) / 1000;
    log(`[bench] ${s.id}. ${s.title}: ${timings[s.id]!.toFixed(1)} s`);
  }
  const totalSeconds = (Date.now() - started) / 1000;
  const cpu = cpus();
  const machine = {
    cpuCount: cpu.length,
    cpuModel: cpu[0]?.model ?? "unknown",
    memoryGB: +(totalmem() / 1024 ** 3).toFixed(1),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
  const date = new Date().toISOString();
  const header = `ai-chat-stream bench — ${date.slice(0, 10)} — ${machine.cpuCount} × ${machine.cpuModel}, Node ${machine.node}${args.quick ? " — QUICK run" : ""} — ${totalSeconds.toFixed(0)} s`;
  console.log(header);
  console.log();
  console.log(formatTable(rows));
  console.log();
  for (const n of notes) console.log(`- ${n}`);
  const met = rows.filter((r) => r.met === true).length;
  const missed = rows.filter((r) => r.met === false).length;
  console.log(
    `\n${met} targets met, ${missed} not met. Total ${totalSeconds.toFixed(0)} s (sections: ${Object.entries(timings)
      .map(([k, v]) => `${k}: ${v.toFixed(0)} s`)
      .join(", ")}).`,
  );
  writeFileSync(
    args.json,
    `${JSON.stringify({ date, machine, quick: args.quick, flags: { replies: args.replies, observers: args.observers }, totalSeconds, sectionSeconds: timings, rows, notes, sections }, null, 2)}\n`,
  );
  log(`[bench] wrote ${args.json}`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
