// The chat, added to this app: this file (11 lines without comments) and convex.config.ts (6),
// plus 2 on a page (the script tag, and the element with functions-path="aiChat:" and site-url
// ending in /chat): 19 in all. Its signed-in users own their threads, its admins are the chat's
// operators. The export line covers every function of the component, new ones too.
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
