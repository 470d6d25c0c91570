// How the element gets its chat (chat-view.ts): here a dynamic import(), which the ES build and
// bundlers split into a chunk of its own. The script-tag build replaces this module with
// load-chat-view.script.ts, which loads the chat as a classic script from beside the loader.
type ChatModule = typeof import("../chat/chat-view.js");

let loaded: ChatModule | null = null;
let loading: Promise<ChatModule> | null = null;

/** The chat's module when it has loaded, so an element can start its chat without waiting. */
export const loadedChatView = (): ChatModule | null => loaded;

/** Loads the chat's module once per page; after a failure the next call tries again. */
export function loadChatView(): Promise<ChatModule> {
  loading ??= import("../chat/chat-view.js").then(
    (module) => (loaded = module),
    (err: unknown) => {
      loading = null;
      throw err;
    },
  );
  return loading;
}
