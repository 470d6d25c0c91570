// Package entry `ai-chat-stream`: the chat element's class, events, strings and helpers.
// Importing it registers nothing (no side effects, so bundlers can drop what a page does not
// use); `ai-chat-stream/define` registers `<ai-chat-stream>`, or call `AiChatStream.define(tag?)`.
// The operator console has its own entries (`ai-chat-stream/console`, `.../console/define`),
// so a page that embeds the chat never bundles it.
export { AiChatStream, deriveSiteUrl } from "./shell/ai-chat-stream.js";
export type { ChatMode, ChatStatus, ChatTheme } from "./shell/ai-chat-stream.js";
export {
  AiChatErrorEvent,
  AiChatFeedbackEvent,
  AiChatHandoffEvent,
  AiChatSendEvent,
  AiChatStreamEndEvent,
  AiChatStreamStartEvent,
} from "./events.js";
export { defaultStrings, type ChatStrings } from "./strings.js";
export { renderMarkdown, MarkdownStream, isAllowedImage, type MarkdownOptions } from "./markdown/index.js";
export { setClientFactory, type ChatClient, type ClientFactory } from "./convex-pool.js";
export type { ChatConfig, MessageStatus, MessageView, StreamSlice, ThreadView, VisitorClaim } from "./api.js";
