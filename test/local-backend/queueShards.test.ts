// chat:queue counts the replies waiting in one share of MAX_QUEUED_REPLIES (queueShard), not in
// all of them: calls that land in different shares read disjoint ranges, so on a deployment they
// do not conflict (they all did when each read every queued reply). The local backend's conflict
// recorder (conflicts.ts) says which of the real app's calls, in flight together, would have.
import { readFileSync } from "node:fs";
import path from "node:path";
import { ConvexHttpClient } from "convex/browser";
import { makeFunctionReference } from "convex/server";
import { expect, test } from "vitest";
import { CONFLICTS_PATH, type ConflictReport } from "../../local-backend/conflicts.js";
import { tempDir, useAppBackend } from "./helpers.js";

const dataDir = tempDir();
const backend = useAppBackend(
  {
    // One runner with room for one reply, held by a slow first reply: the runners scheduled for
    // the others exit at once and write nothing, so only chat:queue writes queued replies here.
    QUEUE_RUNNERS: "1",
    QUEUE_RUNNER_REPLIES: "1",
    DEMO_TOKEN_DELAY_MS: "2000",
    // Every send also writes a share of the global rate limit and of the day's usage: spread
    // over many, so that calls seldom meet there first.
    RATE_LIMIT_GLOBAL_PER_MINUTE: "60000",
    RATE_LIMIT_NEW_VISITOR_SENDS_PER_MINUTE: "60000",
    TOKEN_USAGE_SHARDS: "64",
  },
  { dataDir },
);

async function conflicts(method: "GET" | "DELETE"): Promise<ConflictReport> {
  const res = await fetch(`${backend().convexUrl}${CONFLICTS_PATH}`, {
    method,
    headers: { Authorization: `Convex ${backend().adminKey}` },
  });
  return (await res.json()) as ConflictReport;
}

/** A visitor with a thread, as the widget makes one (POST /visitors, then threads:create). */
async function visitor(client: ConvexHttpClient) {
  const { token } = (await (await fetch(`${backend().siteUrl}/visitors`, { method: "POST", body: "{}" })).json()) as {
    token: string;
  };
  const thread = (await client.mutation(makeFunctionReference<"mutation">("threads:create"), { token })) as {
    threadId: string;
  };
  return { token, threadId: thread.threadId };
}

/** Each queued reply's share, from the saved database. */
async function queueShards(): Promise<Map<string, number>> {
  await backend().flush();
  const db = JSON.parse(readFileSync(path.join(dataDir, "db.json"), "utf8")) as {
    components: Record<string, { documents: Record<string, unknown> }>;
  };
  const shards = new Map<string, number>();
  // The app mounts the chat as its component `aiChat` (app/convex.config.ts).
  for (const raw of Object.values(db.components.aiChat!.documents)) {
    const doc = (typeof raw === "string" ? JSON.parse(raw) : raw) as { _id: string; queueShard?: number };
    if (typeof doc.queueShard === "number") shards.set(doc._id, doc.queueShard);
  }
  return shards;
}

test(
  "calls in flight together conflict on the queued count only when they picked the same share",
  { timeout: 60_000 },
  async () => {
    const client = new ConvexHttpClient(backend().convexUrl);
    const queue = makeFunctionReference<"mutation">("chat:queue");
    const first = await visitor(client);
    await client.mutation(queue, { ...first, prompt: "The slow one" });
    const n = 12;
    const visitors = await Promise.all(Array.from({ length: n }, () => visitor(client)));
    // The runner has taken the first reply and is full (the rest wait, queued, in their shares).
    await new Promise((r) => setTimeout(r, 500));
    await conflicts("DELETE");
    const replies = (await Promise.all(
      // A client each: one ConvexHttpClient sends its mutations one after another.
      visitors.map((v, i) =>
        new ConvexHttpClient(backend().convexUrl).mutation(queue, { ...v, prompt: `Question ${i}` }),
      ),
    )) as { assistantMessageId: string }[];
    const report = await conflicts("GET");
    expect(report.functions["chat:queue"]).toBe(n);
    const shards = await queueShards();
    const used = new Set(replies.map((r) => shards.get(r.assistantMessageId)));
    expect(used.has(undefined)).toBe(false);
    // A call is refused on the queue only behind an earlier one of its own share (other reads,
    // such as the global rate limit's, may refuse it first: those are not counted here).
    const onQueue = report.top
      .filter((e) => e.table === "aiChat/messages")
      .reduce((k, e) => k + (e.retried["chat:queue"] ?? 0), 0);
    expect(onQueue).toBeLessThanOrEqual(n - used.size);
    expect(used.size).toBeGreaterThan(1);
  },
);
