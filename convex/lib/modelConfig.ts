/**
 * Which model answers, from the deployment's environment, and the conversation it is sent.
 * No AI SDK here: queries and mutations import this module, and each function module is bundled
 * with everything it imports (the SDK is ~2 MB). Only the HTTP action imports `./models`.
 *
 * - ANTHROPIC_API_KEY set -> Anthropic (ANTHROPIC_BASE_URL optional).
 * - else OPENAI_API_KEY or OPENAI_BASE_URL set -> OpenAI. With OPENAI_BASE_URL the
 *   chat-completions API is used, which Ollama, vLLM and LM Studio speak.
 * - else the built-in demo model (no network): a deterministic Markdown reply.
 * AI_MODEL picks the model, AI_SYSTEM_PROMPT the system prompt.
 */
import type { ChatTurn } from "./validators";

export type Env = Record<string, string | undefined>;

type Provider = "demo" | "openai" | "anthropic";

export type ModelConfig = {
  provider: Provider;
  /** Stored on messages and threads; "demo" for the demo model. */
  model: string;
  system: string;
};

const DEMO_MODEL = "demo";
const DEFAULT_OPENAI_MODEL = "gpt-4o-mini";
const DEFAULT_ANTHROPIC_MODEL = "claude-sonnet-4-5";
const DEFAULT_SYSTEM_PROMPT =
  "You are a helpful assistant embedded in a website chat widget. Answer concisely in Markdown.";

export function setting(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export function modelConfig(env: Env = process.env): ModelConfig {
  const system = setting(env, "AI_SYSTEM_PROMPT") ?? DEFAULT_SYSTEM_PROMPT;
  if (setting(env, "ANTHROPIC_API_KEY")) {
    return { provider: "anthropic", model: setting(env, "AI_MODEL") ?? DEFAULT_ANTHROPIC_MODEL, system };
  }
  if (setting(env, "OPENAI_API_KEY") || setting(env, "OPENAI_BASE_URL")) {
    return { provider: "openai", model: setting(env, "AI_MODEL") ?? DEFAULT_OPENAI_MODEL, system };
  }
  return { provider: "demo", model: DEMO_MODEL, system };
}

/**
 * The conversation sent to the model: the newest turns whose text fits in `budgetChars`
 * (HISTORY_CHARS, default 24,000), oldest first. The newest turn (the prompt) is always kept.
 * Turns with no text (unfinished or failed replies) are skipped.
 */
export function buildHistory(turns: ChatTurn[], budgetChars: number): ChatTurn[] {
  const kept: ChatTurn[] = [];
  let used = 0;
  for (let i = turns.length - 1; i >= 0; i--) {
    const turn = turns[i];
    if (turn.content.length === 0 && !turn.attachments?.length) continue;
    if (kept.length > 0 && used + turn.content.length > budgetChars) break;
    kept.push(turn);
    used += turn.content.length;
  }
  kept.reverse();
  // Providers want the conversation to start with a user turn.
  while (kept.length > 1 && kept[0].role !== "user") kept.shift();
  return kept;
}
