// The chat's controllers and parts whose code loads when first needed (src/parts.ts), not with
// the chat: the Turnstile check, at a new visitor's first send with `turnstile-site-key`; the
// history pager, once a thread has older history; human handoff; and the parts the view only
// reads (`use`). Until then the host reads them as null or undefined.
import { html, type TemplateResult } from "lit";
import type { MessageView } from "../api.js";
import type { EarlierController } from "../controllers/earlier.js";
import { toErrorInfo } from "../api.js";
import { AiChatFeedbackEvent } from "../events.js";
import { loadPart, type Parts } from "../parts.js";
import type { HumanCheckController } from "../reply/human-check.js";
import type { MessageActions } from "../actions/message-actions.js";
import type { ChatView } from "./chat-view.js";
import type { HandoffController } from "../handoff/visitor.js";
import type { ChatHost } from "./host.js";

export class OnDemandControllers {
  humanCheck: HumanCheckController | null = null;
  earlier: EarlierController | null = null;
  /** Human handoff: with `human-handoff`, `requestHuman()`, or a thread an operator wrote in. */
  handoff?: HandoffController;
  private _earlierLoading = false;
  /** Parts whose module is only read (`use`): absent until asked for, undefined while loading. */
  readonly parts: Partial<Parts> = {};
  /** The list of past conversations is open (its part loads at the first click). */
  historyOpen = false;
  private _handoff?: Promise<HandoffController>;

  constructor(
    private readonly _host: ChatHost,
    /** Reads the page of history before the oldest message shown. */
    private readonly _loadEarlier: () => Promise<void>,
    /** The chat, which the handoff and action-row parts read and call. */
    private readonly _chat: ChatView,
  ) {}

  /** The handoff part, made (and its code loaded) once. */
  readonly handoffController = (): Promise<HandoffController> =>
    (this._handoff ??= loadPart("handoff").then(
      ({ HandoffController }) => (this.handoff = new HandoffController(this._host, this._chat)),
    ));

  /** The Turnstile check, made (and its code loaded) the first time a send needs it. */
  readonly humanCheckController = async (): Promise<HumanCheckController> => {
    if (this.humanCheck) return this.humanCheck;
    const { HumanCheckController } = await loadPart("humanCheck");
    const host = this._host;
    this.humanCheck ??= new HumanCheckController(host, {
      container: () => host.renderRoot?.querySelector<HTMLElement>("[part=human-check]") ?? null,
      strings: () => host.effectiveStrings,
    });
    return this.humanCheck;
  };

  /** Makes the history pager (loading its code) once `hasEarlier`; before that, pages load without keeping the rows in place. */
  wantEarlier(hasEarlier: boolean): void {
    if (this.earlier || this._earlierLoading || !hasEarlier) return;
    this._earlierLoading = true;
    const host = this._host;
    loadPart("earlier").then(
      ({ EarlierController }) => {
        const messages = () => host.renderRoot?.querySelector<HTMLElement>(".messages");
        this.earlier ??= new EarlierController(host, messages, this._loadEarlier);
        host.requestUpdate();
      },
      // Offline or blocked: the button still loads pages itself; the next update tries again.
      () => (this._earlierLoading = false),
    );
  }

  /** The action row under finished replies, made (its code loaded) when the first one renders or a page calls it. */
  readonly actions = async (): Promise<MessageActions> => {
    const { MessageActions } = await loadPart("actions");
    this.actionRow ??= new MessageActions(this._chat, { toErrorInfo, AiChatFeedbackEvent });
    this._host.requestUpdate();
    return this.actionRow;
  };
  actionRow: MessageActions | null = null;

  /** Part `name`'s module, loaded at the first call: undefined until it arrives, then the host updates. A failed load is tried again at the next call. */
  use<K extends keyof Parts>(name: K): Parts[K] | undefined {
    const { parts } = this;
    if (!(name in parts)) {
      parts[name] = undefined;
      loadPart(name).then(
        (part) => {
          parts[name] = part;
          this._host.requestUpdate();
        },
        () => delete parts[name],
      );
    }
    return parts[name];
  }

  /** The history button. */
  readonly toggleHistory = (): void => {
    this.historyOpen = !this.historyOpen;
    this.use("history");
    this._host.requestUpdate();
  };

  /** A message's files, once their part has loaded (the first message with files loads it). */
  files(m: MessageView): TemplateResult | undefined {
    const part = m.attachments?.length ? this.use("attachments") : undefined;
    if (!part) return;
    part.adoptStyles(this._host.renderRoot as ShadowRoot);
    return part.attachmentsTemplate(html, m.attachments!);
  }

  /** The "earlier messages" button. */
  readonly loadEarlier = (): void => {
    void (this.earlier ? this.earlier.load() : this._loadEarlier());
  };
}
