// A visitor token behind Cloudflare Turnstile. With `turnstile-site-key` set and no stored
// token, the first send loads Turnstile's script (then, never on page load: pages that never
// chat never contact Cloudflare), renders the challenge into a container in the element's shadow
// root (`turnstile.render` takes an element), and hands the challenge's token to that send: its
// `POST {site}/chat-stream` carries it, and the deployment checks it with siteverify before
// minting the visitor. One challenge at a time; disconnecting removes it and fails the send at
// once, whether the challenge is showing or its script is still loading (a challenge rendered
// into a removed element would never call back).
import type { ReactiveController, ReactiveControllerHost } from "lit";
import type { ChatErrorInfo } from "../api.js";

const TURNSTILE_SCRIPT_URL = "https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit";

/** The part of Turnstile's global API used here (developers.cloudflare.com/turnstile, client-side rendering). */
export interface Turnstile {
  render(
    container: HTMLElement,
    params: {
      sitekey: string;
      callback: (token: string) => void;
      "error-callback": () => void;
      "timeout-callback": () => void;
    },
  ): string | null | undefined;
  remove(widgetId: string): void;
}

declare global {
  interface Window {
    turnstile?: Turnstile;
  }
}

/** The visitor-facing refusals, in the shape `toErrorInfo` reads off a ConvexError. */
export class HumanCheckError extends Error {
  constructor(readonly data: ChatErrorInfo) {
    super(data.message);
  }
}

export interface HumanCheckStrings {
  humanCheckFailed: string;
}

export type HumanCheckOptions = {
  /** The element the challenge renders into, once the host has shown it. */
  container: () => HTMLElement | null;
  strings: () => HumanCheckStrings;
  /** Tests load a stand-in; pages get Cloudflare's. */
  scriptUrl?: string;
};

const scriptLoads = new Map<string, Promise<Turnstile>>();

/** Loads Turnstile's script once per page (unless `window.turnstile` is already there). */
function loadTurnstile(src: string): Promise<Turnstile> {
  if (window.turnstile) return Promise.resolve(window.turnstile);
  let load = scriptLoads.get(src);
  if (!load) {
    load = new Promise<Turnstile>((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.async = true;
      script.addEventListener("load", () =>
        window.turnstile ? resolve(window.turnstile) : reject(new TypeError("Turnstile did not load")),
      );
      script.addEventListener("error", () => {
        scriptLoads.delete(src);
        script.remove();
        reject(new TypeError("Turnstile could not be loaded"));
      });
      document.head.append(script);
    });
    scriptLoads.set(src, load);
  }
  return load;
}

export class HumanCheckController implements ReactiveController {
  /** A challenge is showing: the host renders the container visible. */
  active = false;
  /** Ends the challenge in progress (from loading the script to its answer) with `error`. */
  private _cancel: ((error: Error) => void) | null = null;

  constructor(
    private readonly _host: ReactiveControllerHost,
    private readonly _options: HumanCheckOptions,
  ) {
    _host.addController(this);
  }

  hostDisconnected(): void {
    this._cancel?.(
      new HumanCheckError({ code: "HUMAN_CHECK_FAILED", message: this._options.strings().humanCheckFailed }),
    );
  }

  /**
   * Shows the challenge for `siteKey` and resolves with its token, which the new visitor's first
   * `POST /chat-stream` carries (the deployment checks it with siteverify before minting).
   * Throws `HumanCheckError`.
   */
  async challenge(siteKey: string): Promise<string> {
    this._cancel?.(new Error("superseded"));
    let cancel!: (error: Error) => void;
    const cancelled = new Promise<never>((_, reject) => (cancel = reject));
    this._cancel = cancel;
    let turnstile: Turnstile | null = null;
    let widgetId: string | null = null;
    try {
      const loaded = await Promise.race([loadTurnstile(this._options.scriptUrl ?? TURNSTILE_SCRIPT_URL), cancelled]);
      turnstile = loaded;
      this.active = true;
      this._host.requestUpdate();
      await Promise.race([this._host.updateComplete, cancelled]);
      const container = this._options.container();
      if (!container) throw new Error("no container for the human check");
      return await Promise.race([
        new Promise<string>((resolve, reject) => {
          const failed = () =>
            reject(
              new HumanCheckError({ code: "HUMAN_CHECK_FAILED", message: this._options.strings().humanCheckFailed }),
            );
          widgetId =
            loaded.render(container, {
              sitekey: siteKey,
              callback: resolve,
              "error-callback": failed,
              "timeout-callback": failed,
            }) ?? null;
        }),
        cancelled,
      ]);
    } finally {
      if (widgetId !== null) turnstile?.remove(widgetId);
      // A superseded challenge ends after its successor started: the state is the successor's.
      if (this._cancel === cancel) {
        this._cancel = null;
        this.active = false;
        this._host.requestUpdate();
      }
    }
  }
}
