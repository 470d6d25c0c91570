// ES and IIFE entry: the elements' classes and types, and the `<ai-chat-stream>` and
// `<ai-chat-console>` tags registered on import (idempotent; `AiChatStream.define("other-tag")`
// registers another name as well).
import { AiChatConsole } from "./ai-chat-console.js";
import { AiChatStream } from "./ai-chat-stream.js";

export { AiChatStream, deriveSiteUrl } from "./ai-chat-stream.js";
export type { ChatMode, ChatStatus, ChatTheme } from "./ai-chat-stream.js";
export { AiChatConsole, consoleStorageKey, type ConsolePhase } from "./ai-chat-console.js";
export {
  AiChatConsoleSelectEvent,
  AiChatErrorEvent,
  AiChatSendEvent,
  AiChatStreamEndEvent,
  AiChatStreamStartEvent,
} from "./events.js";
export { defaultConsoleStrings, defaultStrings, type ChatStrings, type ConsoleStrings } from "./strings.js";
export { renderMarkdown, MarkdownStream, isAllowedImage, type MarkdownOptions } from "./markdown.js";
export { setClientFactory, type ChatClient, type ClientFactory } from "./convex-pool.js";
export type { ChatConfig, MessageStatus, MessageView, StreamSlice, ThreadView } from "./api.js";

AiChatStream.define();
AiChatConsole.define();
