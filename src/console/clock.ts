// A clock for relative times ("5 minutes ago"): `now`, refreshed every `intervalMs` while the
// host is connected and `running()` holds, re-rendering the host on each tick. It starts and
// stops from the host's own lifecycle (connect, every update, disconnect), so a host that is
// moved in the DOM, or whose state changes by any path, never has to restart it by hand.
import type { ReactiveController, ReactiveControllerHost } from "lit";

export class ClockController implements ReactiveController {
  /** The time the host renders against (ms since the epoch). */
  now = Date.now();
  private _timer?: ReturnType<typeof setInterval>;
  private _connected = false;

  constructor(
    private readonly _host: ReactiveControllerHost,
    private readonly _intervalMs: number,
    private readonly _running: () => boolean,
  ) {
    _host.addController(this);
  }

  hostConnected(): void {
    this._connected = true;
    this._sync();
  }

  /** Before each render: state that turns the clock on or off arrives as an update. */
  hostUpdate(): void {
    this._sync();
  }

  hostDisconnected(): void {
    this._connected = false;
    this._sync();
  }

  private _sync(): void {
    const run = this._connected && this._running();
    if (run && this._timer === undefined) {
      this.now = Date.now();
      this._timer = setInterval(this._tick, this._intervalMs);
    } else if (!run && this._timer !== undefined) {
      clearInterval(this._timer);
      this._timer = undefined;
    }
  }

  private readonly _tick = (): void => {
    this.now = Date.now();
    this._host.requestUpdate();
  };
}
