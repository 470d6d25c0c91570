/**
 * Model providers: the AI SDK (`ai` + `@ai-sdk/openai` / `@ai-sdk/anthropic`) does the wire
 * protocols; this module turns the SDK's stream (or the demo model's) into plain text deltas.
 * Imported only by the HTTP action (`convex/http.ts`): which provider to use is
 * `./modelConfig`, which has no SDK in it.
 */
import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { APICallError, type ModelMessage, streamText } from "ai";
import { type Env, type ModelConfig, setting } from "./modelConfig";
import { clip } from "./text";
import type { ChatTurn } from "./validators";

const DEFAULT_DEMO_TOKEN_DELAY_MS = 25;

/** An error whose message is already fit to show a person. */
class ReadableModelError extends Error {}

/** A sentence a person can read; never the provider's raw message (it may echo keys). */
export function describeModelError(error: unknown): string {
  if (error instanceof ReadableModelError) return error.message;
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    if (status === 401 || status === 403) {
      return `The model provider rejected the deployment's credentials (HTTP ${status}).`;
    }
    if (status === 404) return `The model provider does not offer the configured model (HTTP 404).`;
    if (status === 429) return `The model provider is rate limiting requests (HTTP 429); try again shortly.`;
    if (status !== undefined && status >= 200 && status < 300) {
      return "The connection to the model provider was lost mid-reply.";
    }
    if (status !== undefined && status >= 500) {
      return `The model provider had an internal error (HTTP ${status}); try again.`;
    }
    if (status !== undefined) return `The model provider refused the request (HTTP ${status}).`;
    return "Could not reach the model provider.";
  }
  if (error instanceof TypeError || (error instanceof Error && /fetch|ECONN|network/i.test(error.message))) {
    return "Could not reach the model provider.";
  }
  return "The model failed while writing the reply.";
}

type ReplyRequest = {
  config: ModelConfig;
  messages: ChatTurn[];
  /** The bytes of the newest prompt's attachments, by storage ID (`replyRun.ts` loads them). */
  files?: Map<string, Uint8Array>;
  signal: AbortSignal;
  /** The output-token cap every request carries (MAX_OUTPUT_TOKENS). */
  maxOutputTokens: number;
  /** Called once with the reply's total tokens (input + output) when the provider reports them. */
  onUsage?: (totalTokens: number) => void;
  env?: Env;
};

/** Text deltas of the reply. Ends early (without throwing) when `signal` aborts; throws on provider errors. */
export async function* streamReply(req: ReplyRequest): AsyncGenerator<string> {
  const env = req.env ?? process.env;
  if (req.config.provider === "demo") {
    yield* demoReply(req, env);
    return;
  }
  const model =
    req.config.provider === "anthropic"
      ? createAnthropic({
          apiKey: setting(env, "ANTHROPIC_API_KEY"),
          baseURL: setting(env, "ANTHROPIC_BASE_URL"),
        })(req.config.model)
      : openAIModel(env, req.config.model);
  const files = req.files ?? new Map<string, Uint8Array>();
  const result = streamText({
    model,
    system: req.config.system,
    messages: toModelMessages(req.messages, files),
    abortSignal: req.signal,
    maxOutputTokens: req.maxOutputTokens,
    // Errors arrive as `error` parts below; the default handler would also log them.
    onError: () => {},
  });
  for await (const part of result.fullStream) {
    if (part.type === "text-delta") {
      if (part.text) yield part.text;
    } else if (part.type === "error") {
      if (req.signal.aborted) return;
      // A model without vision (or PDF input) refuses the request: say so plainly.
      if (files.size > 0 && APICallError.isInstance(part.error) && part.error.statusCode === 400) {
        throw new ReadableModelError(
          "This model could not take the attached files (the provider refused them, HTTP 400). Send the question as text, or set AI_MODEL to a model that reads images and PDFs.",
        );
      }
      throw part.error;
    } else if (part.type === "abort") {
      return;
    } else if (part.type === "finish") {
      const total =
        part.totalUsage.totalTokens ?? (part.totalUsage.inputTokens ?? 0) + (part.totalUsage.outputTokens ?? 0);
      if (total > 0) req.onUsage?.(total);
    }
  }
}

/** "notes.txt (11 bytes)", "shot.png (1.2 MB)": how the demo model and older turns name a file. */
export function describeFile(a: { name: string; size: number }): string {
  const size =
    a.size < 1000
      ? `${a.size} bytes`
      : a.size < 1_000_000
        ? `${(a.size / 1000).toFixed(1)} kB`
        : `${(a.size / 1_000_000).toFixed(1)} MB`;
  return `${a.name} (${size})`;
}

/**
 * The conversation as the AI SDK takes it. The newest prompt's files go as parts: images as image
 * parts, PDFs as file parts, text files inlined with their name; an earlier turn's files (not
 * sent again: each would cost its tokens on every reply) are named in a line of text.
 */
export function toModelMessages(turns: ChatTurn[], files: Map<string, Uint8Array>): ModelMessage[] {
  return turns.map((turn): ModelMessage => {
    if (turn.role === "assistant") return { role: "assistant", content: turn.content };
    const attached = turn.attachments ?? [];
    if (attached.length === 0) return { role: "user", content: turn.content };
    const parts: Exclude<Extract<ModelMessage, { role: "user" }>["content"], string> = [];
    for (const a of attached) {
      const bytes = files.get(a.storageId);
      if (!bytes) parts.push({ type: "text", text: `[Attached earlier: ${describeFile(a)}]` });
      else if (a.contentType.startsWith("image/"))
        parts.push({ type: "image", image: bytes, mediaType: a.contentType });
      else if (a.contentType === "application/pdf")
        parts.push({ type: "file", data: bytes, mediaType: a.contentType, filename: a.name });
      else parts.push({ type: "text", text: `File ${a.name}:\n${new TextDecoder().decode(bytes)}` });
    }
    if (turn.content.length > 0) parts.push({ type: "text", text: turn.content });
    return { role: "user", content: parts };
  });
}

function openAIModel(env: Env, modelId: string) {
  const baseURL = setting(env, "OPENAI_BASE_URL");
  const provider = createOpenAI({
    // Local servers (Ollama, LM Studio) accept any key; the SDK insists on one.
    apiKey: setting(env, "OPENAI_API_KEY") ?? "not-needed",
    baseURL,
  });
  // OpenAI-compatible servers speak chat completions, not the Responses API.
  return baseURL ? provider.chat(modelId) : provider(modelId);
}

/* ---------------------------------------------------------------- demo model */

/**
 * The demo model's reply: every Markdown feature the widget renders, including a code block
 * and a list without sentence punctuation (they must reach observers before the reply ends).
 */
export function demoReplyText(prompt: string, attachments: { name: string; size: number }[] = []): string {
  const asked = clip(prompt.replace(/\s+/g, " ").trim(), 80);
  return [
    "## Hello from the demo model",
    "",
    `This is the built-in **demo model**: no model API key is set on this deployment, so this reply is canned. You wrote: "${asked}"`,
    "",
    // A file's name is the visitor's text: clipped, and in a code span so it renders as written.
    ...(attachments.length > 0
      ? [
          `You attached ${attachments.map((a) => "`" + clip(describeFile(a).replace(/`/g, "'"), 120) + "`").join(", ")}.`,
          "",
        ]
      : []),
    "What you are seeing",
    "",
    "- Text streams to this page as it is produced",
    "- Every viewer of this chat sees the same text live",
    "- Stop, reload or open a second tab and nothing is lost",
    "",
    "```ts",
    "function add(a: number, b: number) {",
    "  return a + b",
    "}",
    "```",
    "",
    "| To use | set |",
    "| --- | --- |",
    "| OpenAI | `OPENAI_API_KEY` |",
    "| Anthropic | `ANTHROPIC_API_KEY` |",
    "| Ollama, vLLM, LM Studio | `OPENAI_BASE_URL` |",
    "",
    "Read more in the [Convex docs](https://docs.convex.dev/). Set a key and the next reply comes from a real model!",
  ].join("\n");
}

/** Word-sized tokens with their trailing whitespace, so joining them gives the text back exactly. */
export function demoTokens(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? [];
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}

/**
 * DEMO_TOKEN_DELAY_MS (default 25) paces the tokens; 0 for benchmarks.
 * DEMO_FAIL_AFTER_TOKENS=N makes the demo model fail after N tokens (tests and CI exercise the
 * error path with it). Like a provider, it stops at the output cap and reports its usage (a
 * token per word out, one per 4 characters in), so budgets work against it.
 */
async function* demoReply(req: ReplyRequest, env: Env): AsyncGenerator<string> {
  const { messages, signal } = req;
  const last = [...messages].reverse().find((m) => m.role === "user");
  const prompt = last?.content ?? "";
  const delayRaw = Number(setting(env, "DEMO_TOKEN_DELAY_MS") ?? DEFAULT_DEMO_TOKEN_DELAY_MS);
  const delay = Number.isFinite(delayRaw) && delayRaw >= 0 ? delayRaw : DEFAULT_DEMO_TOKEN_DELAY_MS;
  const failAfterRaw = setting(env, "DEMO_FAIL_AFTER_TOKENS");
  const failAfter = failAfterRaw !== undefined && /^\d+$/.test(failAfterRaw) ? Number(failAfterRaw) : null;
  const tokens = demoTokens(demoReplyText(prompt, last?.attachments)).slice(0, req.maxOutputTokens);
  const inputTokens = Math.ceil(messages.reduce((n, m) => n + m.content.length, 0) / 4);
  for (let i = 0; i < tokens.length; i++) {
    if (signal.aborted) return;
    if (failAfter !== null && i >= failAfter) {
      throw new ReadableModelError("The demo model failed mid-reply (DEMO_FAIL_AFTER_TOKENS is set).");
    }
    if (delay > 0) await sleep(delay, signal);
    else if (i % 16 === 15) await sleep(0, signal);
    if (signal.aborted) return;
    yield tokens[i];
  }
  req.onUsage?.(inputTokens + tokens.length);
}
