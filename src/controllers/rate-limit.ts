// The rate-limit wait: when the server says "too many", the host shows how many seconds are
// left and re-renders once a second until the wait is over. The ticker runs only while the host
// is on the page; a host that comes back during the wait picks the countdown up again.
import type { ReactiveController, ReactiveControllerHost } from "lit";

/** Used when the server gives no `retryAfterMs`. */
const RATE_LIMIT_FALLBACK_MS = 10_000;

export class RateLimitController implements ReactiveController {
  private _until = 0;
  private _tick?: ReturnType<typeof setInterval>;
  private _connected = false;

  constructor(private readonly _host: ReactiveControllerHost) {
    _host.addController(this);
  }

  /** Whole seconds left to wait (0 when there is no wait). */
  get secondsLeft(): number {
    return Math.max(0, Math.ceil((this._until - Date.now()) / 1000));
  }

  /** True while the wait is not over. */
  get waiting(): boolean {
    return this._until > Date.now();
  }

  /** Starts (or restarts) a wait of `ms` milliseconds from now. */
  start(ms = RATE_LIMIT_FALLBACK_MS): void {
    this._until = Date.now() + ms;
    this._startTick();
    this._host.requestUpdate();
  }

  /** Ends the wait early (a new send, a new conversation). */
  clear(): void {
    if (!this._until) return;
    this._until = 0;
    this._stopTick();
    this._host.requestUpdate();
  }

  hostConnected(): void {
    this._connected = true;
    if (this._until) this._startTick();
  }

  hostDisconnected(): void {
    this._connected = false;
    this._stopTick();
  }

  private _startTick(): void {
    this._stopTick();
    if (!this._connected) return;
    this._tick = setInterval(() => {
      if (!this.waiting) {
        this._until = 0;
        this._stopTick();
      }
      this._host.requestUpdate();
    }, 1000);
  }

  private _stopTick(): void {
    clearInterval(this._tick);
    this._tick = undefined;
  }
}
