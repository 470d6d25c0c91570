// What the console does with the open thread besides handoff: its transcript as a Markdown file,
// built in the page from the thread's messages (no server-side export to keep), the observer link
// a share mints, and deleting it; ThreadActionsController holds their state and draws their buttons.
import { html, nothing, type ReactiveControllerHost, type TemplateResult } from "lit";
import { api, toErrorInfo, type MessageView } from "../api.js";
import type { ChatClient } from "../convex-pool.js";
import { format, type ConsoleStrings } from "../strings.js";

/** Every message of the thread, oldest first: `messages:list` pages back until none are left. */
async function allMessages(client: ChatClient, token: string, threadId: string): Promise<MessageView[]> {
  const messages: MessageView[] = [];
  let before: number | undefined;
  for (;;) {
    const page = await client.query(api.messages.list, {
      threadId,
      token,
      ...(before === undefined ? {} : { before }),
    });
    if (page.length === 0) return messages;
    messages.unshift(...page);
    before = page[0]!._creationTime;
  }
}

/** The transcript: the title, then each message under who wrote it (replies regenerated away left out). */
export async function transcript(
  client: ChatClient,
  token: string,
  threadId: string,
  title: string,
  strings: ConsoleStrings,
): Promise<string> {
  const who = (m: MessageView) =>
    m.role === "user"
      ? strings.roleVisitor
      : m.role === "operator"
        ? format(strings.roleOperator, { name: m.author ?? "" })
        : strings.roleAi;
  const turns = (await allMessages(client, token, threadId))
    .filter((m) => m.supersededBy === undefined && (m.text || m.attachments?.length))
    .map((m) => {
      const files = (m.attachments ?? []).map((a) => `\n\n[${a.name}]`).join("");
      return `**${who(m)}:**\n\n${m.text}${files}`;
    });
  return `# ${title}\n\n${turns.join("\n\n---\n\n")}\n`;
}

/** Hands `text` to the browser as a file download (a blob URL: nothing inline, strict CSP safe). */
export function download(name: string, text: string): void {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type: "text/markdown" }));
  a.download = name;
  a.click();
  URL.revokeObjectURL(a.href);
}

/** An observer link to `observeUrl`: the thread and token in the fragment, which no server sees. */
export function observerLink(observeUrl: string, threadId: string, observerToken: string): string {
  const url = new URL(observeUrl, location.href);
  url.hash = new URLSearchParams({ thread: threadId, token: observerToken }).toString();
  return url.href;
}

/** What the actions need of the console: the open thread with the session's client, its title, and the way back. */
export interface ThreadActionsHost extends ReactiveControllerHost {
  readonly renderRoot: HTMLElement | DocumentFragment;
  readonly observeUrl: string;
  readonly effectiveStrings: ConsoleStrings;
}

export type ThreadActionsOptions = {
  /** The open thread and how to reach it, or null (signed out, or no thread open). */
  target(): { client: ChatClient; token: string; threadId: string } | null;
  /** The thread's title as the list shows it. */
  title(threadId: string): string;
  /** Closes the thread (after a deletion). */
  back(): void;
};

/**
 * The open thread's export, share and delete: the buttons (`thread-actions`), the deletion's
 * confirmation, the observer link once made, and why an action failed (`action-error`).
 */
export class ThreadActionsController {
  /** The deletion waits for `delete-confirm-button`. */
  confirmDelete = false;
  /** The observer link last made for the open thread. */
  shareLink = "";
  error = "";

  constructor(
    private readonly _host: ThreadActionsHost,
    private readonly _options: ThreadActionsOptions,
  ) {}

  /** Another thread opened (or none): nothing of the last one's actions stays. */
  reset(): void {
    this.confirmDelete = false;
    this.shareLink = this.error = "";
  }

  #set(patch: Partial<Pick<ThreadActionsController, "confirmDelete" | "shareLink" | "error">>): void {
    Object.assign(this, patch);
    this._host.requestUpdate();
  }

  /** Runs an action on the open thread with the session's client; a failure shows in `action-error`. */
  async #run(action: (client: ChatClient, token: string, threadId: string) => Promise<void>): Promise<void> {
    const target = this._options.target();
    if (!target) return;
    this.#set({ error: "" });
    try {
      await action(target.client, target.token, target.threadId);
    } catch (err) {
      this.#set({ error: toErrorInfo(err, "The deployment could not be reached.").message });
    }
  }

  export(): Promise<void> {
    return this.#run(async (client, token, threadId) => {
      const strings = this._host.effectiveStrings;
      const title = this._options.title(threadId);
      download(`conversation-${threadId}.md`, await transcript(client, token, threadId, title, strings));
    });
  }

  share(): Promise<void> {
    return this.#run(async (client, token, threadId) => {
      const { observerToken } = await client.mutation(api.threads.share, { threadId, token });
      this.#set({ shareLink: observerLink(this._host.observeUrl, threadId, observerToken) });
      await this._host.updateComplete;
      this._host.renderRoot.querySelector<HTMLInputElement>("[part=share-link]")?.select();
    });
  }

  delete(): Promise<void> {
    return this.#run(async (client, token, threadId) => {
      await client.mutation(api.operator.removeThread, { threadId, token });
      this._options.back();
    });
  }

  /** The open thread's buttons, the deletion's confirmation, and the share link once made. */
  render(strings: ConsoleStrings): TemplateResult {
    return html`<div part="thread-actions" class="handoff actions">
      <div class="handoff-row">
        <button part="back-button" class="secondary back" type="button" @click=${() => this._options.back()}>${strings.back}</button>
        <span class="spacer"></span>
        <button part="export-button" class="secondary" type="button" @click=${() => this.export()}>${strings.exportTranscript}</button>
        ${this._host.observeUrl ? html`<button part="share-button" class="secondary" type="button" @click=${() => this.share()}>${strings.share}</button>` : nothing}
        <button part="delete-button" class="secondary" type="button" @click=${() => this.#set({ confirmDelete: !this.confirmDelete })}>${strings.remove}</button>
      </div>
      ${
        this.confirmDelete
          ? html`<div class="handoff-row reply"><span role="alert">${strings.removeConfirm}</span>
            <button part="delete-confirm-button" class="primary" type="button" @click=${() => this.delete()}>${strings.remove}</button></div>`
          : nothing
      }
      ${this.shareLink ? html`<input part="share-link" readonly aria-label=${strings.share} .value=${this.shareLink} />` : nothing}
      ${this.error ? html`<p part="action-error" class="form-error" role="alert">${this.error}</p>` : nothing}
    </div>`;
  }
}
