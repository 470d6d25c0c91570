// The chat, as this app's own functions: its signed-in users own their threads, its admins are
// the chat's operators.
import { AiChat } from "../../../convex/client"; // in your app: "ai-chat-stream/server"
import { components } from "./_generated/api";
import type { DataModel } from "./_generated/dataModel";
import { currentUser } from "./users";

export const aiChat = new AiChat<DataModel>(components.aiChat, {
  authorize: async (ctx) => {
    const user = await currentUser(ctx);
    return user && { userId: user._id, operator: user.role === "admin" };
  },
});
