// 10. Deployment scale (issue 21): N conversations send at once, each a 500-token reply at
// 50 tok/s, on the local backend with a deployment's concurrency limits: first at their documented
// values (an S16 deployment: 64 HTTP actions), then with LOCAL_MAX_CONCURRENT_HTTP_ACTIONS=8 so
// most sends are refused for load and queue. Each conversation is a Node client speaking the
// widget's protocol with the widget's own code: `postChat` (src/reply/post.ts: POST
// /chat-stream, sent again while the site is busy), then, refused for load, `chat:queue` over a
// ConvexClient, followed like any reply (`messages:live` + `StreamFollower`), as
// src/reply/conversation.ts does. Per run: replies done / lost / failed / doubled, time to first
// token, how many queued, the write conflicts a deployment would have had
// (local-backend/conflicts.ts), and the rows each finished reply keeps. Then a late joiner of a
// reply with 1,600 deltas: round trips to catch up.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConvexClient } from "convex/browser";
import WebSocket from "ws";
import { CONFLICTS_PATH, type ConflictReport } from "../local-backend/conflicts.ts";
import { api } from "../src/api.ts";
import type { ChatClient } from "../src/convex-pool.ts";
import { ChatRequestError, newRequestId, postChat } from "../src/reply/post.ts";
import { StreamFollower } from "../src/reply/follower.ts";
import { BenchBackend, followOurs, refs, settle, type Follower } from "./lib/backend.ts";
import { promptFor, proseTokens, replyText, startBenchModel, type ReplySpec } from "./lib/model.ts";
import { int, ms, percentile, sleep, type BenchOptions, type Row, type Section } from "./lib/util.ts";

const SPEC: ReplySpec = { tokens: 500, rate: 50 };
/** The documented HTTP-action limit (S16), and the one that forces queuing. */
const LIMITS: readonly number[] = [64, 8];
/** A late joiner arrives at this many deltas. */
const JOINER_DELTAS = 1_600;

type Outcome = {
  path: "post" | "queued" | "refused";
  /** Date.now() of the send, and of the first text this client saw. */
  sentAt: number;
  firstTextAt: number;
  /** The text this client ended with (the POST's body, or what it followed). */
  seen: string;
  error?: string;
};

type Run = {
  httpActions: number;
  n: number;
  seconds: number;
  done: number;
  lost: number;
  failed: number;
  doubled: number;
  queued: number;
  ttft: { p50: number; p95: number; unloaded: number };
  conflicts: ConflictReport;
  rest: { before: number; after: number; replies: number };
  cpu: { load: Cpu; alone: Cpu };
};

/**
 * CPU over a stretch of the run, and the model tokens the replies of that stretch persisted: the
 * backend's thread, the bench's own thread (its clients and the fake model), and the process (all
 * threads, the engine's GC helpers included). When the backend runs on the bench's thread, its
 * figure is that thread's (backend, clients and model together).
 */
type Cpu = { backend: number; bench: number; process: number; tokens: number };

const newClient = (url: string) =>
  new ConvexClient(url, {
    webSocketConstructor: WebSocket as unknown as typeof globalThis.WebSocket,
    unsavedChangesWarning: false,
  });

async function conflictReport(b: BenchBackend, method: "GET" | "DELETE" = "GET"): Promise<ConflictReport> {
  const res = await fetch(`${b.convexUrl}${CONFLICTS_PATH}`, {
    method,
    headers: { Authorization: `Convex ${b.backend.adminKey}` },
  });
  return (await res.json()) as ConflictReport;
}

/** One conversation's send, as the widget makes it, and its reply to the end. */
async function converse(
  b: BenchBackend,
  conv: { threadId: string; token: string },
  prompt: string,
  deadline: number,
): Promise<Outcome> {
  const sentAt = Date.now();
  const out: Outcome = { path: "post", sentAt, firstTextAt: NaN, seen: "" };
  const body = { prompt, threadId: conv.threadId, token: conv.token, requestId: newRequestId() };
  // A body still open at the deadline is given up (its thread says how the reply stands).
  const giveUp = new AbortController();
  const timer = setTimeout(() => giveUp.abort(), Math.max(1, deadline - Date.now()));
  let started;
  try {
    started = await postChat(b.siteUrl, body, giveUp.signal);
  } catch (err) {
    if (!(err instanceof ChatRequestError && err.busy)) {
      clearTimeout(timer);
      out.path = "refused";
      out.error = String((err as Error)?.message ?? err);
      return out;
    }
    started = null;
  }
  if (started?.body) {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of started.body as unknown as AsyncIterable<Uint8Array>) {
        if (Number.isNaN(out.firstTextAt)) out.firstTextAt = Date.now();
        out.seen += decoder.decode(chunk, { stream: true });
      }
      out.seen += decoder.decode();
    } catch (err) {
      // The body broke off (the reply failed, or the deadline): its thread says how it ended.
      out.error = giveUp.signal.aborted ? "body still open at the deadline" : String((err as Error)?.message ?? err);
    } finally {
      clearTimeout(timer);
    }
    return out;
  }
  clearTimeout(timer);
  // Every slot busy: the same body over the socket, then followed like any reply.
  out.path = "queued";
  const client = newClient(b.convexUrl);
  let f: Follower | undefined;
  try {
    const ids = await client.mutation(api.chat.queue, body);
    if (!("streamId" in ids)) throw new Error("the conversation is held by an operator");
    f = followOurs(client, { threadId: conv.threadId, streamId: ids.streamId, token: conv.token });
    const first = f.receipts;
    await settle(f, Math.max(1, deadline - Date.now()), "a queued reply");
    out.firstTextAt = first[0]?.at ?? NaN;
    out.seen = f.text;
  } catch (err) {
    out.error = String((err as Error)?.message ?? err);
    out.firstTextAt = f?.receipts[0]?.at ?? NaN;
    out.seen = f?.text ?? "";
  } finally {
    f?.stop();
    await client.close();
  }
  return out;
}

/** How many of the model's tokens for reply `seed` `text` holds (a prefix of the reply). */
function tokensIn(text: string, seed: number): number {
  let end = 0;
  let count = 0;
  for (const token of proseTokens(SPEC.tokens, seed)) {
    end += token.length;
    if (end > text.length) break;
    count++;
  }
  return count;
}

/** Rows per table in the saved database (`<data>/db.json`), by component-relative table name. */
function rowsAtRest(b: BenchBackend): Record<string, number> {
  const saved = JSON.parse(readFileSync(join(b.dir, "data", "db.json"), "utf8")) as {
    components: Record<string, { documents: Record<string, { _id: string; role?: string }> }>;
  };
  const out: Record<string, number> = {};
  for (const [path, component] of Object.entries(saved.components)) {
    const name = path.split("/").pop() ?? "";
    for (const [id, doc] of Object.entries(component.documents)) {
      const table = id.replace(/^[0-9]+/, "");
      const key = table === "messages" ? `${name}/messages:${doc.role}` : `${name}/${table}`;
      out[key] = (out[key] ?? 0) + 1;
    }
  }
  return out;
}

async function run(n: number, httpActions: number, env: Record<string, string>, opts: BenchOptions): Promise<Run> {
  const log = opts.log;
  // A deployment does not share its CPU with its clients: the backend gets a thread of its own.
  const b = opts.sameThread
    ? await BenchBackend.start(env, { httpActions })
    : await BenchBackend.startThread(env, { httpActions });
  try {
    const conversations = [];
    for (let i = 0; i < n + 1; i++) {
      const { threadId, token } = await b.http.mutation(api.threads.create, { origin: "http://bench.local" });
      conversations.push({ threadId, token });
    }
    log(`  scale ${httpActions} HTTP actions: ${n + 1} threads made`);
    const prompt = (i: number) => promptFor({ ...SPEC, seed: i + 1 });
    // Unloaded: one conversation alone, the time-to-first-token baseline.
    const aloneCpu = await b.cpu();
    const alone = await converse(b, conversations[n]!, prompt(n), Date.now() + 60_000);
    const aloneCpuEnd = await b.cpu();
    await sleep(1_000);
    await conflictReport(b, "DELETE");
    const loadCpu = await b.cpu();
    const t0 = Date.now();
    const deadline = t0 + 90_000;
    let ended = 0;
    const progress = setInterval(
      () => log(`  ... ${ended}/${n} ended after ${((Date.now() - t0) / 1000).toFixed(0)} s`),
      10_000,
    );
    const outcomes = await Promise.all(
      conversations.slice(0, n).map(async (c, i) => {
        const o = await converse(b, c, prompt(i), deadline);
        ended++;
        return o;
      }),
    );
    clearInterval(progress);
    const loadCpuEnd = await b.cpu();
    const seconds = (Date.now() - t0) / 1000;
    // The charges and the deletions at rest, scheduled as each reply ended.
    let rest = rowsAtRest(b);
    for (let waited = 0; waited < 20_000; waited += 500) {
      await b.backend.flush();
      rest = rowsAtRest(b);
      if (!rest["aiChat/deltas"] && !rest["persistentTextStreaming/chunks"]) break;
      await sleep(500);
    }
    const conflicts = await conflictReport(b);
    // What each conversation's thread holds: its reply, once, with the model's text.
    let done = 0;
    let lost = 0;
    let failed = 0;
    let doubled = 0;
    let tokens = 0;
    const stored = async (c: { threadId: string; token: string }) =>
      (await b.http.query(api.messages.list, c)).filter((m) => m.role === "assistant");
    const failures: string[] = [];
    for (let i = 0; i < n; i++) {
      const expected = replyText({ ...SPEC, seed: i + 1 });
      const c = conversations[i]!;
      const o = outcomes[i]!;
      const replies = await stored(c);
      tokens += tokensIn(replies[0]?.text ?? "", i + 1);
      if (replies.length > 1 || o.seen.length > expected.length) doubled++;
      else if (replies.length === 0 || replies[0]!.status === "pending" || replies[0]!.status === "streaming") lost++;
      else if (replies[0]!.status === "done" && replies[0]!.text === expected && o.seen === expected) done++;
      else {
        failed++;
        const r = replies[0]!;
        failures.push(
          `${o.path}: ${r.status}${r.error ? ` (${r.error})` : ""}, ${r.text.length}/${expected.length} chars stored, ${o.seen.length} seen`,
        );
      }
    }
    const assistant = rest["aiChat/messages:assistant"] ?? 0;
    const keptBeside = [
      "aiChat/deltas",
      "aiChat/replyTexts",
      "persistentTextStreaming/streams",
      "persistentTextStreaming/chunks",
    ];
    const written = conflicts.documentsWritten;
    const everBeside = [
      "deltas",
      "replyTexts",
      "persistentTextStreaming/streams",
      "persistentTextStreaming/chunks",
    ].map((t) => Object.entries(written).find(([k]) => k === t || k.endsWith(`/${t}`))?.[1] ?? 0);
    const ttfts = outcomes.filter((o) => Number.isFinite(o.firstTextAt)).map((o) => o.firstTextAt - o.sentAt);
    const result: Run = {
      httpActions,
      n,
      seconds,
      done,
      lost,
      failed,
      doubled,
      queued: outcomes.filter((o) => o.path === "queued").length,
      ttft: { p50: percentile(ttfts, 50), p95: percentile(ttfts, 95), unloaded: alone.firstTextAt - alone.sentAt },
      conflicts,
      cpu: {
        load: spent(loadCpu, loadCpuEnd, tokens),
        alone: spent(aloneCpu, aloneCpuEnd, tokensIn((await stored(conversations[n]!))[0]?.text ?? "", n + 1)),
      },
      rest: {
        // The load's replies (the unloaded one's rows were written before the report began).
        before: 1 + everBeside.reduce((a, x) => a + x, 0) / n,
        after: (assistant + keptBeside.reduce((a, t) => a + (rest[t] ?? 0), 0)) / Math.max(1, assistant),
        replies: assistant,
      },
    };
    const errors = outcomes.filter((o) => o.error).map((o) => o.error);
    log(
      `  scale ${httpActions} HTTP actions: CPU per token ${perToken(result.cpu.load)} (alone ${perToken(result.cpu.alone)})`,
    );
    log(
      `  scale ${httpActions} HTTP actions: ${seconds.toFixed(1)} s, ${done}/${n} done, ${lost} lost, ${failed} failed, ${doubled} doubled, ${result.queued} queued, TTFT p50 ${ms(result.ttft.p50, 0)} p95 ${ms(result.ttft.p95, 0)}, ${conflicts.conflicts} conflicts of ${conflicts.mutations} mutations${errors.length ? `; errors: ${[...new Set(errors)].slice(0, 3).join(" | ")}` : ""}${failures.length ? `; failed: ${failures.slice(0, 3).join(" | ")}` : ""}`,
    );
    return result;
  } finally {
    await b.stop();
  }
}

const spent = (from: Omit<Cpu, "tokens">, to: Omit<Cpu, "tokens">, tokens: number): Cpu => ({
  backend: to.backend - from.backend,
  bench: to.bench - from.bench,
  process: to.process - from.process,
  tokens,
});

/** "backend 0.62 ms, bench 0.21 ms, process 0.95 ms per token (48,000 tokens)". */
const perToken = (c: Cpu) =>
  `backend ${ms((1000 * c.backend) / c.tokens, 2)}, bench ${Number.isNaN(c.bench) ? "on the same thread" : ms((1000 * c.bench) / c.tokens, 2)}, process ${ms((1000 * c.process) / c.tokens, 2)} (${int(c.tokens)} tokens)`;

/** A late joiner of a reply with JOINER_DELTAS deltas, still streaming: round trips to catch up, ours vs 16 deltas a read. */
async function lateJoiner(log: (s: string) => void): Promise<{ ours: number; paged: number; chars: number }> {
  const b = await BenchBackend.start();
  const client = newClient(b.convexUrl);
  try {
    const conv = await b.conversation();
    const sent = await b.send(conv, "A long one, please.");
    const pieces = proseTokens(JOINER_DELTAS, 7);
    await b.http.mutation(refs.seedStreaming, { streamId: sent.streamId, pieces });
    const text = pieces.join("");
    let reads = 0;
    const counting: ChatClient = {
      onUpdate: (q, args, cb, onError) => client.onUpdate(q, args, cb, onError),
      query: async (q, args) => {
        reads++;
        return await client.query(q, args);
      },
      mutation: (m, args) => client.mutation(m, args),
      action: (a, args) => client.action(a, args),
      connectionState: () => client.connectionState(),
      subscribeToConnectionState: (cb) => client.subscribeToConnectionState(cb),
      close: () => client.close(),
    };
    let shown = "";
    const follower = new StreamFollower({
      client: counting,
      streamId: sent.streamId,
      token: conv.token,
      onText: (t) => (shown = t),
      onError: (e) => console.error(e),
    });
    follower.follow();
    for (let waited = 0; shown.length < text.length && waited < 30_000; waited += 10) await sleep(10);
    follower.stop();
    if (shown !== text) throw new Error(`late joiner: ${shown.length} of ${text.length} characters`);
    // The read path before streams:catchUp: 16 deltas a `streams:read`, from cursor 0.
    let paged = 0;
    let cursor = 0;
    for (let more = true; more; paged++) {
      const slice = await b.http.query(api.streams.read, { streamId: sent.streamId, token: conv.token, cursor });
      cursor = slice.cursor;
      more = slice.more;
    }
    log(`  late joiner at ${JOINER_DELTAS} deltas: ${reads} reads (ours), ${paged} pages of 16`);
    return { ours: reads, paged, chars: text.length };
  } finally {
    await client.close();
    await b.stop();
  }
}

export async function scale(opts: BenchOptions): Promise<Section> {
  const n = opts.quick ? 10 : 100;
  const model = await startBenchModel();
  const runs: Run[] = [];
  try {
    // The deployment's usage over 8 rows, as a busy site would set it: a send's reservation then
    // conflicts with another's only when both pick the same row (convex/lib/budget.ts).
    const env = { ...model.env, TOKEN_USAGE_SHARDS: "8" };
    for (const httpActions of opts.httpActions ?? LIMITS) runs.push(await run(n, httpActions, env, opts));
  } finally {
    await model.close();
  }
  const joiner = await lateJoiner(opts.log);
  const rows: Row[] = [];
  for (const r of runs) {
    const what = `${r.n} conversations at once, ${SPEC.tokens} tok @ ${SPEC.rate}/s each, ${r.httpActions} HTTP actions${r.httpActions === LIMITS[0] ? " (documented)" : ""}`;
    rows.push({
      section: "10",
      measurement: `${what}: replies done / lost / failed / doubled; queued`,
      ours: `${r.done} / ${r.lost} / ${r.failed} / ${r.doubled}; ${r.queued} queued (${r.seconds.toFixed(0)} s)`,
      baseline: "",
      ratio: "",
      target: `${r.n} / 0 / 0 / 0`,
      met: r.done === r.n && r.lost + r.failed + r.doubled === 0,
      data: { ...r },
    });
    rows.push({
      section: "10",
      measurement: `${what}: time to first token p50 / p95 (baseline: one conversation alone)`,
      ours: `${ms(r.ttft.p50, 0)} / ${ms(r.ttft.p95, 0)}`,
      baseline: ms(r.ttft.unloaded, 0),
      ratio: `${(r.ttft.p95 / r.ttft.unloaded).toFixed(1)}x`,
      target: "",
      met: null,
    });
    rows.push({
      section: "10",
      measurement: `${what}: CPU per model token persisted, the backend's thread (baseline: one conversation alone)`,
      ours: perToken(r.cpu.load),
      baseline: perToken(r.cpu.alone),
      ratio: `${(r.cpu.load.backend / r.cpu.load.tokens / (r.cpu.alone.backend / r.cpu.alone.tokens)).toFixed(2)}x`,
      target: "",
      met: null,
      data: { cpu: r.cpu },
    });
    rows.push({
      section: "10",
      measurement: `${what}: write conflicts a deployment would have had (mutations in flight together / all)`,
      ours: `${int(r.conflicts.conflicts)} (${int(r.conflicts.concurrent)} / ${int(r.conflicts.mutations)})`,
      baseline: "",
      ratio: "",
      target: "0 on the reply path",
      met: r.conflicts.top.every(
        (e) =>
          !/chat:(begin|flush|finish|heartbeat|expireLease)|usage:settle|threads:purgeDeltas|lib:_deleteChunksPage/.test(
            Object.keys(e.retried).join(" "),
          ),
      ),
    });
  }
  const at = runs[0]!;
  rows.push({
    section: "10",
    measurement: `rows kept per finished reply (${at.rest.replies} replies): message + deltas + compacted text + the component's stream and chunks`,
    ours: at.rest.after.toFixed(2),
    baseline: `${at.rest.before.toFixed(1)} (before one copy at rest: every row the replies wrote)`,
    ratio: `${(at.rest.after / at.rest.before).toFixed(3)}x`,
    target: "1 (the message)",
    met: at.rest.after <= 1,
  });
  rows.push({
    section: "10",
    measurement: `a late joiner of a streaming reply at ${int(JOINER_DELTAS)} deltas (${int(joiner.chars)} chars): round trips to catch up`,
    ours: `${joiner.ours} (streams:catchUp)`,
    baseline: `${joiner.paged} (streams:read, 16 deltas a page)`,
    ratio: `${(joiner.ours / joiner.paged).toFixed(3)}x`,
    target: "1",
    met: joiner.ours <= 1,
  });
  const top = (r: Run) =>
    r.conflicts.top
      .slice(0, 5)
      .map(
        (e) =>
          `${e.table} ${e.document.slice(0, 12)}…: ${e.conflicts} (refused ${Object.entries(e.retried)
            .map(([f, c]) => `${f} ${c}`)
            .join(", ")}; writers ${Object.entries(e.writers)
            .map(([f, c]) => `${f} ${c}`)
            .join(", ")})`,
      )
      .join("; ") || "none";
  return {
    rows,
    notes: [
      `10: the local backend with a deployment's concurrency limits (local-backend/concurrency.ts; an HTTP action waits 10 s for a slot, then 429), ${n} threads made beforehand, then every conversation sends at once with the widget's own \`postChat\` (src/reply/post.ts: POST /chat-stream, sent again while busy within 10 s) and, refused for load, \`chat:queue\` over its own ConvexClient, following the reply with \`messages:live\` + \`StreamFollower\`. Replies: done = its thread holds one reply, \`done\`, with exactly the model's text, and the client saw exactly that; lost = still unfinished after 90 s; doubled = two replies or more text than sent. Time to first token: send → first body byte (POST) or first text on the socket (queued). Conflicts: local-backend/conflicts.ts (a mutation counts as refused when another wrote what it read while both were in flight; the local wait for the one transaction lock stands in for a deployment's time in flight).`,
      ...runs.map(
        (r) =>
          `10 (${r.httpActions} HTTP actions): conflicts by table ${JSON.stringify(r.conflicts.byTable)}; top five: ${top(r)}.`,
      ),
      `10 (rows kept): after the load's replies ended and their scheduled deletions ran, rows in <data>/db.json (messages, deltas, replyTexts; the component's streams and chunks) per assistant message; baseline: 1 + every delta, compacted text, stream and chunk the load's replies wrote (the conflict report's distinct documents written), per reply: what each would keep without one copy at rest.`,
      `10 (late joiner): a sent reply made streaming with ${JOINER_DELTAS} flushes of prose persisted as the driver writes them (bench-only \`seedStreaming\`), then the widget's \`StreamFollower\` opens it: its one-shot reads until it shows the whole text; baseline: \`streams:read\` pages from cursor 0.`,
    ],
    data: { runs, joiner },
  };
}
