// Holds the page's shared client (convex-pool) for the host's `convexUrl` while the host is on
// the page and wants it: acquired when it connects, becomes wanted or the URL changes; released
// when it leaves or the URL changes again, and `idleMs` after it stopped being wanted (a closed
// launcher, once its reply is over), so the socket closes when no element needs it. Both elements
// use it, so a URL that is not a deployment URL is reported the same way by both instead of
// throwing out of connectedCallback.
import type { ReactiveController, ReactiveControllerHost } from "lit";
import { acquireClient, functionsUnder, releaseClient, type ChatClient } from "../convex-pool.js";

export interface ClientCallbacks {
  /**
   * The client changed. `null` comes first, before the old client is released, so the host can
   * unsubscribe while it still works; then the new client, if there is one.
   */
  onClient(client: ChatClient | null, url: string): void;
  /** `url` could not be turned into a client (not a deployment URL). */
  onError(err: unknown, url: string): void;
}

export interface ClientOptions {
  /** Whether the host needs the connection now; asked on every `sync()`. Default: always. */
  wanted?: () => boolean;
  /** How long a client no longer wanted is kept, in case it is wanted again. */
  idleMs?: number;
}

/** A closed launcher keeps its connection this long after its last reply ended. */
const IDLE_DISCONNECT_MS = 30_000;

export class ClientController implements ReactiveController {
  /** The shared client for `url`, or null (no URL, not connected, or the URL was refused). */
  client: ChatClient | null = null;
  /** The deployment URL `client` belongs to ("" when there is none). */
  url = "";
  private readonly _wanted: () => boolean;
  private readonly _idleMs: number;
  private _idleTimer: ReturnType<typeof setTimeout> | undefined;
  private _idleOver = false;
  private _forced = false;
  private _refused = "";
  private _path = "";

  constructor(
    private readonly _host: ReactiveControllerHost & HTMLElement & { convexUrl: string; functionsPath?: string },
    private readonly _cb: ClientCallbacks,
    options: ClientOptions = {},
  ) {
    this._wanted = options.wanted ?? (() => true);
    this._idleMs = options.idleMs ?? IDLE_DISCONNECT_MS;
    _host.addController(this);
  }

  hostConnected(): void {
    this.sync();
  }

  hostDisconnected(): void {
    this.sync();
  }

  /** Connects now although the host does not want it (e.g. a send from script); idles out as usual. */
  connect(): ChatClient | null {
    this._forced = true;
    this.sync();
    this._forced = false;
    return this.client;
  }

  /** Follows the host's `convexUrl` and whether it is wanted (call from `willUpdate`). */
  sync(): void {
    const host = this._host;
    const wanted = host.isConnected && (this._forced || this._wanted());
    let url = wanted ? host.convexUrl : "";
    // Another functions path is another client (the same shared connection, other names).
    const path = host.functionsPath ?? "";
    if (path !== this._path && this.url) this._release();
    if (wanted) {
      this._clearIdle();
    } else if (host.isConnected && this.url && this.url === host.convexUrl && !this._idleOver) {
      // No longer wanted: keep it a while, in case it is wanted again.
      this._idleTimer ??= setTimeout(this._onIdle, this._idleMs);
      url = this.url;
    }
    if (!url) this._clearIdle();
    if (url === this.url || (url && url === this._refused)) return;
    this._refused = "";
    if (this.url) this._release();
    if (!url) return;
    try {
      this._path = path;
      this.client = functionsUnder(acquireClient(url), path);
    } catch (err) {
      // Reported once; asked again only for another URL.
      this._refused = url;
      this._cb.onError(err, url);
      return;
    }
    this.url = url;
    this._cb.onClient(this.client, url);
  }

  private _release(): void {
    const old = this.url;
    this.client = null;
    this.url = "";
    this._cb.onClient(null, old);
    releaseClient(old);
  }

  private readonly _onIdle = (): void => {
    this._idleTimer = undefined;
    this._idleOver = true;
    this.sync();
  };

  private _clearIdle(): void {
    clearTimeout(this._idleTimer);
    this._idleTimer = undefined;
    this._idleOver = false;
  }
}
