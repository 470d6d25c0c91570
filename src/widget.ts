// Entry of the visitor-facing script-tag build (dist/ai-chat-stream.iife.js): only
// <ai-chat-stream>, so pages that embed the chat do not download the operator console.
// The console has its own script-tag build (dist/ai-chat-console.iife.js, from index.ts).
import { AiChatStream } from "./ai-chat-stream.js";

export { AiChatStream } from "./ai-chat-stream.js";
export { AiChatErrorEvent, AiChatSendEvent, AiChatStreamEndEvent, AiChatStreamStartEvent } from "./events.js";

AiChatStream.define();
