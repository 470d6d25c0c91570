// What the console does with the open thread besides handoff: its transcript as a Markdown file,
// built in the page from the thread's messages (no server-side export to keep), and the
// observer link a share mints.
import { api, type MessageView } from "../api.js";
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
