import { defineApp } from "convex/server";
// In your app: "ai-chat-stream/convex.config" and "ai-chat-stream/server".
import aiChat from "../../../convex/convex.config";
import { AI_CHAT_ENV, aiChatEnv } from "../../../convex/client";

const app = defineApp({ env: { ...AI_CHAT_ENV } });
// The chat's routes under /chat/: the widget's `site-url` is `https://<deployment>.convex.site/chat`.
app.use(aiChat, { httpPrefix: "/chat/", env: aiChatEnv(app) });

export default app;
