// The chat backend as a Convex component: its own tables (schema.ts), functions, crons and HTTP
// routes (http.ts, mounted by the installing app with `httpPrefix`), and the variables it reads
// (lib/env.ts), which the installing app binds. Published as `ai-chat-stream/convex.config`;
// the standalone app (app/) installs it exactly as any other app does.
import { defineComponent } from "convex/server";
import persistentTextStreaming from "@convex-dev/persistent-text-streaming/convex.config";
import rateLimiter from "@convex-dev/rate-limiter/convex.config";
import { AI_CHAT_ENV } from "./lib/env";

const component = defineComponent("aiChat", { env: AI_CHAT_ENV });
// Stream lifecycle + chunk storage, so the stock `getStreamBody` sees every reply.
component.use(persistentTextStreaming);
// Per-visitor and global message budgets.
component.use(rateLimiter);

export default component;
