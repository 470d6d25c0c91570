// Package entry `ai-chat-stream/define`, and the script-tag build dist/ai-chat-stream.iife.js:
// everything `ai-chat-stream` exports, with `<ai-chat-stream>` registered on import. Idempotent:
// when the tag is already defined (the script included twice, or the page defined it first)
// the existing definition stays and nothing throws.
import { AiChatStream } from "./ai-chat-stream.js";

export * from "./index.js";

AiChatStream.define();
