// The entry of dist/ai-chat-console.iife.js: ai-chat-console-define.ts, with beside-script.ts
// imported first. That module reads `document.currentScript`, which is set only while this file
// first runs; the one-file bundle would otherwise run it when the chat is first shown, and the
// languages and parts would load from beside the page instead of beside this file. (vite.config.ts
// marks it with side effects, so the bundler keeps the import.)
import "./beside-script.js";
import { AiChatConsole } from "./console/ai-chat-console.js";

export * from "./console.js";

AiChatConsole.define();
