// 1. What one reply costs a viewer who has the thread open: bytes pushed over its WebSocket,
// Transitions and query runs per flush. Ours is the widget's read path (src/reply/follower.ts
// and the live end of the transcript, `messages:live`, after the history page it already read);
// the stock path is the component's `getStreamBody` subscription plus one transcript query over
// the whole thread (every message with its text), on the same reply. Each in a new thread and in
// one with 50 KB of earlier conversation.
import { api, FINAL_STATUSES } from "../src/api.ts";
import { BenchBackend, drive, followBaseline, followOurs, refs, settle, type Usage } from "./lib/backend.ts";
import { promptFor, startBenchModel, type ReplySpec } from "./lib/model.ts";
import { bytes, int, waitUntil, type BenchOptions, type Row, type Section } from "./lib/util.ts";

type CostSpec = ReplySpec & { history: number };

export type CostCase = {
  tokens: number;
  rate: number;
  history: number;
  replyBytes: number;
  replySeconds: number;
  effectiveRate: number;
  flushes: number;
  /** The widget's whole read path for the reply: `messages:live`, `streams:tail`, gap reads. */
  ours: Usage & { updates: number; gapReads: number; repeatedChars: number };
  /** Of which `messages:live` (measured on its own socket, same subscription). */
  live: Usage;
  /** The history page the viewer read when it opened the thread (once, before the reply). */
  pageBytes: number;
  /** Stock: `getStreamBody` and the whole-thread transcript, each on its own socket. */
  baseline: Usage & { updates: number };
  baselineTranscript: Usage;
  correct: boolean;
};

const enc = new TextEncoder();
const sum = (a: Usage, b: Usage): Usage => ({
  bytesSent: a.bytesSent + b.bytesSent,
  transitions: a.transitions + b.transitions,
  queryRuns: a.queryRuns + b.queryRuns,
  documentsRead: a.documentsRead + b.documentsRead,
});

async function runCase(b: BenchBackend, spec: CostSpec): Promise<CostCase> {
  const conv = await b.conversation();
  if (spec.history > 0) await b.http.mutation(refs.seedHistory, { threadId: conv.threadId, chars: spec.history });
  // One at a time: a client's socket is told apart as the one new connection.
  const ours = await b.client();
  const live = await b.client();
  const base = await b.client();
  const baseList = await b.client();
  const { threadId, observerToken: token } = conv;
  // The viewers opened the thread before the reply: ours read its history page and anchors the
  // live end after it; the stock transcript holds the whole thread.
  const page = await ours.client.query(api.messages.list, { threadId, token });
  const after = page.at(-1)?._creationTime;
  let messageId = "";
  let liveFinal = false;
  let stockFinal = false;
  let stockLoaded = false;
  const stopLive = live.client.onUpdate(
    api.messages.live,
    { threadId, token, ...(after !== undefined ? { after } : {}) },
    (messages) => {
      liveFinal = messages.some((m) => m._id === messageId && FINAL_STATUSES.has(m.status));
    },
  );
  const stopStock = baseList.client.onUpdate(refs.listAll, { threadId }, (messages) => {
    stockLoaded = true;
    stockFinal = messages.some((m) => m._id === messageId && FINAL_STATUSES.has(m.status));
  });
  await waitUntil(() => stockLoaded, 10_000, "the stock transcript");
  const usage = {
    ours: b.meter([ours.connectionId]),
    live: b.meter([live.connectionId]),
    base: b.meter([base.connectionId]),
    baseList: b.meter([baseList.connectionId]),
  };
  const sent = await b.send(conv, promptFor(spec));
  messageId = sent.messageId;
  const fo = followOurs(ours.client, {
    threadId,
    streamId: sent.streamId,
    token,
    ...(after !== undefined ? { after } : {}),
  });
  const fb = followBaseline(base.client, sent.streamId);
  const d = await drive(b.siteUrl, sent);
  const timeout = 30_000 + (spec.tokens / spec.rate) * 1000;
  await Promise.all([settle(fo, timeout, "ours"), settle(fb, timeout, "baseline")]);
  await waitUntil(() => liveFinal && stockFinal, 10_000, "the transcripts' final update");
  const persisted = await b.http.query(refs.deltaStats, { streamId: sent.streamId });
  const o = usage.ours();
  const l = usage.live();
  const bl = usage.base();
  const blist = usage.baseList();
  fo.stop();
  fb.stop();
  stopLive();
  stopStock();
  await Promise.all([ours, live, base, baseList].map((c) => c.client.close()));
  const seconds = (d.endedAt - d.startedAt) / 1000;
  return {
    tokens: spec.tokens,
    rate: spec.rate,
    history: spec.history,
    replyBytes: enc.encode(d.text).length,
    replySeconds: seconds,
    effectiveRate: spec.tokens / seconds,
    flushes: persisted.count,
    ours: { ...o, updates: fo.updates, gapReads: fo.gaps, repeatedChars: fo.doubled },
    live: l,
    pageBytes: enc.encode(JSON.stringify(page)).length,
    baseline: { ...sum(bl, blist), updates: fb.updates },
    baselineTranscript: blist,
    correct: d.status === 200 && fo.text === d.text && fb.text === d.text && persisted.text === d.text,
  };
}

/** Runs `specs` one after another on a fresh backend (replies on one backend never overlap). */
async function series(env: Record<string, string>, specs: CostSpec[], log: (s: string) => void): Promise<CostCase[]> {
  const b = await BenchBackend.start(env);
  try {
    const out: CostCase[] = [];
    for (const spec of specs) {
      const c = await runCase(b, spec);
      log(
        `  observer cost ${spec.tokens} tok @ ${spec.rate}/s${spec.history ? `, ${bytes(spec.history)} history` : ""}: ours ${int(c.ours.bytesSent)} B (live ${int(c.live.bytesSent)} B), baseline ${int(c.baseline.bytesSent)} B, reply ${int(c.replyBytes)} B, ${c.flushes} flushes, ${c.ours.transitions} transitions, ${c.ours.queryRuns} query runs`,
      );
      out.push(c);
    }
    return out;
  } finally {
    await b.stop();
  }
}

const HISTORY = 50_000;

export async function observerCost(opts: BenchOptions): Promise<Section> {
  const model = await startBenchModel();
  const at = (rate: number, tokens: number, history = 0): CostSpec => ({ tokens, rate, history });
  // One backend per series, side by side: the 40 s replies at 50 tok/s run while the others do.
  const serieses = opts.quick
    ? [
        [at(500, 2000), at(500, 2000, HISTORY)],
        [at(50, 500), at(50, 500, HISTORY)],
      ]
    : [[at(500, 2000), at(500, 8000), at(500, 2000, HISTORY)], [at(50, 2000)], [at(50, 2000, HISTORY)]];
  try {
    const cases = (await Promise.all(serieses.map((specs) => series(model.env, specs, opts.log)))).flat();
    return { rows: rowsFor(cases), notes: notesFor(cases), data: { cases } };
  } finally {
    await model.close();
  }
}

const x = (n: number) => `${n.toFixed(2)}x`;
const where = (c: CostCase) => (c.history ? `${bytes(c.history)} history` : "new thread");

/** Framing of one update (bytes beyond the text it carries), from ours' stream updates. */
function framing(c: CostCase): number {
  const streamBytes = c.ours.bytesSent - c.live.bytesSent;
  const streamTransitions = c.ours.transitions - c.live.transitions;
  return (streamBytes - c.replyBytes) / Math.max(1, streamTransitions);
}

function rowsFor(cases: CostCase[]): Row[] {
  const rows: Row[] = [];
  for (const c of cases) {
    const label = `${int(c.tokens)} tok @ ${c.rate}/s, ${where(c)} (${bytes(c.replyBytes)}, ${c.flushes} flushes)`;
    const oursRatio = c.ours.bytesSent / c.replyBytes;
    const limit = c.rate >= 500 ? 1.5 : 6;
    rows.push({
      section: "1",
      measurement: `viewer bytes / reply size, ${label}`,
      ours: `${x(oursRatio)} (${bytes(c.ours.bytesSent)}, of which messages:live ${bytes(c.live.bytesSent)})`,
      baseline: `${x(c.baseline.bytesSent / c.replyBytes)} (${bytes(c.baseline.bytesSent)}, of which transcript ${bytes(c.baselineTranscript.bytesSent)})`,
      ratio: x(c.ours.bytesSent / c.baseline.bytesSent),
      target: `≤ ${limit}x reply`,
      met: oursRatio <= limit && c.correct,
      data: { ...c },
    });
  }
  for (const c of cases) {
    // Runs of the stream subscription (ours: streams:tail; stock: getStreamBody) and what the
    // transcript adds per reply (its status changes), apart.
    const oursStream = c.ours.queryRuns - c.live.queryRuns - c.ours.gapReads;
    const baseStream = c.baseline.queryRuns - c.baselineTranscript.queryRuns;
    rows.push({
      section: "1",
      measurement: `per flush per viewer: stream query runs (+ per reply: transcript runs, gap reads, Transitions in all); ${int(c.tokens)} tok @ ${c.rate}/s, ${where(c)}`,
      ours: `${(oursStream / c.flushes).toFixed(2)} (+ ${c.live.queryRuns}, ${c.ours.gapReads}; ${(c.ours.transitions / c.flushes).toFixed(2)} Transitions/flush)`,
      baseline: `${(baseStream / c.flushes).toFixed(2)} (+ ${c.baselineTranscript.queryRuns}; ${(c.baseline.transitions / c.flushes).toFixed(2)} Transitions/flush)`,
      ratio: "",
      target: "≤ 1 per flush (+ 3 per reply: first run, 2 status changes)",
      met: oursStream <= c.flushes + 3,
    });
  }
  for (const h of cases.filter((c) => c.history > 0)) {
    const fresh = cases.find((c) => c.history === 0 && c.tokens === h.tokens && c.rate === h.rate);
    if (!fresh) continue;
    const per = (c: CostCase, k: "ours" | "baseline") => c[k].bytesSent / c.replyBytes;
    rows.push({
      section: "1",
      measurement: `reply cost with ${bytes(h.history)} history / in a new thread, ${int(h.tokens)} tok @ ${h.rate}/s`,
      ours: x(per(h, "ours") / per(fresh, "ours")),
      baseline: x(per(h, "baseline") / per(fresh, "baseline")),
      ratio: "",
      target: "≤ 1.2x",
      met: per(h, "ours") / per(fresh, "ours") <= 1.2,
    });
  }
  const fast = cases.filter((c) => c.rate >= 500 && c.history === 0).sort((a, b) => a.tokens - b.tokens);
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
    const floor = 1 + (c.flushes * framing(c)) / c.replyBytes;
    rows.push({
      section: "1",
      measurement: `sync-protocol floor (one update per flush), ${int(c.tokens)} tok @ ${c.rate}/s, ${where(c)}`,
      ours: `${x(floor)} floor, ours ${x(c.ours.bytesSent / c.replyBytes)} (${int(framing(c))} B framing per update)`,
      baseline: "",
      ratio: "",
      target: "",
      met: null,
    });
  }
  return rows;
}

function notesFor(cases: CostCase[]): string[] {
  const notes = [
    "1: one reply per case, watched by viewers that opened the thread before it (so history they already hold is not counted). Bytes = JSON text the backend sent on the viewer's socket from the send to the end. Ours = messages:live + streams:tail + any streams:read gap fill, all on one socket, with the widget's StreamFollower (src/reply/follower.ts); messages:live alone is measured again on its own socket for the breakdown. Stock = the component's getStreamBody plus one transcript query over the whole thread with every message's text (what the widget did before pages and the live end), each on its own socket, summed.",
    "1: framing per update = (stream bytes − reply bytes) / stream Transitions: the Transition envelope (versions, query id, log lines) around each delta. The floor is one such update per flush and nothing else: 1 + flushes × framing / reply bytes.",
    `1: the history page a viewer reads once when it opens the thread (messages:list, one-shot): ${bytes(Math.max(0, ...cases.map((c) => c.pageBytes)))} with ${bytes(HISTORY)} history; the stock transcript sends the whole thread again on each of the reply's status changes.`,
    "1: stream query runs include the subscription's first run and its re-runs when the message document changes (the reply's status: pending → streaming → done), because the access check reads it; the local backend re-runs a subscription whenever a table it read is written (Convex proper, by index range), so these counts are upper bounds.",
  ];
  const bad = cases.filter((c) => !c.correct);
  if (bad.length) notes.push(`1: ✗ viewer text differed from the driven/persisted text in ${bad.length} case(s).`);
  notes.push(
    `1: effective model rates: ${cases.map((c) => `${int(c.tokens)}@${c.rate}/s → ${c.effectiveRate.toFixed(0)} tok/s`).join(", ")}.`,
  );
  return notes;
}
