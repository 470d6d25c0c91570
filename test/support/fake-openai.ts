// A fake OpenAI-compatible chat-completions server on 127.0.0.1: the one thing outside our
// system that tests fake. It speaks the real SSE wire format, so the real provider code
// (the AI SDK's OpenAI-compatible client) parses it.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type FakeReply = {
  /** Text pieces sent as separate SSE chunks, in order. */
  tokens: string[];
  /** Pause before each token (ms). */
  delayMs?: number;
  /** Cut the connection after this many tokens, as a crashing provider would. */
  failAfter?: number;
  /** Answer with this HTTP status and an OpenAI-style error body instead of streaming. */
  status?: number;
};

export type ChatRequest = { model: string; messages: { role: string; content: unknown }[]; stream?: boolean };

export type FakeOpenAI = {
  baseUrl: string;
  /** Every request body received, oldest first. */
  requests: ChatRequest[];
  close(): Promise<void>;
};

/** Splits text into word-ish tokens the way a model streams them (spaces kept). */
export function tokenize(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}

export async function startFakeOpenAI(script: (request: ChatRequest) => FakeReply): Promise<FakeOpenAI> {
  const requests: ChatRequest[] = [];
  const sockets = new Set<import("node:net").Socket>();
  const server: Server = createServer(async (req, res) => {
    if (req.method !== "POST" || !req.url?.endsWith("/chat/completions")) {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "not found" } }));
      return;
    }
    const request = JSON.parse(await readBody(req)) as ChatRequest;
    requests.push(request);
    const reply = script(request);
    if (reply.status && reply.status !== 200) {
      res
        .writeHead(reply.status, { "content-type": "application/json" })
        .end(JSON.stringify({ error: { message: `fake provider error ${reply.status}`, type: "server_error" } }));
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    const id = `chatcmpl-${requests.length}`;
    const created = Math.floor(Date.now() / 1000);
    const send = (delta: object, finish: string | null = null) =>
      res.write(`data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: request.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
    send({ role: "assistant", content: "" });
    for (let i = 0; i < reply.tokens.length; i++) {
      if (reply.failAfter !== undefined && i === reply.failAfter) {
        res.destroy(); // an abrupt drop, mid-reply
        return;
      }
      if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
      if (res.destroyed) return;
      send({ content: reply.tokens[i] });
    }
    send({}, "stop");
    res.write("data: [DONE]\n\n");
    res.end();
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
