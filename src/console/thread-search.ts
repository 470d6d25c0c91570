// The console's search over titles and message text (`operator:searchThreads`, a Convex search
// index): the deployment finds threads the loaded pages may not hold. One subscription, started
// once typing pauses, so a word typed costs one query, not one per key.
import type { ReactiveController, ReactiveControllerHost } from "lit";
import { api, type ThreadView } from "../api.js";
import type { ChatClient } from "../convex-pool.js";

/** Typing pauses this long before the deployment is asked. */
export const SEARCH_DELAY_MS = 250;

export type SearchTarget = { client: ChatClient; token: string } | null;

export class ThreadSearchController implements ReactiveController {
  /** What the deployment found for the text searched, once it answered (null before, or no text). */
  found: ThreadView[] | null = null;
  private _target: SearchTarget = null;
  private _text = "";
  private _timer?: ReturnType<typeof setTimeout>;
  private _stop?: () => void;

  constructor(private readonly _host: ReactiveControllerHost) {
    _host.addController(this);
  }

  /** The deployment and session, and the text typed; a change of either starts again. */
  set(target: SearchTarget, text: string): void {
    const t = this._target;
    const same = t === target || (t && target && t.client === target.client && t.token === target.token);
    if (same && text === this._text) return;
    this._cancel();
    this._target = target;
    this._text = text;
    if (!target || !text) return;
    this._timer = setTimeout(() => {
      this._stop = target.client.onUpdate(
        api.operator.searchThreads,
        { token: target.token, text },
        (threads) => {
          this.found = threads;
          this._host.requestUpdate();
        },
        // Titles of the loaded pages still narrow the list.
        () => {},
      );
    }, SEARCH_DELAY_MS);
  }

  hostDisconnected(): void {
    this._cancel();
    this._target = null;
    this._text = "";
  }

  private _cancel(): void {
    clearTimeout(this._timer);
    this._stop?.();
    this._stop = undefined;
    this.found = null;
  }
}
