// ES entry: the element's classes and types, and the `<ai-chat-stream>` tag registered on import
// (idempotent; `AiChatStream.define("other-tag")` registers another name as well).
import { AiChatStream } from "./ai-chat-stream.js";

export { AiChatStream, deriveSiteUrl } from "./ai-chat-stream.js";
export type { ChatMode, ChatStatus, ChatTheme } from "./ai-chat-stream.js";
export { AiChatErrorEvent, AiChatSendEvent, AiChatStreamEndEvent, AiChatStreamStartEvent } from "./events.js";
export { defaultStrings, type ChatStrings } from "./strings.js";
export { renderMarkdown, MarkdownStream, isAllowedImage, type MarkdownOptions } from "./markdown.js";
export { setClientFactory, type ChatClient, type ClientFactory } from "./convex-pool.js";
export type { ChatConfig, MessageStatus, MessageView, StreamSlice, ThreadView } from "./api.js";

AiChatStream.define();
