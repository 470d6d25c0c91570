// Holds the page's shared client (convex-pool) for the host's `convexUrl` while the host is on
// the page: acquired when it connects or the URL changes, released when it leaves or the URL
// changes again. Both elements use it, so a URL that is not a deployment URL is reported the
// same way by both instead of throwing out of connectedCallback.
import type { ReactiveController, ReactiveControllerHost } from "lit";
import { acquireClient, releaseClient, type ChatClient } from "../convex-pool.js";

export interface ClientCallbacks {
  /**
   * The client changed. `null` comes first, before the old client is released, so the host can
   * unsubscribe while it still works; then the new client, if there is one.
   */
  onClient(client: ChatClient | null, url: string): void;
  /** `url` could not be turned into a client (not a deployment URL). */
  onError(err: unknown, url: string): void;
}

export class ClientController implements ReactiveController {
  /** The shared client for `url`, or null (no URL, not connected, or the URL was refused). */
  client: ChatClient | null = null;
  /** The deployment URL `client` belongs to ("" when there is none). */
  url = "";

  constructor(
    private readonly _host: ReactiveControllerHost & HTMLElement & { convexUrl: string },
    private readonly _cb: ClientCallbacks,
  ) {
    _host.addController(this);
  }

  hostConnected(): void {
    this.sync();
  }

  hostDisconnected(): void {
    this.sync();
  }

  /** Follows the host's `convexUrl` (call from `willUpdate` when it changes). */
  sync(): void {
    const url = this._host.isConnected ? this._host.convexUrl : "";
    if (url === this.url) return;
    if (this.url) {
      const old = this.url;
      this.client = null;
      this.url = "";
      this._cb.onClient(null, old);
      releaseClient(old);
    }
    if (!url) return;
    try {
      this.client = acquireClient(url);
    } catch (err) {
      this._cb.onError(err, url);
      return;
    }
    this.url = url;
    this._cb.onClient(this.client, url);
  }
}
