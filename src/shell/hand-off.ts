// Where the script-tag build's two files meet (dist/ai-chat-stream.iife.js, the loader, and
// dist/ai-chat-stream.chat.js, the chat): one object on `globalThis` under a registered symbol,
// so no global name is taken. The loader puts Lit and the event classes there, so the
// chat uses the loader's Lit (not a second copy) and fires the event classes the page can test
// with `instanceof`; the chat puts itself there when it has run. Bundlers never use this: the ES
// build imports the chat with `import()`.
import type * as Lit from "lit";
import type * as Events from "../events.js";

export type HandOff = {
  lit: typeof Lit;
  events: typeof Events;
  chatView?: typeof import("../chat/chat-view.js");
};

const HAND_OFF_KEY = Symbol.for("ai-chat-stream.hand-off");

type WithHandOff = { [HAND_OFF_KEY]?: HandOff };

/** The hand-off; the loader has created it before it loads the chat. */
export function handOff(): HandOff {
  const shared = (globalThis as WithHandOff)[HAND_OFF_KEY];
  if (!shared)
    throw new Error("ai-chat-stream.chat.js needs ai-chat-stream.iife.js, loaded first from the same folder.");
  return shared;
}

/** Called by the loader. The first loader on a page wins: its class is the one registered for the tag. */
export function offerToChat(shared: Omit<HandOff, "chatView">): void {
  (globalThis as WithHandOff)[HAND_OFF_KEY] ??= { ...shared };
}
