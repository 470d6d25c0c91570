// 1. Observer cost per reply: bytes pushed over the WebSocket to one observer and documents read,
// ours (`streams:read` with an advancing cursor, as the widget follows) vs the component's stock
// `getStreamBody` subscription, on the same reply, each on its own connection.
import { api, FINAL_STATUSES } from "../src/api.ts";
import { BenchBackend, drive, followBaseline, followOurs, refs, settle } from "./lib/backend.ts";
import { promptFor, startBenchModel, type ReplySpec } from "./lib/model.ts";
import { bytes, int, waitUntil, type BenchOptions, type Row, type Section } from "./lib/util.ts";

export type CostCase = {
  tokens: number;
  rate: number;
  replyBytes: number;
  replySeconds: number;
  effectiveRate: number;
  flushes: number;
  ours: ObserverFigures;
  baseline: ObserverFigures;
  /** The widget's other subscription (`messages:list`) over the same reply, for the full picture. */
  transcript: { bytesSent: number; transitions: number; documentsRead: number };
  correct: boolean;
};

type ObserverFigures = {
  bytesSent: number;
  transitions: number;
  queryRuns: number;
  documentsRead: number;
  updates: number;
  /** Bytes of reply text carried (ours: each character once; baseline: the whole body each time). */
  textBytes: number;
  /** (bytesSent - textBytes) / updates that carried text. */
  overheadPerFlush: number;
};

const enc = new TextEncoder();

async function runCase(b: BenchBackend, spec: ReplySpec): Promise<CostCase> {
  const conv = await b.conversation();
  const ours = await b.client();
  const base = await b.client();
  const list = await b.client();
  const usage = { ours: b.meter([ours.connectionId]), base: b.meter([base.connectionId]), list: b.meter([list.connectionId]) };
  const sent = await b.send(conv, promptFor(spec));
  const fo = followOurs(ours.client, sent.streamId, conv.observerToken);
  const fb = followBaseline(base.client, sent.streamId);
  let transcriptFinal = false;
  const stopList = list.client.onUpdate(api.messages.list, { threadId: conv.threadId, token: conv.observerToken }, (messages) => {
    transcriptFinal = messages.some((m) => m._id === sent.messageId && FINAL_STATUSES.has(m.status));
  });
  const d = await drive(b.siteUrl, sent);
  const timeout = 30_000 + (spec.tokens / spec.rate) * 1000;
  await Promise.all([settle(fo, timeout, "ours"), settle(fb, timeout, "baseline")]);
  // The transcript's final update (status done + text) is part of what it costs.
  await waitUntil(() => transcriptFinal, 10_000, "the transcript's final update");
  const persisted = await b.http.query(refs.deltaStats, { streamId: sent.streamId });
  const o = usage.ours();
  const bl = usage.base();
  const l = usage.list();
  fo.stop();
  fb.stop();
  stopList();
  await Promise.all([ours.client.close(), base.client.close(), list.client.close()]);
  const replyBytes = enc.encode(d.text).length;
  const baselineText = fb.receipts.reduce((n, r) => n + r.end, 0); // ASCII prose: chars = bytes
  const seconds = (d.endedAt - d.startedAt) / 1000;
  return {
    tokens: spec.tokens,
    rate: spec.rate,
    replyBytes,
    replySeconds: seconds,
    effectiveRate: spec.tokens / seconds,
    flushes: persisted.count,
    ours: { ...o, updates: fo.updates, textBytes: replyBytes, overheadPerFlush: (o.bytesSent - replyBytes) / Math.max(1, fo.updates) },
    baseline: { ...bl, updates: fb.updates, textBytes: baselineText, overheadPerFlush: (bl.bytesSent - baselineText) / Math.max(1, fb.updates) },
    transcript: { bytesSent: l.bytesSent, transitions: l.transitions, documentsRead: l.documentsRead },
    correct: d.status === 200 && fo.text === d.text && fb.text === d.text && persisted.text === d.text && fo.doubled === 0 && fo.gaps === 0,
  };
}

/** Runs `specs` one after another on a fresh backend (replies on one backend never overlap). */
async function series(env: Record<string, string>, specs: ReplySpec[], log: (s: string) => void): Promise<CostCase[]> {
  const b = await BenchBackend.start(env);
  try {
    const out: CostCase[] = [];
    for (const spec of specs) {
      const c = await runCase(b, spec);
      log(
        `  observer cost ${spec.tokens} tok @ ${spec.rate}/s: ours ${int(c.ours.bytesSent)} B, baseline ${int(c.baseline.bytesSent)} B, reply ${int(c.replyBytes)} B, ${c.flushes} flushes, ${c.effectiveRate.toFixed(0)} tok/s effective`,
      );
      out.push(c);
    }
    return out;
  } finally {
    await b.stop();
  }
}

export async function observerCost(opts: BenchOptions): Promise<Section> {
  const model = await startBenchModel();
  const at = (rate: number, tokens: number[]): ReplySpec[] => tokens.map((t) => ({ tokens: t, rate }));
  // One backend per series, side by side: the 160 s reply at 50 tok/s runs while the others do.
  const serieses = opts.quick ? [at(500, [500, 2000]), at(50, [500])] : [at(500, [500, 2000, 8000]), at(50, [500, 2000]), at(50, [8000])];
  try {
    const cases = (await Promise.all(serieses.map((specs) => series(model.env, specs, opts.log)))).flat();
    return { rows: rowsFor(cases), notes: notesFor(cases), data: { cases } };
  } finally {
    await model.close();
  }
}

function rowsFor(cases: CostCase[]): Row[] {
  const rows: Row[] = [];
  const x = (n: number) => `${n.toFixed(2)}x`;
  for (const c of cases) {
    const label = `${int(c.tokens)} tok @ ${c.rate}/s (${bytes(c.replyBytes)}, ${c.flushes} flushes)`;
    const oursRatio = c.ours.bytesSent / c.replyBytes;
    const baseRatio = c.baseline.bytesSent / c.replyBytes;
    const fast = c.rate >= 500;
    rows.push({
      section: "1",
      measurement: `observer bytes / reply size, ${label}`,
      ours: `${x(oursRatio)} (${bytes(c.ours.bytesSent)})`,
      baseline: `${x(baseRatio)} (${bytes(c.baseline.bytesSent)})`,
      ratio: x(c.ours.bytesSent / c.baseline.bytesSent),
      target: fast ? "≤ 3x reply" : "(none at 50/s)",
      met: fast ? oursRatio <= 3 && c.correct : null,
      data: { ...c },
    });
    rows.push({
      section: "1",
      measurement: `observer document reads, ${int(c.tokens)} tok @ ${c.rate}/s`,
      ours: int(c.ours.documentsRead),
      baseline: int(c.baseline.documentsRead),
      ratio: x(c.ours.documentsRead / c.baseline.documentsRead),
      target: "",
      met: null,
    });
  }
  const fast = cases.filter((c) => c.rate >= 500).sort((a, b) => a.tokens - b.tokens);
  if (fast.length >= 2) {
    const first = fast[0]!;
    const last = fast[fast.length - 1]!;
    const r = (c: CostCase, k: "ours" | "baseline") => c[k].bytesSent / c.replyBytes;
    rows.push({
      section: "1",
      measurement: `bytes/reply growth ${int(first.tokens)} → ${int(last.tokens)} tok @ 500/s`,
      ours: `${x(r(first, "ours"))} → ${x(r(last, "ours"))}`,
      baseline: `${x(r(first, "baseline"))} → ${x(r(last, "baseline"))}`,
      ratio: "",
      target: "ours not growing (≤ +10%)",
      met: r(last, "ours") <= r(first, "ours") * 1.1,
    });
  }
  for (const c of cases) {
    rows.push({
      section: "1",
      measurement: `protocol overhead per flush, ${int(c.tokens)} tok @ ${c.rate}/s`,
      ours: `${int(c.ours.overheadPerFlush)} B (${c.ours.updates} updates, ${c.ours.transitions} transitions)`,
      baseline: `${int(c.baseline.overheadPerFlush)} B (${c.baseline.updates} updates)`,
      ratio: "",
      target: "",
      met: null,
    });
  }
  return rows;
}

function notesFor(cases: CostCase[]): string[] {
  const notes = [
    "1: one reply per case; both observers (and a messages:list subscriber) watch the same reply on their own WebSockets. Bytes = JSON text the backend sent on that socket after the observer connected. Baseline re-sends the whole body per flush; both read the same flushes (our policy writes addChunk and deltas together), so the stock path here already benefits from ≤ 4 writes/s — with the component's stock stream() it would see one update per sentence.",
    "1: overhead per flush = (bytes sent − text carried) / updates that carried text; ours resubscribes with the new cursor after each update, so each flush costs ~3 transitions (the new text, the new subscription's empty slice, its removal).",
  ];
  const t = cases.map((c) => `${int(c.tokens)}@${c.rate}/s: +${bytes(c.transcript.bytesSent)}`).join(", ");
  notes.push(`1: the widget also subscribes to messages:list, which sends the final text once (status changes only): ${t}.`);
  const bad = cases.filter((c) => !c.correct);
  if (bad.length) notes.push(`1: ✗ observer text differed from the driven/persisted text in ${bad.length} case(s).`);
  const slow = cases.filter((c) => c.rate < 500);
  if (slow.length) notes.push(`1: effective model rates: ${cases.map((c) => `${int(c.tokens)}@${c.rate}/s → ${c.effectiveRate.toFixed(0)} tok/s`).join(", ")}.`);
  return notes;
}
