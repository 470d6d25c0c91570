// Package entry `ai-chat-stream/console`: the operator console's class, event and strings, plus
// everything `ai-chat-stream` exports (the console embeds the chat). Registers nothing;
// `ai-chat-stream/console/define` registers both tags.
export * from "./index.js";
export { AiChatConsole, consoleStorageKey, type ConsolePhase } from "./console/ai-chat-console.js";
export { AiChatConsoleSelectEvent } from "./events.js";
export { defaultConsoleStrings, type ConsoleStrings } from "./strings.js";
