// load-locale.ts for the script-tag builds (vite.config.ts swaps it in for the chat script and
// the console's single file): each language is a classic script,
// dist/ai-chat-stream.locale.<code>.js, loaded from the folder this script came from, so a
// `script-src` that allows the chat allows it too (no inline script, no eval). It registers
// its strings in locale-registry.ts.
import type { LocaleCode } from "./locale.js";
import { localeRegistry } from "./locale-registry.js";
import type { ChatStrings } from "./strings.js";

// Only set while this script's own code runs, so it is read once, now.
const self = document.currentScript as HTMLScriptElement | null;
const base = self?.src || document.baseURI;

const loading = new Map<LocaleCode, Promise<ChatStrings>>();

export function loadLocale(code: LocaleCode): Promise<ChatStrings> {
  let promise = loading.get(code);
  if (!promise) {
    promise = new Promise<ChatStrings>((resolve, reject) => {
      const ready = localeRegistry()[code];
      if (ready) return resolve(ready);
      const script = document.createElement("script");
      script.src = new URL(`ai-chat-stream.locale.${code}.js`, base).href;
      script.async = true;
      if (self?.nonce) script.nonce = self.nonce;
      if (self?.crossOrigin) script.crossOrigin = self.crossOrigin;
      const fail = () => reject(new Error(`Could not load ${script.src}`));
      script.onload = () => {
        const strings = localeRegistry()[code];
        if (strings) resolve(strings);
        else fail();
      };
      script.onerror = fail;
      document.head.append(script);
    }).catch((err: unknown) => {
      // The next update tries again.
      loading.delete(code);
      throw err;
    });
    loading.set(code, promise);
  }
  return promise;
}
