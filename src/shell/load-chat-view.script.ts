// load-chat-view.ts for the script-tag build (vite.config.ts swaps it in): the chat is a second
// classic script, dist/ai-chat-stream.chat.js, loaded from the folder the loader itself came
// from, so an embed from a CDN fetches it from the same CDN and a `script-src` that allows the
// loader allows it too (no inline script, no eval, no blob:). It does not bundle Lit again: it
// takes Lit and the event classes from the loader through the hand-off (chat-view.script.ts).
import { handOff } from "./hand-off.js";

type ChatModule = typeof import("../chat/chat-view.js");

const CHAT_SCRIPT = "ai-chat-stream.chat.js";

// Only set while the loader's own code runs, so it is read once, now.
const loader = document.currentScript as HTMLScriptElement | null;
const chatUrl = new URL(CHAT_SCRIPT, loader?.src || document.baseURI).href;

let loading: Promise<ChatModule> | null = null;

export const loadedChatView = (): ChatModule | null => handOff().chatView ?? null;

export function loadChatView(): Promise<ChatModule> {
  loading ??= new Promise<ChatModule>((resolve, reject) => {
    // Already there: the loader was included twice, or the page loads the chat script itself.
    const ready = handOff().chatView;
    if (ready) return resolve(ready);
    const script = document.createElement("script");
    script.src = chatUrl;
    script.async = true;
    // A page whose CSP trusts the loader by nonce (or with 'strict-dynamic') trusts this too.
    if (loader?.nonce) script.nonce = loader.nonce;
    if (loader?.crossOrigin) script.crossOrigin = loader.crossOrigin;
    script.onload = () => {
      const chatView = handOff().chatView;
      if (chatView) resolve(chatView);
      else reject(new Error(`${chatUrl} loaded but did not register the chat`));
    };
    script.onerror = () => reject(new Error(`Could not load the chat from ${chatUrl}`));
    document.head.append(script);
  }).catch((err: unknown) => {
    // The next intent tries again.
    loading = null;
    throw err;
  });
  return loading;
}
