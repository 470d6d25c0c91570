// The unmodified Convex clients against the local backend, over real sockets.
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { ConvexError, type Value } from "convex/values";
import { describe, expect, test } from "vitest";
import { nodeClient, unsignedJwt, useFixture, waitForValue } from "./helpers.js";

const api = anyApi;
type Note = { id: string; text: string; author: string | null };

// insecureAuth: the setAuth test below uses unsigned JWTs (auth.test.ts covers the strict default).
const { fx } = useFixture({ env: { FIXTURE_SECRET: "from-options" }, insecureAuth: true });

describe("ConvexClient (convex/browser) over the sync WebSocket", () => {
  test("subscribes, runs a mutation and an action, receives updated results", async () => {
    const client = nodeClient(fx().backend.convexUrl);
    try {
      const updates: Note[][] = [];
      const unsub = client.onUpdate(api.notes.list, {}, (v: Note[]) => updates.push(v));
      await waitForValue<Note[]>(
        (cb) => client.onUpdate(api.notes.list, {}, cb),
        () => true,
      );

      const id = await client.mutation(api.notes.add, { text: "from mutation" });
      expect(typeof id).toBe("string");
      // The mutation's promise resolves only after the Transition that includes its write.
      expect(updates.at(-1)!.some((n) => n.id === id)).toBe(true);

      const res = await client.action(api.notes.addViaAction, { text: "from action" });
      expect(res.upper).toBe("FROM ACTION");
      const list = await waitForValue<Note[]>(
        (cb) => client.onUpdate(api.notes.list, {}, cb),
        (v) => v.some((n) => n.id === res.id),
      );
      expect(list.map((n) => n.text)).toEqual(expect.arrayContaining(["from mutation", "from action"]));
      unsub();
    } finally {
      await client.close();
    }
  });

  test("ConvexError data reaches the client from a mutation, an action and a query", async () => {
    const client = nodeClient(fx().backend.convexUrl);
    try {
      const m = await client.mutation(api.notes.fail, {}).catch((e: unknown) => e);
      expect(m).toBeInstanceOf(ConvexError);
      expect((m as ConvexError<Value>).data).toEqual({ code: "NOPE", message: "not allowed", retryAfterMs: 5 });

      const a = await client.action(api.notes.failAction, {}).catch((e: unknown) => e);
      expect(a).toBeInstanceOf(ConvexError);
      expect((a as ConvexError<Value>).data).toMatchObject({ code: "BAD_ACTION" });

      const q = await new Promise<unknown>((resolve) => {
        const unsub = client.onUpdate(
          api.notes.failQuery,
          {},
          () => resolve("no error"),
          (e) => {
            resolve(e);
            queueMicrotask(unsub);
          },
        );
      });
      expect(q).toBeInstanceOf(ConvexError);
      expect((q as ConvexError<Value>).data).toEqual({ code: "BAD_QUERY", message: "query refused" });

      const plain = await client.mutation(api.notes.crash, {}).catch((e: unknown) => e);
      expect(plain).toBeInstanceOf(Error);
      expect(plain).not.toBeInstanceOf(ConvexError);
      expect(String((plain as Error).message)).toContain("plain failure");
    } finally {
      await client.close();
    }
  });

  test("setAuth identity reaches ctx.auth; only changed results are pushed", async () => {
    const client = nodeClient(fx().backend.convexUrl);
    try {
      const anon = await waitForValue(
        (cb) => client.onUpdate(api.notes.whoami, {}, cb),
        () => true,
      );
      expect(anon).toBeNull();
      client.setAuth(async () => unsignedJwt({ iss: "https://issuer.test", sub: "user-1", role: "operator" }));
      const me = await waitForValue<{ subject: string; tokenIdentifier: string; role: string } | null>(
        (cb) => client.onUpdate(api.notes.whoami, {}, cb),
        (v) => v !== null,
      );
      expect(me).toEqual({ subject: "user-1", tokenIdentifier: "https://issuer.test|user-1", role: "operator" });
      const id = await client.mutation(api.notes.add, { text: "signed in" });
      const http = new ConvexHttpClient(fx().backend.convexUrl, { logger: false });
      expect(((await http.query(api.notes.get, { id })) as { author?: string }).author).toBe("user-1");

      // A write to a table the subscription never read must not re-run or re-send it.
      const before = fx().backend.stats().totals;
      await client.mutation(api.notes.touchOther, {});
      const after = fx().backend.stats().totals;
      expect(after.queryRuns).toBe(before.queryRuns);
      expect(after.bytesSent).toBeGreaterThan(before.bytesSent); // the response + its Transition
    } finally {
      await client.close();
    }
  });

  test("a write outside the index range a subscription read does not re-run it; one inside does", async () => {
    const client = nodeClient(fx().backend.convexUrl);
    try {
      const seen: number[] = [];
      const unsubscribe = client.onUpdate(api.notes.ticks, {}, (v: number) => seen.push(v));
      await expect.poll(() => seen.length).toBeGreaterThan(0);
      const before = fx().backend.stats().totals.queryRuns;
      for (let i = 0; i < 3; i++) await client.mutation(api.notes.tickNamed, { name: "another" });
      expect(fx().backend.stats().totals.queryRuns).toBe(before);
      await client.mutation(api.notes.tickNamed, { name: "fixture" });
      await expect.poll(() => seen.at(-1)).toBe(1);
      expect(fx().backend.stats().totals.queryRuns).toBe(before + 1);
      unsubscribe();
    } finally {
      await client.close();
    }
  });

  test("internal functions are not callable by clients", async () => {
    const client = nodeClient(fx().backend.convexUrl);
    try {
      const e = await client.mutation(api.notes.addInternal, { text: "x" }).catch((err: unknown) => err);
      expect(String((e as Error).message)).toContain("Could not find public function");
    } finally {
      await client.close();
    }
    // Stats of closed connections are kept (benchmarks read them at the end).
    await new Promise((r) => setTimeout(r, 50));
    const { connections, totals } = fx().backend.stats();
    expect(connections.length).toBeGreaterThanOrEqual(4);
    expect(connections.every((c) => !c.open)).toBe(true);
    expect(totals.bytesSent).toBe(connections.reduce((n, c) => n + c.bytesSent, 0));
    expect(totals.documentsRead).toBeGreaterThan(0);
  });
});

describe("ConvexHttpClient over POST /api/*", () => {
  test("query, mutation, action and ConvexError data", async () => {
    const http = new ConvexHttpClient(fx().backend.convexUrl, { logger: false });
    const id = (await http.mutation(api.notes.add, { text: "over http" })) as string;
    expect(await http.query(api.notes.get, { id })).toMatchObject({ _id: id, text: "over http" });
    const r = (await http.action(api.notes.addViaAction, { text: "http action" })) as { id: string; upper: string };
    expect(r.upper).toBe("HTTP ACTION");
    const notes = (await http.query(api.notes.list, {})) as Note[];
    expect(notes.map((n) => n.id)).toEqual(expect.arrayContaining([id, r.id]));

    const e = await http.mutation(api.notes.fail, {}).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ConvexError);
    expect((e as ConvexError<Value>).data).toEqual({ code: "NOPE", message: "not allowed", retryAfterMs: 5 });
    const q = await http.query(api.notes.failQuery, {}).catch((err: unknown) => err);
    expect((q as ConvexError<Value>).data).toMatchObject({ code: "BAD_QUERY" });
  });

  test("functions see options.env on top of process.env", async () => {
    const http = new ConvexHttpClient(fx().backend.convexUrl, { logger: false });
    expect(await http.query(api.notes.env, { name: "FIXTURE_SECRET" })).toBe("from-options");
    expect(await http.query(api.notes.env, { name: "PATH" })).toBe(process.env.PATH);
    // The overlay is per backend: outside it the variable does not exist.
    expect(process.env.FIXTURE_SECRET).toBeUndefined();
  });
});

describe("sync protocol edge cases (raw WebSocket)", () => {
  test("a Mutation with undecodable args gets a failure response and later mutations still run", async () => {
    const { default: WebSocket } = await import("ws");
    const ws = new WebSocket(`${fx().backend.convexUrl.replace(/^http/, "ws")}/api/1.48.0/sync`);
    const responses: Record<string, any>[] = [];
    ws.on("message", (d) => {
      const msg = JSON.parse(d.toString());
      if (msg.type === "MutationResponse") responses.push(msg);
    });
    await new Promise((r) => ws.once("open", r));
    try {
      ws.send(
        JSON.stringify({ type: "Mutation", requestId: 0, udfPath: "notes:add", args: [{ text: { $integer: "bad" } }] }),
      );
      ws.send(
        JSON.stringify({ type: "Mutation", requestId: 1, udfPath: "notes:add", args: [{ text: "after a bad one" }] }),
      );
      for (let i = 0; i < 100 && responses.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      expect(responses.map((r) => [r.requestId, r.success])).toEqual([
        [0, false],
        [1, true],
      ]);
      expect(responses[0].result).toContain("Invalid arguments");
    } finally {
      ws.close();
    }
  });
});
