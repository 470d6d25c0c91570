// The chat, added to this app (convex.config.ts has the rest). Its signed-in users own their
// threads, its admins are the chat's operators; the page's element takes functions-path="aiChat:".
import { AiChat } from "../../../convex/client"; // in your app: "ai-chat-stream/server"
import { components } from "./_generated/api";
import type { DataModel } from "./_generated/dataModel";
import { currentUser } from "./users";
export * from "../../../convex/client.functions"; // in your app: "ai-chat-stream/functions"

export const aiChat = new AiChat<DataModel>(components.aiChat, {
  authorize: async (ctx) => {
    const user = await currentUser(ctx);
    return user && { userId: user._id, operator: user.role === "admin" };
  },
});
