// parts.ts for the script-tag builds (vite.config.ts swaps it in for the chat script and the
// console's single file): each part is a classic script, dist/ai-chat-stream.part.<name>.js,
// loaded from the folder this script came from, so a `script-src` that allows the chat allows it
// too (no inline script, no eval). It puts its module in parts-registry.ts.
import type { Parts } from "./parts.js";
import { partsRegistry } from "./parts-registry.js";

// Only set while this script's own code runs, so it is read once, now.
const self = document.currentScript as HTMLScriptElement | null;
const base = self?.src || document.baseURI;

const loading = new Map<keyof Parts, Promise<unknown>>();

export function loadPart<K extends keyof Parts>(name: K): Promise<Parts[K]> {
  let promise = loading.get(name) as Promise<Parts[K]> | undefined;
  if (!promise) {
    promise = new Promise<Parts[K]>((resolve, reject) => {
      const ready = partsRegistry()[name];
      if (ready) return resolve(ready);
      const script = document.createElement("script");
      script.src = new URL(`ai-chat-stream.part.${name}.js`, base).href;
      script.async = true;
      if (self?.nonce) script.nonce = self.nonce;
      if (self?.crossOrigin) script.crossOrigin = self.crossOrigin;
      const fail = () => reject(new TypeError(`Could not load ${script.src}`));
      script.onload = () => {
        const part = partsRegistry()[name];
        if (part) resolve(part);
        else fail();
      };
      script.onerror = fail;
      document.head.append(script);
    }).catch((err: unknown) => {
      // The next use tries again.
      loading.delete(name);
      throw err;
    });
    loading.set(name, promise);
  }
  return promise;
}
