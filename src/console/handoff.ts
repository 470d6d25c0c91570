// The console's side of human handoff (convex/handoff.ts): who answers the open thread and
// whether the visitor is typing (`handoff:state`), the threads waiting for a person
// (`handoff:needsHuman`), the operator's heartbeat that tells visitors someone is online, and the
// operator's actions. One controller, one deployment client and session token at a time.
import type { ReactiveController, ReactiveControllerHost } from "lit";
import { api, toErrorInfo, type ChatErrorInfo, type HandoffState, type ThreadView } from "../api.js";
import type { ChatClient } from "../convex-pool.js";

/** Beats are written at most twice a minute by the deployment; every 20 s keeps the operator online. */
const HEARTBEAT_MS = 20_000;
/** The operator's typing is sent at most this often (the deployment writes it once per 3 s). */
const TYPING_SEND_MS = 2_500;
/** A side counts as typing for this long after its last keystroke reached the deployment. */
export const TYPING_SHOWN_MS = 5_000;

export type HandoffTarget = { client: ChatClient; token: string } | null;

export class ConsoleHandoffController implements ReactiveController {
  /** The open thread's handoff state, once read. */
  state: HandoffState | null = null;
  /** When `state` arrived (this page's clock): typing times are compared through it. */
  private _stateAt = 0;
  /** Threads waiting for a person, longest waiting first. */
  waiting: ThreadView[] = [];
  /** Why the last action was refused (HELD_BY_OPERATOR names who), or null. */
  error: ChatErrorInfo | null = null;
  busy = false;
  private _target: HandoffTarget = null;
  private _threadId: string | null = null;
  private _stopState?: () => void;
  private _stopWaiting?: () => void;
  private _beat?: ReturnType<typeof setInterval>;
  private _typingTimer?: ReturnType<typeof setTimeout>;
  private _lastTyping = 0;

  constructor(private readonly _host: ReactiveControllerHost) {
    _host.addController(this);
  }

  /** The deployment and session; null when signed out. */
  setTarget(target: HandoffTarget): void {
    const t = this._target;
    if (t === target || (t && target && t.client === target.client && t.token === target.token)) return;
    this._stopAll();
    this._target = target;
    if (!target) return;
    this._stopWaiting = target.client.onUpdate(
      api.handoff.needsHuman,
      { token: target.token },
      (waiting) => {
        this.waiting = waiting;
        this._host.requestUpdate();
      },
      () => {},
    );
    const beat = () => void target.client.mutation(api.handoff.heartbeat, { token: target.token }).catch(() => {});
    beat();
    this._beat = setInterval(beat, HEARTBEAT_MS);
    this._watch();
  }

  /** The thread shown; its state is followed. */
  setThread(threadId: string | null): void {
    if (threadId === this._threadId) return;
    this._threadId = threadId;
    this.error = null;
    this._watch();
  }

  /** The visitor typed within the last few seconds. */
  get visitorTyping(): boolean {
    const s = this.state;
    if (!s || s.visitorTypingAt === null) return false;
    return s.now - s.visitorTypingAt + (Date.now() - this._stateAt) < TYPING_SHOWN_MS;
  }

  takeOver(threadId: string, force: boolean): Promise<boolean> {
    return this._act((c, token) => c.mutation(api.handoff.takeOver, { threadId, token, force }));
  }

  handBack(threadId: string, force: boolean): Promise<boolean> {
    return this._act((c, token) => c.mutation(api.handoff.handBack, { threadId, token, force }));
  }

  reply(threadId: string, text: string): Promise<boolean> {
    return this._act((c, token) => c.mutation(api.handoff.reply, { threadId, token, text }));
  }

  /** The operator is typing in the open thread: sent at most every 2.5 s. */
  typing(threadId: string): void {
    const t = this._target;
    if (!t || Date.now() - this._lastTyping < TYPING_SEND_MS) return;
    this._lastTyping = Date.now();
    void t.client.mutation(api.handoff.typing, { threadId, token: t.token }).catch(() => {});
  }

  hostDisconnected(): void {
    this._stopAll();
    this._target = null;
  }

  private async _act(run: (client: ChatClient, token: string) => Promise<unknown>): Promise<boolean> {
    const t = this._target;
    if (!t) return false;
    this.busy = true;
    this.error = null;
    this._host.requestUpdate();
    try {
      await run(t.client, t.token);
      return true;
    } catch (err) {
      this.error = toErrorInfo(err, "The deployment could not be reached.");
      return false;
    } finally {
      this.busy = false;
      this._host.requestUpdate();
    }
  }

  private _watch(): void {
    this._stopState?.();
    this._stopState = undefined;
    this.state = null;
    clearTimeout(this._typingTimer);
    const t = this._target;
    const threadId = this._threadId;
    if (!t || !threadId) return;
    this._stopState = t.client.onUpdate(
      api.handoff.state,
      { threadId, token: t.token },
      (state) => {
        this.state = state;
        this._stateAt = Date.now();
        // Redraw when "typing" runs out, since nothing else will.
        clearTimeout(this._typingTimer);
        if (this.visitorTyping) this._typingTimer = setTimeout(() => this._host.requestUpdate(), TYPING_SHOWN_MS);
        this._host.requestUpdate();
      },
      () => {},
    );
  }

  private _stopAll(): void {
    this._stopState?.();
    this._stopWaiting?.();
    this._stopState = this._stopWaiting = undefined;
    clearInterval(this._beat);
    clearTimeout(this._typingTimer);
    this.state = null;
    this.waiting = [];
  }
}
