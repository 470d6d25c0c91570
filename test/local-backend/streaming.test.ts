// HTTP actions on the site URL: bodies streamed as produced, real URLs, the app's own CORS,
// and the persistent-text-streaming component under concurrent load.
import { anyApi } from "convex/server";
import { describe, expect, test } from "vitest";
import { nodeClient, useFixture } from "./helpers.js";

const api = anyApi;
const { fx } = useFixture();

async function readAll(res: Response, onChunk?: (text: string, at: number) => void): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const chunk = decoder.decode(value, { stream: true });
    onChunk?.(chunk, Date.now());
    text += chunk;
  }
  return text;
}

describe("site URL", () => {
  test("the first bytes of a streaming HTTP action arrive before the action finishes", async () => {
    const res = await fetch(`${fx().backend.siteUrl}/ticks?n=5&delay=120`);
    expect(res.status).toBe(200);
    let firstArrival = 0;
    const text = await readAll(res, (_chunk, at) => {
      if (firstArrival === 0) firstArrival = at;
    });
    const lines = text
      .trim()
      .split("\n")
      .map((l) => l.split(" ").map(Number));
    expect(lines.map(([i]) => i)).toEqual([0, 1, 2, 3, 4]);
    // Each line carries the server time it was produced. The first one reached us before
    // the last one existed: nothing was buffered until the action finished.
    const lastProduced = lines[4][1];
    expect(firstArrival).toBeGreaterThan(0);
    expect(firstArrival).toBeLessThan(lastProduced);
  });

  test("request.url carries the real host; bearer identity is optional", async () => {
    const res = await fetch(`${fx().backend.siteUrl}/url?x=1`);
    const body = (await res.json()) as { url: string; subject: string | null };
    expect(body.url).toBe(`${fx().backend.siteUrl}/url?x=1`);
    expect(body.subject).toBeNull();
  });

  test("CORS preflight is answered by the app's own OPTIONS route", async () => {
    const res = await fetch(`${fx().backend.siteUrl}/stream`, {
      method: "OPTIONS",
      headers: { Origin: "http://example.test", "Access-Control-Request-Method": "POST" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("x-fixture-preflight")).toBe("yes");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const missing = await fetch(`${fx().backend.siteUrl}/nowhere`);
    expect(missing.status).toBe(404);
  });

  test("concurrent streams plus another client's mutations: persisted text equals streamed text", async () => {
    const writer = nodeClient(fx().backend.convexUrl);
    const other = nodeClient(fx().backend.convexUrl);
    try {
      const streams = await Promise.all(
        [0, 1, 2, 3].map(async (s) => {
          const streamId = (await writer.mutation(api.streams.create, {})) as string;
          const chunks = Array.from({ length: 12 }, (_, i) => (i % 3 === 2 ? `s${s} part ${i}. ` : `s${s}-w${i} `));
          return { streamId, chunks };
        }),
      );
      let mutationsDone = 0;
      const noise = (async () => {
        for (let i = 0; i < 25; i++) {
          await other.mutation(api.notes.add, { text: `noise ${i}` });
          mutationsDone++;
        }
      })();
      const streamed = await Promise.all(
        streams.map(async ({ streamId, chunks }) => {
          const res = await fetch(`${fx().backend.siteUrl}/stream`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ streamId, chunks, delayMs: 15 }),
          });
          expect(res.status).toBe(200);
          return { streamId, expected: chunks.join(""), text: await readAll(res) };
        }),
      );
      await noise;
      expect(mutationsDone).toBe(25);
      for (const s of streamed) {
        expect(s.text).toBe(s.expected);
        const body = (await writer.query(api.streams.body, { streamId: s.streamId })) as {
          text: string;
          status: string;
        };
        expect(body.status).toBe("done");
        expect(body.text).toBe(s.text);
      }
      // A second POST for a started stream is refused by the component (205), as in production.
      const again = await fetch(`${fx().backend.siteUrl}/stream`, {
        method: "POST",
        body: JSON.stringify({ streamId: streamed[0].streamId, chunks: ["x"], delayMs: 0 }),
      });
      expect(again.status).toBe(205);
    } finally {
      await writer.close();
      await other.close();
    }
  });
});

describe("site URL, client goes away", () => {
  test("a client that disconnects mid-stream does not stop persistence or the server", async () => {
    const client = nodeClient(fx().backend.convexUrl);
    try {
      const streamId = (await client.mutation(api.streams.create, {})) as string;
      const chunks = Array.from({ length: 10 }, (_, i) => `part ${i}. `);
      const abort = new AbortController();
      const res = await fetch(`${fx().backend.siteUrl}/stream`, {
        method: "POST",
        body: JSON.stringify({ streamId, chunks, delayMs: 20 }),
        signal: abort.signal,
      });
      const reader = res.body!.getReader();
      await reader.read();
      abort.abort();
      // The action keeps going and persists everything; the server keeps serving.
      for (let i = 0; i < 100; i++) {
        const body = (await client.query(api.streams.body, { streamId })) as { text: string; status: string };
        if (body.status !== "pending" && body.status !== "streaming") break;
        await new Promise((r) => setTimeout(r, 30));
      }
      const body = (await client.query(api.streams.body, { streamId })) as { text: string; status: string };
      expect(body.status).toBe("done");
      expect(body.text).toBe(chunks.join(""));
      expect((await fetch(`${fx().backend.siteUrl}/url`)).status).toBe(200);
    } finally {
      await client.close();
    }
  });
});
