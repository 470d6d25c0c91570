// Where the script-tag build's language files (dist/ai-chat-stream.locale.<code>.js) put their
// strings: one object on `globalThis` under a registered symbol, so no global name is taken and
// the loader, the chat and the console's single file all find the same one.
import type { LocaleCode } from "./locale.js";
import type { ChatStrings } from "./strings.js";

const LOCALES_KEY = Symbol.for("ai-chat-stream.locales");

type WithLocales = { [LOCALES_KEY]?: Partial<Record<LocaleCode, ChatStrings>> };

export function localeRegistry(): Partial<Record<LocaleCode, ChatStrings>> {
  return ((globalThis as WithLocales)[LOCALES_KEY] ??= {});
}
