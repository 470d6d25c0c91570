// The console's script-tag build (dist/ai-chat-console.iife.js): what ai-chat-console-define.ts
// is (a module imported from here would lose its `define()` call: package.json marks src/ free of
// side effects), with the handoff part (src/handoff/visitor.ts) inside. Every thread the operator
// opens may hold an operator's messages, so the part is always wanted here; and the chat inside
// this one file starts after `document.currentScript` is gone, so it would look for a part file
// beside the page rather than beside this script. Registered now, `loadPart("handoff")` finds it.
import { AiChatConsole } from "./console/ai-chat-console.js";
import * as handoff from "./handoff/visitor.js";
import { partsRegistry } from "./parts-registry.js";

export * from "./console.js";

partsRegistry().handoff = handoff;
AiChatConsole.define();
