// Entry of the console's single file (dist/ai-chat-console.iife.js). The chat inside it is
// bundled as modules that run when first needed, after this file's script has finished, when
// `document.currentScript` is null: so it is read here, while the file runs, and parts and
// languages load from beside this file (they loaded from the page's folder).
import { besideScript } from "./beside-script.js";
import { AiChatConsole } from "./console/ai-chat-console.js";

export * from "./console.js";

besideScript(document.currentScript);
AiChatConsole.define();
