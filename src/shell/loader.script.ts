// Entry of the visitor-facing script-tag build, dist/ai-chat-stream.iife.js: the loader. It holds
// only <ai-chat-stream>'s shell (launcher, panel frame, styles, the tag); the chat itself is
// dist/ai-chat-stream.chat.js, loaded from the same folder when it is wanted
// (load-chat-view.script.ts). Registering is idempotent: the script included twice, or on a page
// that defined the tag first, keeps the existing definition and throws nothing.
import * as lit from "lit";
import { AiChatStream } from "./ai-chat-stream.js";
import * as events from "../events.js";
import { offerToChat } from "./hand-off.js";

export { AiChatStream, deriveSiteUrl } from "./ai-chat-stream.js";
export {
  AiChatErrorEvent,
  AiChatFeedbackEvent,
  AiChatHandoffEvent,
  AiChatSendEvent,
  AiChatStreamEndEvent,
  AiChatStreamStartEvent,
} from "../events.js";
export { defaultStrings } from "../strings.js";

offerToChat({ lit, events });
AiChatStream.define();
