// The language an element is in: its own `lang`, else the closest ancestor's, looking through
// shadow roots to their hosts (an element in another component's shadow tree takes that
// component's language, as `:lang()` does). `LocaleController` re-renders the host when a
// `lang` attribute on that path changes.
import type { ReactiveController, ReactiveControllerHost } from "lit";

/** The `lang` of the closest element (itself included) that has one, across shadow roots; `undefined` if none. */
export function closestLang(element: Element): string | undefined {
  let node: Element | null = element;
  while (node) {
    const withLang: Element | null = node.closest("[lang]");
    if (withLang) return withLang.getAttribute("lang") || undefined;
    const root = node.getRootNode();
    node = root instanceof ShadowRoot ? root.host : null;
  }
  return undefined;
}

export class LocaleController implements ReactiveController {
  private readonly _observer = new MutationObserver(() => this._host.requestUpdate());

  constructor(private readonly _host: ReactiveControllerHost & HTMLElement) {
    _host.addController(this);
  }

  /** The host's language (see `closestLang`) for `Intl` formatters; read once per update. */
  value: string | undefined;

  hostConnected(): void {
    // One observer per tree on the way up (the document and each shadow root): a `lang` set or
    // changed on any ancestor is seen, and nothing else is reported.
    let root: Node = this._host.getRootNode();
    for (;;) {
      this._observer.observe(root, { attributes: true, attributeFilter: ["lang"], subtree: true });
      if (!(root instanceof ShadowRoot)) break;
      root = root.host.getRootNode();
    }
  }

  hostUpdate(): void {
    this.value = closestLang(this._host);
  }

  hostDisconnected(): void {
    this._observer.disconnect();
  }
}

/**
 * The chat's built-in translations (src/locales/), by primary language subtag, and the
 * direction each reads in. English is `defaultStrings` itself.
 */
const BUILT_IN_LOCALES = {
  ar: "rtl",
  de: "ltr",
  es: "ltr",
  fr: "ltr",
  he: "rtl",
  it: "ltr",
  ja: "ltr",
  ko: "ltr",
  nl: "ltr",
  pt: "ltr",
  ru: "ltr",
  zh: "ltr",
} as const;

export type LocaleCode = keyof typeof BUILT_IN_LOCALES;

/** The built-in translation for a BCP 47 tag (`pt-BR` -> `pt`, `iw` -> `he`), or null (English, or none built in). */
export function builtInLocale(lang: string | undefined): LocaleCode | null {
  let code = lang?.toLowerCase().split(/[-_]/)[0] ?? "";
  if (code === "iw") code = "he";
  return Object.hasOwn(BUILT_IN_LOCALES, code) ? (code as LocaleCode) : null;
}

/** Whether a built-in translation reads right to left. */
export const isRtl = (code: LocaleCode): boolean => BUILT_IN_LOCALES[code] === "rtl";
