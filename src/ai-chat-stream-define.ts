// Package entry `ai-chat-stream/define` (the script-tag build's entry is loader.script.ts):
// everything `ai-chat-stream` exports, with `<ai-chat-stream>` registered on import. Idempotent:
// when the tag is already defined (the script included twice, or the page defined it first)
// the existing definition stays and nothing throws.
import { AiChatStream } from "./shell/ai-chat-stream.js";

export * from "./index.js";

AiChatStream.define();
