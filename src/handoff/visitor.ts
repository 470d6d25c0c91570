// The visitor's side of human handoff (convex/handoff.ts), a lazy part (src/parts.ts): loaded
// when the element has `human-handoff`, `requestHuman()` is called, or the thread has an
// operator's message. It follows `handoff:state` for the thread shown and draws what it means:
// the "Talk to a person" button, that a person was asked for (and, when no operator is online,
// that in plain words), who answers above the composer, the operator typing, and operators'
// messages. It says aloud when a person joins or leaves, fires `ai-chat-handoff`, and tells the
// operator when the visitor types (at most one call per 2.5 s).
import type { html as litHtml, ReactiveController, TemplateResult } from "lit";
import type { api as chatApi, HandoffState, MessageView } from "../api.js";
import type { ChatHost } from "../chat/host.js";
import type { ChatClient } from "../convex-pool.js";
import { AiChatHandoffEvent } from "../events.js";
import { format } from "../strings.js";
import english from "./strings.js";

/** The visitor's typing reaches the deployment at most this often (it writes once per 3 s). */
const TYPING_SEND_MS = 2_500;
/** The operator counts as typing this long after their last keystroke reached the deployment. */
const TYPING_SHOWN_MS = 5_000;

type Strings = typeof english;
type Target = { client: ChatClient; threadId: string; token?: string } | null;
type Who = { state: "requested" | "operator" | "ai"; name?: string };

/** What the part reads of the chat (ChatView). */
export interface HandoffChat {
  readonly client: ChatClient | null;
  readonly session: { readonly tokenArg: { token?: string } };
  readonly announcer: { announce(text: string): void };
  /**
   * The chat's own Lit `html` and function references: the script-tag build's part file is a
   * script of its own, which would otherwise carry a second copy of Lit and of convex/server.
   */
  readonly html: typeof litHtml;
  readonly api: typeof chatApi;
}

export class HandoffController implements ReactiveController {
  state: HandoffState | null = null;
  private _stateAt = 0;
  private _target: Target = null;
  private _stop?: () => void;
  private _who: Who | null = null;
  /** `requestHuman()` before the thread existed: asked for once it does. */
  private _wanted = false;
  private _lastTyping = 0;
  private _timer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly _host: ChatHost,
    private readonly _options: HandoffChat,
  ) {
    _host.addController(this);
    // The composer's typing, heard here rather than through a hook in the chat's code.
    _host.addEventListener("input", () => this.typed());
    this.hostUpdate();
  }

  /** The visitor asks for a person (the button, or `requestHuman()`). */
  async request(): Promise<void> {
    const t = this._target;
    if (!t) {
      this._wanted = true;
      return;
    }
    this._wanted = false;
    await t.client.mutation(this._options.api.handoff.requestHuman, { threadId: t.threadId, ...tokenOf(t) });
  }

  /** The visitor typed in the composer: the operator holding the thread is told. */
  typed(): void {
    const t = this._target;
    if (!t || !this.state?.heldBy || Date.now() - this._lastTyping < TYPING_SEND_MS) return;
    this._lastTyping = Date.now();
    void t.client.mutation(this._options.api.handoff.typing, { threadId: t.threadId, ...tokenOf(t) }).catch(() => {});
  }

  hostUpdate(): void {
    const { client } = this._options;
    const threadId = this._host.thread;
    const next: Target = client && threadId ? { client, threadId, ...this._options.session.tokenArg } : null;
    const t = this._target;
    if (t === next || (t && next && t.client === next.client && t.threadId === next.threadId && t.token === next.token))
      return;
    this._stop?.();
    this._stop = undefined;
    this._target = next;
    this.state = null;
    this._who = null;
    if (!next) return;
    this._stop = next.client.onUpdate(
      this._options.api.handoff.state,
      { threadId: next.threadId, ...tokenOf(next) },
      (state) => this._onState(next.threadId, state),
      () => {},
    );
    if (this._wanted) void this.request().catch(() => {});
  }

  hostDisconnected(): void {
    this._stop?.();
    this._stop = undefined;
    this._target = null;
    clearTimeout(this._timer);
  }

  /** An operator's message: plain text under their name. */
  row(m: MessageView): TemplateResult {
    const html = this._options.html;
    return html`<div part="message operator" class="row assistant">
      <div class="bubble"><b class="who">${m.author}</b><div class="text" dir="auto">${m.text}</div></div>
    </div>`;
  }

  /** Above the composer: who answers, whether a person was asked for, the operator typing, the button. */
  render(): TemplateResult | null {
    const { html } = this._options;
    const host = this._host;
    const s = this.state;
    const text = (key: keyof Strings, name = "") =>
      format((host.effectiveStrings as Partial<Strings>)[key] ?? english[key], { name });
    const lines: TemplateResult[] = [];
    if (s?.heldBy) {
      lines.push(html`<p part="handoff-status" class="notice offline">${text("handoffAnswering", s.heldBy)}</p>`);
      if (this._operatorTyping(s))
        lines.push(html`<p part="handoff-typing" class="notice offline">${text("handoffTyping", s.heldBy)}</p>`);
    } else if (s?.needsHumanAt) {
      const online = s.operatorOnlineUntil > s.now + (Date.now() - this._stateAt);
      lines.push(
        html`<p part="handoff-status" class="notice offline">${text(online ? "handoffRequested" : "handoffNobodyOnline")}</p>`,
      );
    } else if (host.humanHandoff && host.mode === "chat") {
      lines.push(
        html`<div class="notice">
          <button part="handoff-button" class="text-button" type="button" @click=${() => void this.request().catch(() => {})}>
            ${text("talkToPerson")}
          </button>
        </div>`,
      );
    }
    // The chat's own notice styles: the part brings no CSS of its own.
    return lines.length ? html`${lines}` : null;
  }

  private _operatorTyping(s: HandoffState): boolean {
    return s.operatorTypingAt !== null && s.now - s.operatorTypingAt + (Date.now() - this._stateAt) < TYPING_SHOWN_MS;
  }

  private _onState(threadId: string, state: HandoffState): void {
    this.state = state;
    this._stateAt = Date.now();
    // Nothing else redraws when "typing" runs out.
    clearTimeout(this._timer);
    if (this._operatorTyping(state)) this._timer = setTimeout(() => this._host.requestUpdate(), TYPING_SHOWN_MS);
    const who: Who = state.heldBy
      ? { state: "operator", name: state.heldBy }
      : { state: state.needsHumanAt ? "requested" : "ai" };
    const before = this._who;
    this._who = who;
    if (before ? before.state !== who.state || before.name !== who.name : who.state !== "ai") {
      const strings = { ...english, ...(this._host.effectiveStrings as Partial<Strings>) };
      // Heard: a person joining (or already there when the chat opens), and leaving.
      if (who.name) this._options.announcer.announce(format(strings.handoffJoined, { name: who.name }));
      else if (before?.name) this._options.announcer.announce(format(strings.handoffLeft, { name: before.name }));
      this._host.dispatchEvent(new AiChatHandoffEvent(threadId, who.state, who.name));
    }
    this._host.requestUpdate();
  }
}

function tokenOf(t: NonNullable<Target>): { token?: string } {
  return t.token === undefined ? {} : { token: t.token };
}
