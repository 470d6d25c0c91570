/**
 * Every environment variable the component's functions read, declared once: the component's
 * `defineComponent("aiChat", { env })` (convex.config.ts) and any app installing it
 * (`defineApp({ env: { ...AI_CHAT_ENV } })` plus `app.use(aiChat, { env: aiChatEnv(app) })`)
 * take the same list. A component sees only the variables it declares, as its parent binds
 * them; `aiChatEnv` binds each to the app's variable of the same name, read live, so
 * `npx convex env set X` applies at once. All optional: unset, each has the default the README's
 * table gives. A test checks that every name the functions read is here.
 */
import { v } from "convex/values";

const optional = v.optional(v.string());

export const AI_CHAT_ENV = {
  // Model provider.
  OPENAI_API_KEY: optional,
  OPENAI_BASE_URL: optional,
  ANTHROPIC_API_KEY: optional,
  ANTHROPIC_BASE_URL: optional,
  AI_MODEL: optional,
  AI_SYSTEM_PROMPT: optional,
  DEMO_TOKEN_DELAY_MS: optional,
  DEMO_FAIL_AFTER_TOKENS: optional,
  // Operators.
  OPERATOR_SECRET: optional,
  OPERATOR_SESSION_HOURS: optional,
  RATE_LIMIT_OPERATOR_FAILURES_PER_MINUTE: optional,
  OPERATOR_FAILURES_PER_ADDRESS_PER_MINUTE: optional,
  // Who may call, and how much.
  ALLOWED_ORIGINS: optional,
  TURNSTILE_SECRET_KEY: optional,
  TURNSTILE_VERIFY_URL: optional,
  MAX_OUTPUT_TOKENS: optional,
  DAILY_TOKEN_BUDGET: optional,
  VISITOR_DAILY_TOKENS: optional,
  TOKEN_USAGE_SHARDS: optional,
  MAX_PROMPT_CHARS: optional,
  MAX_THREADS_PER_VISITOR: optional,
  HISTORY_CHARS: optional,
  RATE_LIMIT_MESSAGES_PER_MINUTE: optional,
  RATE_LIMIT_GLOBAL_PER_MINUTE: optional,
  RATE_LIMIT_NEW_VISITORS_PER_MINUTE: optional,
  RATE_LIMIT_NEW_VISITOR_SENDS_PER_MINUTE: optional,
  RATE_LIMIT_SHARES_PER_MINUTE: optional,
  RATE_LIMIT_STREAM_REQUESTS_PER_MINUTE: optional,
  RATE_LIMIT_ADDRESS_MESSAGES_PER_MINUTE: optional,
  NEW_VISITORS_PER_ADDRESS_PER_MINUTE: optional,
  NEW_VISITOR_BUDGET_PERCENT: optional,
  REPLIES_IN_FLIGHT_PER_VISITOR: optional,
  CLIENT_ADDRESS_HEADER: optional,
  // Proof of work on minting.
  PROOF_OF_WORK: optional,
  POW_SECRET: optional,
  POW_COST: optional,
  POW_MAX_NUMBER: optional,
  // Streaming.
  STREAM_CHUNK_BY: optional,
  STREAM_FLUSH_MS: optional,
  STREAM_MAX_WRITES_PER_SEC: optional,
  REPLY_LEASE_MS: optional,
  MAX_QUEUED_REPLIES: optional,
  QUEUE_RUNNERS: optional,
  QUEUE_RUNNER_REPLIES: optional,
  // Who the visitor is (docs/visitor-identity.md).
  VISITOR_IDENTITY_SECRET: optional,
  VISITOR_CONTEXT_TO_MODEL: optional,
  // Attachments.
  MAX_FILE_BYTES: optional,
  MAX_FILES_PER_MESSAGE: optional,
  RATE_LIMIT_UPLOADS_PER_MINUTE: optional,
};

export type AiChatEnvName = keyof typeof AI_CHAT_ENV;

/**
 * The component's bindings: each variable to the app's own of the same name (the app declares
 * them with `...AI_CHAT_ENV`). `app` is the `defineApp(...)` result.
 */
export function aiChatEnv<E extends Record<AiChatEnvName, unknown>>(app: { env: E }): Pick<E, AiChatEnvName> {
  const out = {} as Pick<E, AiChatEnvName>;
  for (const name of Object.keys(AI_CHAT_ENV) as AiChatEnvName[]) out[name] = app.env[name];
  return out;
}
