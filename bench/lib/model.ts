// The model side of the benchmark: the project's fake OpenAI-compatible server
// (test/support/fake-providers.ts) scripted by the prompt, so one server can stream replies of any
// length at any rate. Prompts look like `bench tokens=2000 rate=500 seed=3 kind=prose`.
import { startFakeOpenAI, type FakeProvider, type Script } from "../../test/support/fake-providers.ts";

const WORDS = (
  "the a stream reply token observer driver backend widget cursor flush text answer chunk model " +
  "page socket query server client browser render update latency buffer delta cost write read " +
  "of to and in is it that for on with as by at from this we you can will each one more"
).split(" ");

/** Deterministic pseudo-random numbers (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` model tokens of prose: word tokens with their leading space (about 5 bytes each,
 * like an English BPE token), sentences of 8-24 tokens, paragraphs of 3-6 sentences.
 */
export function proseTokens(count: number, seed = 1): string[] {
  const r = rng(seed);
  const out: string[] = [];
  let inSentence = 0;
  let sentenceLen = 8 + Math.floor(r() * 17);
  let sentences = 0;
  let paragraphLen = 3 + Math.floor(r() * 4);
  for (let i = 0; i < count; i++) {
    const word = WORDS[Math.floor(r() * WORDS.length)]!;
    const first = inSentence === 0;
    const lead = out.length === 0 ? "" : first && sentences === 0 ? "\n\n" : " ";
    let tok = lead + (first ? word[0]!.toUpperCase() + word.slice(1) : word);
    inSentence++;
    if (inSentence >= sentenceLen || i === count - 1) {
      tok += ".";
      inSentence = 0;
      sentenceLen = 8 + Math.floor(r() * 17);
      sentences++;
      if (sentences >= paragraphLen) {
        sentences = 0;
        paragraphLen = 3 + Math.floor(r() * 4);
      }
    }
    out.push(tok);
  }
  return out;
}

/** Sentences in a text (a sentence ends with `.!?` followed by whitespace or the end). */
export function countSentences(text: string): number {
  return (text.match(/[.!?](\s|$)/g) ?? []).length;
}

export type ReplySpec = { tokens: number; rate: number; seed?: number };

export function promptFor(spec: ReplySpec): string {
  return `bench tokens=${spec.tokens} rate=${spec.rate} seed=${spec.seed ?? 1}`;
}

function parsePrompt(prompt: string): ReplySpec | null {
  const m = /bench tokens=(\d+) rate=(\d+(?:\.\d+)?) seed=(\d+)/.exec(prompt);
  return m ? { tokens: Number(m[1]), rate: Number(m[2]), seed: Number(m[3]) } : null;
}

/** The reply text the fake model streams for `spec` (what persisted text must equal). */
export function replyText(spec: ReplySpec): string {
  return proseTokens(spec.tokens, spec.seed ?? 1).join("");
}

/**
 * Paces tokens at `rate` per second. Timers are coarse (~1 ms + event-loop noise), so tokens
 * are grouped into SSE chunks every >= 20 ms: 500 tok/s is 10 tokens per 20 ms chunk, 50 tok/s
 * one token per 20 ms. The effective rate is measured by the callers.
 */
function scriptFor(spec: ReplySpec): Script {
  const tokens = proseTokens(spec.tokens, spec.seed ?? 1);
  const group = Math.max(1, Math.round((spec.rate * 20) / 1000));
  const pieces: string[] = [];
  for (let i = 0; i < tokens.length; i += group) pieces.push(tokens.slice(i, i + group).join(""));
  return { tokens: pieces, delayMs: (group / spec.rate) * 1000 };
}

export async function startBenchModel(): Promise<FakeProvider & { env: Record<string, string> }> {
  const fake = await startFakeOpenAI((request: { messages: { role: string; content: unknown }[] }) => {
    const last = [...request.messages].reverse().find((m) => m.role === "user");
    const prompt = typeof last?.content === "string" ? last.content : JSON.stringify(last?.content ?? "");
    const spec = parsePrompt(prompt);
    return spec ? scriptFor(spec) : { tokens: ["Unscripted prompt."] };
  });
  return Object.assign(fake, {
    env: { OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: "bench", AI_MODEL: "bench-model" },
  });
}
