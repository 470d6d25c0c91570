// Whether the deployment is reachable (ConvexClient's connection state plus the browser's
// online flag), whether it answers with the built-in demo model, and its prompt limit (`config:get`).
import type { ReactiveController, ReactiveControllerHost } from "lit";
import { api } from "../api.js";
import type { ChatClient, ConnectionInfo } from "../convex-pool.js";

export class ConnectionController implements ReactiveController {
  /** False while the socket is down after having connected, or the browser is offline. */
  online = true;
  /** The backend says replies come from the demo model. */
  demo = false;
  /** The deployment's prompt limit in characters (0 until `config:get` answers). */
  maxPromptChars = 0;
  private _client: ChatClient | null = null;
  private _connected = false;
  private _cleanup: Array<() => void> = [];

  constructor(private readonly _host: ReactiveControllerHost) {
    _host.addController(this);
  }

  setClient(client: ChatClient | null): void {
    if (client === this._client) return;
    this._stop();
    this._client = client;
    this.demo = false;
    this.maxPromptChars = 0;
    this.online = true;
    if (this._connected) this._start();
  }

  hostConnected(): void {
    this._connected = true;
    this._start();
  }

  hostDisconnected(): void {
    this._connected = false;
    this._stop();
  }

  private _start(): void {
    const client = this._client;
    if (!client) return;
    const update = (state: ConnectionInfo) => {
      if (client !== this._client) return;
      const socketDown = !state.isWebSocketConnected && (state.hasEverConnected || state.connectionRetries > 0);
      const online = navigator.onLine && !socketDown;
      if (online !== this.online) {
        this.online = online;
        this._host.requestUpdate();
      }
    };
    update(client.connectionState());
    const onBrowser = () => update(client.connectionState());
    window.addEventListener("online", onBrowser);
    window.addEventListener("offline", onBrowser);
    this._cleanup.push(
      client.subscribeToConnectionState(update),
      () => window.removeEventListener("online", onBrowser),
      () => window.removeEventListener("offline", onBrowser),
      client.onUpdate(
        api.config.get,
        {},
        (config) => {
          if (client !== this._client) return;
          this.demo = !!config?.demo;
          this.maxPromptChars = typeof config?.maxPromptChars === "number" ? config.maxPromptChars : 0;
          this._host.requestUpdate();
        },
        () => {
          // An older backend without config:get: no badge, nothing to tell the visitor.
        },
      ),
    );
  }

  private _stop(): void {
    for (const fn of this._cleanup.splice(0)) fn();
  }
}
