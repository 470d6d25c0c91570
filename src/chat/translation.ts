// The chat's built-in translation: the one for the element's language (its own `lang` or the
// closest ancestor's), loaded when that language changes (`load-locale.ts`: a chunk, or a script
// beside the chat). English until it is here, and when loading it fails (the next change tries again).
import type { ReactiveController, ReactiveControllerHost } from "lit";
import { loadLocale } from "../load-locale.js";
import { builtInLocale, closestLang, isRtl, LocaleController, type LocaleCode } from "../locale.js";
import type { ChatStrings } from "../strings.js";

export class TranslationController implements ReactiveController {
  /** The built-in translation in effect, once loaded; null for English. */
  strings: ChatStrings | null = null;
  /** `rtl` while a right-to-left translation is shown. */
  direction: "rtl" | null = null;
  private _code: LocaleCode | null = null;

  constructor(private readonly _host: ReactiveControllerHost & HTMLElement) {
    _host.addController(this);
    // Re-renders when a `lang` on the way up changes.
    new LocaleController(_host);
  }

  hostUpdate(): void {
    const code = builtInLocale(closestLang(this._host));
    if (code === this._code) return;
    this._code = code;
    if (!code) {
      this.strings = null;
      this.direction = null;
      return;
    }
    loadLocale(code).then(
      (strings) => {
        if (this._code !== code) return;
        this.strings = strings;
        this.direction = isRtl(code) ? "rtl" : null;
        this._host.requestUpdate();
      },
      () => {
        if (this._code === code) this._code = null;
      },
    );
  }
}
