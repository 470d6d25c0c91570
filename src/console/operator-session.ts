// Who is signed in to the operator console, and with what. The operator secret goes to
// `POST {site}/operator/sign-in` once (`operator:signIn` over HTTP, where wrong secrets are also
// limited per client address) and is dropped: only the operator session token it returns
// (expiring, revoked on sign-out) is kept, in a private field. "Remember for this tab" keeps that
// token in `sessionStorage` per deployment URL (never the secret), so a reload signs in by itself.
// The thread list is what verifies a token: the console is signed in once its first page arrives,
// and signed out again when the list is refused (the token expired or was revoked). A page whose
// client is signed in to a host app as an operator (the app's `authorize`) needs no secret: the
// list, asked without a token, answers. A session belongs to one deployment, so this controller
// also holds that deployment's client.
import type { ReactiveControllerHost } from "lit";
import { api, toErrorInfo, type ChatErrorInfo, type SignInResult, type TokenUsage } from "../api.js";
import type { ChatClient } from "../convex-pool.js";
import { deriveSiteUrl } from "../site-url.js";
import type { ConsoleStrings } from "../strings.js";
import { ClientController } from "../controllers/client.js";
import { ThreadListController } from "./thread-list.js";

export type ConsolePhase = "signed-out" | "verifying" | "signed-in";

/** The console: its URLs pick the deployment (and its HTTP routes), and it shows (and reflects) the phase. */
export type OperatorSessionHost = ReactiveControllerHost &
  HTMLElement & { convexUrl: string; siteUrl?: string; phase: ConsolePhase };

export interface OperatorSessionOptions {
  /** Threads per page of the list, already within 1–100. */
  pageSize(): number;
  strings(): ConsoleStrings;
  /** A sign-in was refused or the session ended: the secret field should take focus. */
  focusSecret(): void;
  /** The session ended: close what it showed (the open thread). */
  onEnded(): void;
}

const STORAGE_PREFIX = "ai-chat-console:";

/** sessionStorage key of a remembered operator session token (per deployment URL); never the secret. */
export const consoleStorageKey = (convexUrl: string): string => `${STORAGE_PREFIX}${convexUrl}`;

/** sessionStorage key of the name a remembered operator session was signed in with (not a secret). */
const nameKey = (convexUrl: string): string => `ai-chat-console:name:${convexUrl}`;

export function rememberName(convexUrl: string, name: string): void {
  try {
    if (name) sessionStorage.setItem(nameKey(convexUrl), name);
    else sessionStorage.removeItem(nameKey(convexUrl));
  } catch {
    // Storage blocked: the name shows until the page reloads.
  }
}

export function rememberedName(convexUrl: string): string {
  try {
    return sessionStorage.getItem(nameKey(convexUrl)) ?? "";
  } catch {
    return "";
  }
}

function readRemembered(url: string): string | null {
  try {
    return sessionStorage.getItem(consoleStorageKey(url));
  } catch {
    return null;
  }
}

function writeRemembered(url: string, session: string | null): void {
  try {
    if (session) sessionStorage.setItem(consoleStorageKey(url), session);
    else sessionStorage.removeItem(consoleStorageKey(url));
  } catch {
    // Storage disabled (private mode, sandboxed iframe): the session simply is not remembered.
  }
}

export class OperatorSessionController {
  /** The threads the session may see; its first page is what signs the console in. */
  readonly list: ThreadListController;
  /** Why the last sign-in failed or the session ended, for the form ("" when nothing to say). */
  error = "";
  /** Today's model tokens against the daily budget, while signed in. */
  usage: TokenUsage | null = null;
  private readonly _deployment: ClientController;
  /** The operator session token, in memory only; never an attribute. The secret is not kept. */
  #token = "";
  #remember = false;
  /** Asking the list without a token: answered, the page's own sign-in makes an operator. */
  #probing = false;
  #settle: ((ok: boolean) => void) | null = null;
  #stopUsage?: () => void;

  constructor(
    private readonly _host: OperatorSessionHost,
    private readonly _options: OperatorSessionOptions,
  ) {
    this._deployment = new ClientController(_host, {
      onClient: (client, url) => this._onClient(client, url),
      onError: (err, url) => this._showError(toErrorInfo(err, `convex-url is not a deployment URL: ${url}`).message),
    });
    this.list = new ThreadListController(_host, {
      onReady: () => this._onListReady(),
      onError: (info, ready) => this._onListError(info.code, info.message, ready),
    });
  }

  /** The deployment's client (the console's handoff calls use it), null before a URL. */
  get client(): ChatClient | null {
    return this._deployment.client;
  }

  /** The operator session token, for the embedded observer chat ("" when signed out). */
  get token(): string {
    return this.#token;
  }

  /**
   * Signs in with an operator secret. Resolves `true` once the deployment accepted it and the
   * first page of threads arrived, `false` when it was refused (`error` then says why).
   * `remember` keeps the session token in `sessionStorage` for this tab.
   */
  async signIn(
    secret: string,
    { remember = false, name = "" }: { remember?: boolean; name?: string } = {},
  ): Promise<boolean> {
    this.#settle?.(false);
    this.#settle = null;
    const strings = this._options.strings();
    const client = this._deployment.client;
    if (!client) {
      // No URL, or one that is not a deployment URL (the form already says so).
      if (!this._host.convexUrl) this._showError(strings.missingUrl);
      return false;
    }
    if (!secret) return false;
    this._host.phase = "verifying";
    let result: SignInResult | ({ ok?: false } & ChatErrorInfo);
    try {
      // Text, not JSON: a CORS-simple request, with no preflight. Every answer is the result's JSON.
      const response = await fetch(`${this._host.siteUrl || deriveSiteUrl(this._host.convexUrl)}/operator/sign-in`, {
        method: "POST",
        body: JSON.stringify({ secret, name }),
      });
      result = await response.json();
    } catch (err) {
      result = { ok: false as const, ...toErrorInfo(err, strings.wrongSecret) };
    }
    if (client !== this._deployment.client) return false;
    if (!result.ok) {
      this._host.phase = "signed-out";
      this._showError(result.code === "UNAUTHORIZED" ? strings.wrongSecret : result.message);
      this._options.focusSecret();
      return false;
    }
    return this._resume(result.sessionToken, remember);
  }

  /** Ends the session (revoked on the deployment, forgotten in memory and `sessionStorage`). */
  signOut(): void {
    const client = this._deployment.client;
    if (client && this.#token) void client.mutation(api.operator.signOut, { token: this.#token }).catch(() => {});
    this._end();
    this._showError("");
    this._options.focusSecret();
  }

  /** The host's `convexUrl` changed (call from `willUpdate`): a session belongs to one deployment. */
  urlChanged(previous: string | undefined): void {
    if (previous && this._host.phase !== "signed-out") this._end(false);
    this._deployment.sync();
  }

  /** The page size changed (call from `willUpdate`): the list reads again with it. */
  pageSizeChanged(): void {
    if (this._host.phase !== "signed-out") this.list.setTarget(this._listTarget());
  }

  /** Uses an operator session token (from sign-in or storage): resolves once the list arrives. */
  private _resume(token: string, remember: boolean): Promise<boolean> {
    this.#probing = false;
    this.#token = token;
    this.#remember = remember;
    this._showError("");
    this._host.phase = "verifying";
    this.list.setTarget(null);
    this.list.setTarget(this._listTarget());
    return new Promise((resolve) => (this.#settle = resolve));
  }

  private _onClient(client: ChatClient | null, url: string): void {
    // A usage subscription lives on one client: the old one is closing (the console left the page
    // or changed deployment); a signed-in console watches again on the new one.
    this._stopWatchingUsage();
    if (!client) {
      this.list.setTarget(null);
      return;
    }
    const remembered = this._host.phase === "signed-out" ? readRemembered(url) : null;
    if (remembered) {
      this._host.phase = "verifying";
      void this._resume(remembered, true);
    } else {
      // Signed out: a client signed in to the host app as an operator is answered without a token.
      this.#probing = this._host.phase === "signed-out";
      this.list.setTarget(this._listTarget());
      if (this._host.phase === "signed-in") this._watchUsage();
    }
  }

  /** Signed in with a token, or by the page's own sign-in (no token), or asking whether it is. */
  private _listTarget() {
    const client = this._deployment.client;
    if (!client) return null;
    return { client, token: this.#token, pageSize: this._options.pageSize() };
  }

  private _end(forgetStored = true): void {
    if (forgetStored && this._deployment.url) writeRemembered(this._deployment.url, null);
    this.#token = "";
    this.#remember = false;
    this._stopWatchingUsage();
    this.usage = null;
    this.#settle?.(false);
    this.#settle = null;
    this.list.setTarget(null);
    this._host.phase = "signed-out";
    this._options.onEnded();
  }

  private _onListReady(): void {
    if (this._host.phase !== "verifying" && !this.#probing) return;
    this.#probing = false;
    this._host.phase = "signed-in";
    if (this.#remember) writeRemembered(this._deployment.url, this.#token);
    this._watchUsage();
    this.#settle?.(true);
    this.#settle = null;
  }

  private _watchUsage(): void {
    this._stopWatchingUsage();
    this.#stopUsage = this._deployment.client?.onUpdate(
      api.operator.usage,
      { token: this.#token },
      (usage) => {
        this.usage = usage;
        this._host.requestUpdate();
      },
      () => {},
    );
  }

  private _stopWatchingUsage(): void {
    this.#stopUsage?.();
    this.#stopUsage = undefined;
  }

  private _onListError(code: string, message: string, ready: boolean): void {
    // Not an operator by the page's sign-in: the form stays as it was, with nothing to say.
    if (this.#probing) return void (this.#probing = false);
    const strings = this._options.strings();
    this._end();
    if (code === "UNAUTHORIZED") this._showError(ready ? strings.secretRejected : strings.wrongSecret);
    else this._showError(message || strings.wrongSecret);
    this._options.focusSecret();
  }

  private _showError(message: string): void {
    this.error = message;
    this._host.requestUpdate();
  }
}
