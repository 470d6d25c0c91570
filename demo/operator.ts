import "../src/ai-chat-console-define.ts";
