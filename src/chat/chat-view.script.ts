// Entry of dist/ai-chat-stream.chat.js, the chat of the script-tag build: loaded by the loader
// (load-chat-view.script.ts) when the chat is wanted, it registers itself on the hand-off.
// vite.config.ts points its imports of Lit and events.ts at the loader's copies.
import * as chatView from "./chat-view.js";
import { handOff } from "../shell/hand-off.js";

handOff().chatView = chatView;
