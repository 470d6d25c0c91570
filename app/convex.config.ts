// The standalone app: nothing of its own but the chat component, mounted at the site root so
// `POST {site}/chat-stream` and `/visitors` keep their URLs, and the component's variables bound
// to the deployment's own (`npx convex env set OPENAI_API_KEY ...` works as before).
import { defineApp } from "convex/server";
import aiChat from "../convex/convex.config";
import { AI_CHAT_ENV, aiChatEnv } from "../convex/lib/env";

const app = defineApp({ env: { ...AI_CHAT_ENV } });
app.use(aiChat, { httpPrefix: "/", env: aiChatEnv(app) });

export default app;
