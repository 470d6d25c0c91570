// The product page: the widget from source (Vite), plus a "share with support" button.
import "../src/ai-chat-stream-define.ts";
import type { AiChatStream } from "../src/shell/ai-chat-stream.ts";

const inline = document.querySelector<AiChatStream>("#inline")!;
const status = document.querySelector<HTMLElement>("#share-status")!;

document.querySelector("#share")!.addEventListener("click", async () => {
  if (!inline.thread) {
    status.textContent = "Send a message first: there is no conversation to share yet.";
    return;
  }
  try {
    const token = await inline.shareToken();
    // The token travels in the fragment, which browsers never send to a server.
    const params = new URLSearchParams({ thread: inline.thread, token });
    window.open(`./iframe.html#${params}`, "_blank", "noopener");
    status.textContent = "Opened the support desk in a new tab.";
  } catch (error) {
    status.textContent = `Could not share: ${(error as Error).message}`;
  }
});

// The Help launcher says who the shopper is, unsigned: the operator console shows it "Unverified".
// A real site signs the id on its server (docs/visitor-identity.md) and passes `signature` too.
const help = document.querySelector<AiChatStream>("ai-chat-stream[launcher]")!;
help.visitor = { id: "demo-shopper", name: "Demo shopper", plan: "trial" };
