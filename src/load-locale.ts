// How the chat gets a built-in translation: a dynamic import() per language, which the ES build
// and bundlers split into a chunk of its own, so a page loads only the language it shows and
// none of them before the chat. The script-tag builds replace this module with
// load-locale.script.ts, which loads the language as a classic script from beside the chat.
import type { LocaleCode } from "./locale.js";
import type { ChatStrings } from "./strings.js";

type LocaleModule = { default: ChatStrings };

const LOCALES: Record<LocaleCode, () => Promise<LocaleModule>> = {
  ar: () => import("./locales/ar.js"),
  de: () => import("./locales/de.js"),
  es: () => import("./locales/es.js"),
  fr: () => import("./locales/fr.js"),
  he: () => import("./locales/he.js"),
  it: () => import("./locales/it.js"),
  ja: () => import("./locales/ja.js"),
  ko: () => import("./locales/ko.js"),
  nl: () => import("./locales/nl.js"),
  pt: () => import("./locales/pt.js"),
  ru: () => import("./locales/ru.js"),
  zh: () => import("./locales/zh.js"),
};

/** The strings of built-in language `code`. */
export const loadLocale = (code: LocaleCode): Promise<ChatStrings> => LOCALES[code]().then((m) => m.default);
