// The chat's templates inside the panel's frame (launcher.ts): the header, the transcript with
// its rows, the problems banner, the human-check box and the composer. They read a ChatView and
// bind its handlers; no state lives here.
import { html, nothing, type TemplateResult } from "lit";
import { repeat } from "lit/directives/repeat.js";
import { isActive, type MessageStatus, type MessageView } from "../api.js";
import type { ChatView } from "./chat-view.js";
import { composerTemplate } from "./composer.js";
import { visitorMessage } from "../error-messages.js";
import { iconClose, iconNew } from "../icons.js";
import { format, type ChatStrings } from "../strings.js";
import { settledText } from "../markdown/streaming-text.js";
import { emptyState, replyRow, thinkingRow, userRow, type ReplyEnd } from "./transcript.js";

export function chatPanelTemplate(chat: ChatView, strings: ChatStrings, heading: string): TemplateResult {
  const { host, conversation, session } = chat;
  const messages = conversation.messages ?? [];
  // What this page sent that the transcript does not list yet: the prompt, and the reply it drives.
  const pendingPrompt = session.showsPendingPrompt(messages);
  const unlisted = conversation.unlisted(messages);
  const observe = host.mode === "observe";
  const aiNote = host.aiNote === "-" ? "" : host.aiNote || strings.aiNote;
  // The panel is the widget's one landmark (a labelled region inline, a dialog as a launcher);
  // the transcript inside it is a labelled group, so two widgets on a page add no duplicates.
  return html`
    ${headerTemplate(chat, strings, heading, messages)}
    ${chat.connection.online ? nothing : html`<div class="notice offline" role="status">${strings.offline}</div>`}
    <div class="transcript">
      ${chat.onDemand.historyOpen ? chat.onDemand.parts.history?.render(chat, html) : nothing}
      <div
        part="messages"
        class="messages"
        role="group"
        aria-label=${strings.conversationLabel}
        tabindex="0"
        @click=${chat.copy.onClick}
        @scroll=${chat.onScroll}
      >
        ${
          conversation.hasEarlier
            ? html`<button type="button" part="load-earlier" class="earlier" ?disabled=${conversation.loadingEarlier} @click=${chat.onDemand.loadEarlier}>
              ${strings.loadEarlier}
            </button>`
            : nothing
        }
        ${
          messages.length === 0 && !chat.sending && !pendingPrompt && unlisted.length === 0 && !(observe && chat.error)
            ? observe
              ? emptyState(strings.observerEmpty, strings.observerEmptyHint, "")
              : emptyState(
                  host.greeting || strings.greeting,
                  strings.emptyHint,
                  aiNote,
                  host.suggestions || host.hasAttribute("suggestions")
                    ? chat.onDemand.use("suggestions")?.render(chat, html)
                    : nothing,
                )
            : nothing
        }
        ${repeat(
          messages,
          (m) => m._id,
          (m, i) => messageTemplate(chat, m, i === messages.length - 1, strings),
        )}
        ${pendingPrompt ? userRow(session.pendingPrompt!, strings, true) : nothing}
        ${unlisted.map((m) => messageTemplate(chat, m, true, strings))}
        ${chat.sending && !conversation.hasActiveReply && !chat.onDemand.handoff?.state?.heldBy ? thinkingRow(strings) : nothing}
        <div class="scroll-room" aria-hidden="true"></div>
      </div>
      ${
        chat.scroll.hasNewBelow
          ? html`<button part="new-messages" class="jump" type="button" @click=${chat.scroll.jumpToLatest}>${strings.newMessages} ↓</button>`
          : nothing
      }
    </div>
    ${problemsTemplate(chat, strings)}
    ${chat.onDemand.handoff?.render()}
    <div part="human-check" class="human-check" role="group" aria-label=${strings.humanCheck} ?hidden=${!chat.onDemand.humanCheck?.active}></div>
    ${
      observe
        ? nothing
        : composerTemplate(
            {
              text: host.ui.draft,
              limit: chat.connection.maxPromptChars,
              sending: chat.sending,
              streaming: chat.streaming,
              waitAsked: chat.waitAsked,
              files: chat.files.part,
              placeholder: host.placeholder || strings.placeholder,
              strings,
            },
            {
              onSubmit: chat.onSubmit,
              onInput: chat.onInput,
              onKeydown: chat.onKeydown,
              onStop: chat.onStop,
              attach: chat.files.attach,
            },
          )
    }
    ${host.launcher && !host.open ? nothing : liveRegionTemplate(chat.announcer.text)}
  `;
}

/** The polite live region: inside the panel while it shows, outside it (still heard) while it is closed. */
export function liveRegionTemplate(text: string): TemplateResult {
  return html`<div class="sr-only" aria-live="polite" aria-atomic="true">${text}</div>`;
}

function headerTemplate(
  chat: ChatView,
  strings: ChatStrings,
  heading: string,
  messages: MessageView[],
): TemplateResult {
  const { host } = chat;
  const demo = chat.connection.demo || messages.some((m) => m.model === "demo");
  const observe = host.mode === "observe";
  // A <div>, not a <header>: inside a <dialog> a <header> is a page-wide banner landmark, a
  // second one on any page with its own. The panel itself is the labelled region or dialog.
  return html`<div part="header" class="header">
    <h2 class="title">${heading}</h2>
    ${demo ? html`<span class="badge" title=${strings.demoBadgeTitle}>${strings.demoBadge}</span>` : nothing}
    ${observe ? html`<span class="badge muted">${strings.readOnly}</span>` : nothing}
    <span class="spacer"></span>
    ${
      !observe && chat.session.tokenArg.token
        ? html`<button part="history-button" class="text-button" type="button" aria-expanded=${chat.onDemand.historyOpen} @click=${chat.onDemand.toggleHistory}>${strings.historyButton ?? "History"}</button>`
        : nothing
    }
    ${
      !observe && host.thread
        ? html`<button part="new-conversation" class="text-button" type="button" @click=${chat.newConversation}>${iconNew}<span>${strings.newConversation}</span></button>`
        : nothing
    }
    ${
      host.launcher
        ? html`<button class="icon-button" type="button" aria-label=${strings.closeChat} title=${strings.closeChat} @click=${() => host.close()}>
            ${iconClose}
          </button>`
        : nothing
    }
  </div>`;
}

function messageTemplate(
  chat: ChatView,
  m: MessageView,
  last: boolean,
  strings: ChatStrings,
): TemplateResult | undefined {
  if (m.role === "user") return userRow(m.text, strings, false, chat.onDemand.files(m));
  // A person's message (human handoff): drawn by the handoff part, which loads for it.
  if (m.role === "operator") return chat.onDemand.handoff?.row(m);
  // The controller's buffer runs ahead of the transcript while a reply streams.
  const reply = chat.conversation.reply(m._id);
  const final = reply?.final ?? !isActive(m.status);
  const status = reply?.status ?? m.status;
  const streaming = !final && isActive(status);
  // Syntax still being written shows as plain text (or waits) until it is complete; a reply
  // stopped mid-way keeps what was shown (a table cut before its delimiter row stays held back
  // rather than turning into raw pipes).
  const text = streaming || status === "stopped" ? settledText(reply?.text ?? m.text) : (reply?.text ?? m.text);
  // Nothing to show yet (or only blank lines): still "Thinking…", never an empty bubble.
  if (streaming && !text.trim()) return thinkingRow(strings, m.queued);
  const { onDemand } = chat;
  const options = {
    allowImages: chat.host.allowImages,
    copyLabel: strings.copy,
    imageLabel: strings.image,
    highlighter: onDemand.parts.highlight,
    onCode: () => onDemand.use("highlight"),
  };
  const blocks = chat.markdown.blocks(m._id, text, options, streaming);
  // The action row's code loads when the first finished reply renders.
  if (final && !onDemand.actionRow) onDemand.actions().catch(() => {});
  const actions = final ? onDemand.actionRow?.row(m, text, last) : nothing;
  return replyRow(status, streaming, blocks, replyEnd(chat, m, status, last, strings), strings, actions);
}

/** The marker on a reply that did not finish; the last one (failed or stopped) offers Retry. */
function replyEnd(
  chat: ChatView,
  m: MessageView,
  status: MessageStatus,
  last: boolean,
  strings: ChatStrings,
): ReplyEnd {
  const stopped = status === "stopped";
  if (!stopped && status !== "error" && status !== "timeout") return null;
  const note = stopped
    ? strings.stopped
    : visitorMessage({ code: status === "timeout" ? "REPLY_TIMEOUT" : "REPLY_FAILED" }, strings);
  const failed = !stopped;
  // The last reply that did not finish can be generated again, a stopped one too.
  if (!last || chat.host.mode !== "chat") return { note, failed };
  return { note, failed, onRetry: () => chat.onRegenerate(m._id), retrying: chat.session.retrying === m._id };
}

/** The rate-limit countdown, or a send that failed with Retry when sending again may work. */
function problemsTemplate(chat: ChatView, strings: ChatStrings): TemplateResult | typeof nothing {
  const remaining = chat.rateLimit.secondsLeft;
  if (remaining > 0) {
    return html`<div class="banner rate-limit" role="alert">${format(strings.rateLimited, { seconds: remaining })}</div>`;
  }
  const failure = chat.error;
  if (!failure) return nothing;
  const prompt = failure.retryPrompt;
  // A viewer can start nothing: a refused or expired link says so in a viewer's words.
  const refused = chat.host.mode === "observe" && (failure.code === "UNAUTHORIZED" || failure.code === "NOT_FOUND");
  return html`<div class="banner error" role="alert">
    <span class="reason">${refused ? strings.observerUnavailable : visitorMessage(failure, strings)}</span>
    ${prompt ? html`<button type="button" class="retry" @click=${() => chat.onResend(prompt)}>${strings.retry}</button>` : nothing}
  </div>`;
}
