// What the chat (ChatView, its controllers and templates) needs of the element that hosts it.
// The shell (src/shell/ai-chat-stream.ts) satisfies it (checked where it makes the ChatView) and
// loads the chat; the chat depends on this interface, never on the element class, so the two
// never import each other.
import type { ReactiveControllerHost } from "lit";
import type { UiStateController } from "../controllers/ui-state.js";
import type { UnreadController } from "../controllers/unread.js";
import type { ChatStrings } from "../strings.js";
import type { VisitorClaim } from "../../convex/lib/chatProtocol.js";

export type ChatStatus = "idle" | "sending" | "streaming" | "error";
export type ChatMode = "chat" | "observe";

export interface ChatHost extends ReactiveControllerHost, HTMLElement {
  readonly renderRoot: HTMLElement | DocumentFragment;
  convexUrl: string;
  siteUrl: string;
  storageKey: string;
  functionsPath: string;
  turnstileSiteKey: string;
  thread: string | null;
  mode: ChatMode;
  observerToken: string;
  launcher: boolean;
  open: boolean;
  greeting: string;
  aiNote: string;
  placeholder: string;
  allowImages: string;
  suggestions: string[] | null;
  /** Offers "Talk to a person" (human handoff). */
  humanHandoff: boolean;
  /** Who the host page says the visitor is, sent with each message (docs/visitor-identity.md). */
  visitor?: VisitorClaim;
  status: ChatStatus;
  readonly ui: UiStateController;
  readonly unread: UnreadController;
  readonly effectiveStrings: ChatStrings;
  readonly effectiveSiteUrl: string;
  /** Which widget of the deployment this is: each keeps its own conversation. */
  readonly effectiveStorageKey: string;
  /** The chat is on screen: inline, an open launcher, or an observer view. */
  readonly visible: boolean;
  /** Closes the launcher's panel. */
  close(): void;
}
