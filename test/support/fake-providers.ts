// Fake model providers on 127.0.0.1 speaking the real SSE wire formats, so the real provider
// code (the AI SDK's OpenAI chat-completions and Anthropic messages clients) parses them; and a
// fake of Cloudflare Turnstile's siteverify.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type Script = {
  tokens: string[];
  /** Pause before each token (ms). */
  delayMs?: number;
  /** Before token `holdAt.index`, wait for `holdAt.until`: a test decides when the reply goes on. */
  holdAt?: { index: number; until: Promise<void> };
  /** Drop the connection after this many tokens. */
  dropAfter?: number;
  /** Send the provider's in-stream error event after this many tokens. */
  errorAfter?: number;
  /** Answer with this status and a JSON error body instead of streaming. */
  status?: number;
  /** Usage the provider reports (each protocol's own shape and place); default 10 in, 5 out. */
  usage?: { input: number; output: number };
  errorMessage?: string;
};

export type Received = {
  path: string;
  headers: IncomingHttpHeaders;
  body: any;
  /** Set when the client hung up before the reply was complete. */
  aborted: boolean;
  completed: boolean;
};

export type FakeProvider = { baseUrl: string; requests: Received[]; close(): Promise<void> };

type Usage = { input: number; output: number };

type Writer = {
  start(res: import("node:http").ServerResponse, body: any): void;
  token(res: import("node:http").ServerResponse, text: string): void;
  error(res: import("node:http").ServerResponse, message: string): void;
  end(res: import("node:http").ServerResponse, usage: Usage): void;
  errorBody(message: string): object;
};

const sse = (res: import("node:http").ServerResponse, data: object, event?: string) =>
  res.write(`${event ? `event: ${event}\n` : ""}data: ${JSON.stringify(data)}\n\n`);

const openAIWriter = (): Writer => {
  let model = "";
  let includeUsage = false;
  const chunk = (delta: object, finish: string | null = null) => ({
    id: "chatcmpl-1",
    object: "chat.completion.chunk",
    created: 1,
    model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  });
  return {
    start(res, body) {
      model = body.model;
      includeUsage = body.stream_options?.include_usage === true;
      sse(res, chunk({ role: "assistant", content: "" }));
    },
    token: (res, text) => sse(res, chunk({ content: text })),
    error: (res, message) => sse(res, { error: { message, type: "server_error", code: null } }),
    end(res, usage) {
      sse(res, chunk({}, "stop"));
      if (includeUsage) {
        const u = {
          prompt_tokens: usage.input,
          completion_tokens: usage.output,
          total_tokens: usage.input + usage.output,
        };
        sse(res, { ...chunk({}), choices: [], usage: u });
      }
      res.write("data: [DONE]\n\n");
    },
    errorBody: (message) => ({ error: { message, type: "invalid_request_error", code: "invalid_api_key" } }),
  };
};

const anthropicWriter = (inputTokens: number): Writer => ({
  start(res, body) {
    sse(
      res,
      {
        type: "message_start",
        message: {
          id: "msg_1",
          type: "message",
          role: "assistant",
          content: [],
          model: body.model,
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: inputTokens, output_tokens: 1 },
        },
      },
      "message_start",
    );
    sse(
      res,
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      "content_block_start",
    );
  },
  token: (res, text) =>
    sse(res, { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } }, "content_block_delta"),
  error: (res, message) => sse(res, { type: "error", error: { type: "overloaded_error", message } }, "error"),
  end(res, usage) {
    sse(res, { type: "content_block_stop", index: 0 }, "content_block_stop");
    sse(
      res,
      {
        type: "message_delta",
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { output_tokens: usage.output },
      },
      "message_delta",
    );
    sse(res, { type: "message_stop" }, "message_stop");
  },
  errorBody: (message) => ({ type: "error", error: { type: "authentication_error", message } }),
});

/** OpenAI Responses API events (`POST /responses`), the parts the AI SDK reads for text and usage. */
const responsesWriter = (): Writer => {
  let seq = 0;
  const event = (data: object) => sse(res_, { ...data, sequence_number: seq++ }, (data as { type: string }).type);
  let res_: import("node:http").ServerResponse;
  const item = { type: "message", id: "msg_1", status: "in_progress", role: "assistant", content: [] };
  return {
    start(res, body) {
      res_ = res;
      event({
        type: "response.created",
        response: { id: "resp_1", created_at: 1, model: body.model, status: "in_progress" },
      });
      event({ type: "response.output_item.added", output_index: 0, item });
    },
    token: (res, text) => {
      res_ = res;
      event({
        type: "response.output_text.delta",
        item_id: "msg_1",
        output_index: 0,
        content_index: 0,
        delta: text,
        logprobs: [],
      });
    },
    error: (res, message) => {
      res_ = res;
      event({ type: "error", code: "server_error", message, param: null });
    },
    end(res, usage) {
      res_ = res;
      event({ type: "response.output_item.done", output_index: 0, item: { ...item, status: "completed" } });
      event({
        type: "response.completed",
        response: {
          id: "resp_1",
          status: "completed",
          usage: { input_tokens: usage.input, output_tokens: usage.output, total_tokens: usage.input + usage.output },
        },
      });
    },
    errorBody: (message) => ({ error: { message, type: "invalid_request_error", code: "invalid_api_key" } }),
  };
};

async function startFake(
  pathSuffix: string,
  writer: (s: Script) => Writer,
  script: (body: any) => Script,
): Promise<FakeProvider> {
  const requests: Received[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer(async (req, res) => {
    let raw = "";
    for await (const c of req) raw += c;
    if (req.method !== "POST" || !req.url?.endsWith(pathSuffix)) {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.parse(raw);
    const received: Received = { path: req.url, headers: req.headers, body, aborted: false, completed: false };
    requests.push(received);
    res.on("close", () => {
      if (!received.completed) received.aborted = true;
    });
    const s = script(body);
    const w = writer(s);
    if (s.status && s.status !== 200) {
      res
        .writeHead(s.status, { "content-type": "application/json" })
        .end(JSON.stringify(w.errorBody(s.errorMessage ?? "error")));
      received.completed = true;
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    w.start(res, body);
    for (let i = 0; i < s.tokens.length; i++) {
      if (s.dropAfter === i) {
        await new Promise((r) => setTimeout(r, 30)); // let the tokens so far reach the client
        res.destroy();
        return;
      }
      if (s.errorAfter === i) {
        w.error(res, s.errorMessage ?? "Overloaded");
        received.completed = true;
        res.end();
        return;
      }
      if (s.holdAt?.index === i) await s.holdAt.until;
      if (s.delayMs) await new Promise((r) => setTimeout(r, s.delayMs));
      if (res.destroyed || received.aborted) return;
      w.token(res, s.tokens[i]);
    }
    w.end(res, s.usage ?? { input: 10, output: 5 });
    received.completed = true;
    res.end();
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** OpenAI-compatible chat completions (`POST {baseUrl}/chat/completions`). */
export const startFakeOpenAI = (script: (body: any) => Script) => startFake("/chat/completions", openAIWriter, script);
/** Anthropic messages (`POST {baseUrl}/messages`). */
export const startFakeAnthropic = (script: (body: any) => Script) =>
  startFake("/messages", (s) => anthropicWriter(s.usage?.input ?? 10), script);
/** OpenAI Responses API (`POST {baseUrl}/responses`). */
export const startFakeOpenAIResponses = (script: (body: any) => Script) =>
  startFake("/responses", responsesWriter, script);

export function words(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? [];
}

/**
 * Cloudflare Turnstile's siteverify (`TURNSTILE_VERIFY_URL`) on 127.0.0.1: `success` for a token
 * `accepts`, once each (a Turnstile token is single-use). `asked`: every token it was asked about.
 */
export async function startFakeSiteverify(
  accepts: (token: string) => boolean,
): Promise<{ url: string; asked: string[]; close(): Promise<void> }> {
  const asked: string[] = [];
  const server = createServer(async (req, res) => {
    let raw = "";
    for await (const c of req) raw += c;
    const token = new URLSearchParams(raw).get("response") ?? "";
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ success: accepts(token) && !asked.includes(token) }));
    asked.push(token);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/siteverify`,
    asked,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
