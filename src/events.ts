// One Event subclass per event the element fires. All bubble and cross shadow roots.
import type { MessageStatus } from "./api.js";

const init = (cancelable = false): EventInit => ({ bubbles: true, composed: true, cancelable });

/** Fired before a prompt is sent. Call `preventDefault()` to keep it from being sent. */
export class AiChatSendEvent extends Event {
  static readonly eventName = "ai-chat-send";
  constructor(readonly prompt: string) {
    super(AiChatSendEvent.eventName, init(true));
  }
}

/** Fired when a reply starts showing: `driven` is true when this element is streaming it over HTTP. */
export class AiChatStreamStartEvent extends Event {
  static readonly eventName = "ai-chat-stream-start";
  constructor(
    readonly threadId: string,
    readonly streamId: string,
    readonly driven: boolean,
  ) {
    super(AiChatStreamStartEvent.eventName, init());
  }
}

/** Fired once a reply reaches a final status; `text` is the persisted text. */
export class AiChatStreamEndEvent extends Event {
  static readonly eventName = "ai-chat-stream-end";
  constructor(
    readonly threadId: string,
    readonly streamId: string,
    readonly status: MessageStatus,
    readonly text: string,
  ) {
    super(AiChatStreamEndEvent.eventName, init());
  }
}

/** Fired when something fails that a person may need to act on. `code` is a contract error code. */
export class AiChatErrorEvent extends Event {
  static readonly eventName = "ai-chat-error";
  constructor(
    readonly code: string,
    readonly message: string,
  ) {
    super(AiChatErrorEvent.eventName, init());
  }
}

/**
 * Fired once a rating is stored (`rate()` or the thumbs): `rating` null when it was taken back,
 * `comment` null without one.
 */
export class AiChatFeedbackEvent extends Event {
  static readonly eventName = "ai-chat-feedback";
  constructor(
    readonly threadId: string,
    readonly messageId: string,
    readonly rating: "up" | "down" | null,
    readonly comment: string | null,
  ) {
    super(AiChatFeedbackEvent.eventName, init());
  }
}

/** Fired by `<ai-chat-console>` when the operator opens a thread; `threadId` is the thread now observed. */
export class AiChatConsoleSelectEvent extends Event {
  static readonly eventName = "ai-chat-console-select";
  constructor(readonly threadId: string) {
    super(AiChatConsoleSelectEvent.eventName, init());
  }
}

/**
 * Fired when who answers the visitor changes (human handoff): `requested` (the visitor asked for
 * a person), `operator` (`operatorName` answers now) or `ai` (handed back).
 */
export class AiChatHandoffEvent extends Event {
  static readonly eventName = "ai-chat-handoff";
  constructor(
    readonly threadId: string,
    readonly state: "requested" | "operator" | "ai",
    readonly operatorName?: string,
  ) {
    super(AiChatHandoffEvent.eventName, init());
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    "ai-chat-send": AiChatSendEvent;
    "ai-chat-stream-start": AiChatStreamStartEvent;
    "ai-chat-stream-end": AiChatStreamEndEvent;
    "ai-chat-error": AiChatErrorEvent;
    "ai-chat-console-select": AiChatConsoleSelectEvent;
    "ai-chat-handoff": AiChatHandoffEvent;
    "ai-chat-feedback": AiChatFeedbackEvent;
  }
}
