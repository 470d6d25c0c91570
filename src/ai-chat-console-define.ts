// Package entry `ai-chat-stream/console/define`, and the script-tag build
// dist/ai-chat-console.iife.js: everything `ai-chat-stream/console` exports, with
// `<ai-chat-console>` and the `<ai-chat-stream>` it embeds registered on import (idempotent).
import { AiChatConsole } from "./console/ai-chat-console.js";

export * from "./console.js";

AiChatConsole.define();
