// The thin app: its own tables and routes, the chat component mounted under /chat/.
import { defineApp } from "convex/server";
import { v } from "convex/values";
import chat from "../chat/convex.config";

const app = defineApp({
  env: { CHAT_GREETING: v.optional(v.string()) },
});
app.use(chat, { httpPrefix: "/chat/", env: { GREETING: app.env.CHAT_GREETING, MODE: "test" } });
export default app;
