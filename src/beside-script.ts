// Loads a classic script from the folder the script-tag chat came from (dist/), once: the
// languages (load-locale.script.ts) and the parts loaded when first needed (parts.script.ts). A
// `script-src` that allows the chat allows these too (no inline script, no eval); they get the
// chat script's `nonce` and `crossorigin`.

// Only set while this script's own code runs, so it is read once, now. In the console's single
// file this module runs later, when first needed: its entry tells it its script (`besideScript`).
let self = document.currentScript as HTMLScriptElement | null;

/** The script the parts and languages are beside, when this module ran too late to see it. */
export function besideScript(script: Element | null): void {
  self = (script as HTMLScriptElement | null) ?? self;
}

const loading = new Map<string, Promise<unknown>>();

/**
 * `read()` once `file` has run (or at once, if what it registers is already there); rejects when
 * the script fails to load or registers nothing. A failed load is tried again on the next call.
 */
export function loadBeside<T>(file: string, read: () => T | undefined): Promise<T> {
  let promise = loading.get(file) as Promise<T> | undefined;
  if (!promise) {
    promise = new Promise<T>((resolve, reject) => {
      const ready = read();
      if (ready) return resolve(ready);
      const script = document.createElement("script");
      script.src = new URL(file, self?.src || document.baseURI).href;
      script.async = true;
      if (self?.nonce) script.nonce = self.nonce;
      if (self?.crossOrigin) script.crossOrigin = self.crossOrigin;
      const fail = () => reject(new TypeError(`Could not load ${script.src}`));
      script.onload = () => {
        const value = read();
        if (value) resolve(value);
        else fail();
      };
      script.onerror = fail;
      document.head.append(script);
    }).catch((err: unknown) => {
      loading.delete(file);
      throw err;
    });
    loading.set(file, promise);
  }
  return promise;
}
