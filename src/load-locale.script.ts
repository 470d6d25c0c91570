// load-locale.ts for the script-tag builds (vite.config.ts swaps it in for the chat script and
// the console's single file): each language is a classic script beside the chat,
// dist/ai-chat-stream.locale.<code>.js, that registers its strings in locale-registry.ts.
import { loadBeside } from "./beside-script.js";
import type { LocaleCode } from "./locale.js";
import { localeRegistry } from "./locale-registry.js";
import type { ChatStrings } from "./strings.js";

export const loadLocale = (code: LocaleCode): Promise<ChatStrings> =>
  loadBeside(`ai-chat-stream.locale.${code}.js`, () => localeRegistry()[code]);
