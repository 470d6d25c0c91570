// 7. Load on the local backend: N replies driven at once, M observers following each (every
// observer its own ConvexClient/WebSocket). Throughput, chunk latency (driver receipt → observer
// receipt), memory, and that every observer ends with exactly the persisted text. Run twice:
// observers on `streams:read` (ours), then on the stock `getStreamBody` (baseline).
import { BenchBackend, drive, followBaseline, followOurs, refs, settle, type DriveResult, type Follower } from "./lib/backend.ts";
import { promptFor, startBenchModel, type ReplySpec } from "./lib/model.ts";
import { bytes, int, ms, percentile, type BenchOptions, type Row, type Section } from "./lib/util.ts";

type Phase = {
  kind: "ours" | "baseline";
  seconds: number;
  tokensPerSec: number;
  charsPerSec: number;
  latencies: { p50: number; p95: number; max: number; samples: number };
  peakRssMB: number;
  peakHeapMB: number;
  bytesToObservers: number;
  documentsRead: number;
  queryRuns: number;
  observers: number;
  mismatched: number;
  doubled: number;
  gaps: number;
  failedReplies: number;
};

async function phase(kind: "ours" | "baseline", n: number, m: number, spec: ReplySpec, env: Record<string, string>, log: (s: string) => void): Promise<Phase> {
  const b = await BenchBackend.start(env);
  const memory = { rss: 0, heap: 0 };
  const sampleMemory = () => {
    const u = process.memoryUsage();
    memory.rss = Math.max(memory.rss, u.rss);
    memory.heap = Math.max(memory.heap, u.heapUsed);
  };
  const sampler = setInterval(sampleMemory, 100);
  try {
    const convs = await Promise.all(Array.from({ length: n }, () => b.conversation()));
    const clients: { client: Awaited<ReturnType<BenchBackend["client"]>>; reply: number }[] = [];
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) clients.push({ client: await b.client(), reply: i });
    const before = new Map(clients.map((c) => [c.client.connectionId, { ...b.connection(c.client.connectionId) }]));
    const sent = await Promise.all(convs.map((c, i) => b.send(c, promptFor({ ...spec, seed: 100 + i }))));
    const followers: { f: Follower; reply: number }[] = clients.map((c) => ({
      reply: c.reply,
      f: kind === "ours" ? followOurs(c.client.client, sent[c.reply]!.streamId, convs[c.reply]!.observerToken) : followBaseline(c.client.client, sent[c.reply]!.streamId),
    }));
    const t0 = performance.now();
    const drives: DriveResult[] = await Promise.all(sent.map((s) => drive(b.siteUrl, s)));
    const timeout = 60_000 + (spec.tokens / spec.rate) * 1000;
    const settled = await Promise.allSettled(followers.map(({ f }, i) => settle(f, timeout, `observer ${i}`)));
    const seconds = (performance.now() - t0) / 1000;
    sampleMemory();
    const persisted = await Promise.all(sent.map((s) => b.http.query(refs.deltaStats, { streamId: s.streamId })));
    const lat: number[] = [];
    let mismatched = 0;
    let doubled = 0;
    let gaps = 0;
    followers.forEach(({ f, reply }, i) => {
      if (settled[i]!.status === "rejected" || f.text !== persisted[reply]!.text || f.text !== drives[reply]!.text) mismatched++;
      doubled += f.doubled;
      gaps += f.gaps;
      for (const { end, at } of drives[reply]!.receipts) {
        const r = f.receipts.find((x) => x.end >= end);
        if (r) lat.push(r.at - at);
      }
    });
    let bytesToObservers = 0;
    let documentsRead = 0;
    let queryRuns = 0;
    for (const [id, was] of before) {
      const now = b.connection(id);
      bytesToObservers += now.bytesSent - was.bytesSent;
      documentsRead += now.documentsRead - was.documentsRead;
      queryRuns += now.queryRuns - was.queryRuns;
    }
    const chars = persisted.reduce((a, p) => a + p.text.length, 0);
    const failedReplies = drives.filter((d) => d.status !== 200).length;
    for (const { f } of followers) f.stop();
    await Promise.all(clients.map((c) => c.client.client.close()));
    const result: Phase = {
      kind,
      seconds,
      tokensPerSec: (n * spec.tokens) / seconds,
      charsPerSec: chars / seconds,
      latencies: { p50: percentile(lat, 50), p95: percentile(lat, 95), max: Math.max(...lat), samples: lat.length },
      peakRssMB: memory.rss / 1024 / 1024,
      peakHeapMB: memory.heap / 1024 / 1024,
      bytesToObservers,
      documentsRead,
      queryRuns,
      observers: followers.length,
      mismatched,
      doubled,
      gaps,
      failedReplies,
    };
    log(`  load ${kind}: ${result.seconds.toFixed(1)} s, ${result.tokensPerSec.toFixed(0)} tok/s, p95 ${ms(result.latencies.p95, 0)}, ${bytes(bytesToObservers)} to observers, ${mismatched} mismatched, rss ${result.peakRssMB.toFixed(0)} MB`);
    return result;
  } finally {
    clearInterval(sampler);
    await b.stop();
  }
}

export async function load(opts: BenchOptions): Promise<Section> {
  const n = opts.quick ? Math.min(opts.replies, 5) : opts.replies;
  const m = opts.quick ? Math.min(opts.observers, 2) : opts.observers;
  const spec: ReplySpec = opts.quick ? { tokens: 150, rate: 50 } : { tokens: 400, rate: 50 };
  const model = await startBenchModel();
  try {
    const ours = await phase("ours", n, m, spec, model.env, opts.log);
    const base = await phase("baseline", n, m, spec, model.env, opts.log);
    const lostOrDoubled = (p: Phase) => p.mismatched + p.doubled + p.gaps + p.failedReplies;
    const label = `${n} replies × ${m} observers, ${spec.tokens} tok @ ${spec.rate}/s each`;
    const rows: Row[] = [
      {
        section: "7",
        measurement: `load throughput (tokens persisted/s), ${label}`,
        ours: `${int(ours.tokensPerSec)} tok/s (${ours.seconds.toFixed(1)} s)`,
        baseline: `${int(base.tokensPerSec)} tok/s (${base.seconds.toFixed(1)} s)`,
        ratio: `${(ours.tokensPerSec / base.tokensPerSec).toFixed(2)}x`,
        target: `≈ offered ${int(n * spec.rate)} tok/s`,
        met: null,
        data: { ours, baseline: base },
      },
      {
        section: "7",
        measurement: "load chunk latency, driver receipt → observer receipt (p50 / p95)",
        ours: `${ms(ours.latencies.p50, 0)} / ${ms(ours.latencies.p95, 0)}`,
        baseline: `${ms(base.latencies.p50, 0)} / ${ms(base.latencies.p95, 0)}`,
        ratio: `${(ours.latencies.p95 / base.latencies.p95).toFixed(2)}x`,
        target: "",
        met: null,
      },
      {
        section: "7",
        measurement: "load bytes to observers; document reads",
        ours: `${bytes(ours.bytesToObservers)}; ${int(ours.documentsRead)}`,
        baseline: `${bytes(base.bytesToObservers)}; ${int(base.documentsRead)}`,
        ratio: `${(ours.bytesToObservers / base.bytesToObservers).toFixed(2)}x; ${(ours.documentsRead / base.documentsRead).toFixed(2)}x`,
        target: "",
        met: null,
      },
      {
        section: "7",
        measurement: "load peak memory (whole process: backend + clients), RSS / heap",
        ours: `${ours.peakRssMB.toFixed(0)} MB / ${ours.peakHeapMB.toFixed(0)} MB`,
        baseline: `${base.peakRssMB.toFixed(0)} MB / ${base.peakHeapMB.toFixed(0)} MB`,
        ratio: "",
        target: "",
        met: null,
      },
      {
        section: "7",
        measurement: `load correctness: observers whose final text ≠ persisted, + doubled/gapped slices`,
        ours: `${lostOrDoubled(ours)} of ${ours.observers}`,
        baseline: `${lostOrDoubled(base)} of ${base.observers}`,
        ratio: "",
        target: "0 lost or doubled",
        met: lostOrDoubled(ours) === 0,
      },
    ];
    return {
      rows,
      notes: [
        `7: everything runs in this one Node process (local backend, fake model, ${n * m} ConvexClients each on its own WebSocket, ${n} fetch drivers), so memory is the whole process and RSS never falls between phases (ours runs first). Latency counts every body chunk of every reply per observer, including the wait for its flush. The local backend re-runs every subscription that read a written table (Convex proper invalidates by index range), so ${n} concurrent replies cost each observer re-runs for all of them: reads and CPU here are worse than on Convex.`,
      ],
      data: { ours, baseline: base, n, m, spec },
    };
  } finally {
    await model.close();
  }
}
