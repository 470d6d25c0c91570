// The chat's side of attaching files: the drop and paste listeners, the way in for the attach
// button and `attach()`, and the files a send reads. Only this is in the chat's code; the part that
// handles the files (compose.ts: checks, chips, uploads, scaling) loads at the first attach click,
// drop, paste or `attach()`, as OnDemandControllers (src/chat/on-demand.ts) load the other parts.
import type { ChatView } from "../chat/chat-view.js";
import { loadPart } from "../parts.js";
import type { AttachController } from "./compose.js";

export class MessageFiles {
  /** The files of the message being written, once the part has loaded. */
  part?: AttachController;
  /** Adds files to the message being written; none: opens the file picker (the attach button). Loads the part at the first call. */
  readonly attach: (...files: File[]) => Promise<void>;

  constructor(chat: ChatView) {
    this.attach = async (...files) => {
      const { AttachController } = await loadPart("attach");
      await (this.part ??= new AttachController(chat)).add(files);
    };
    // Files dropped onto the widget or pasted into it join the message.
    const onFiles = (e: Event): void => {
      const data = (e as DragEvent).dataTransfer ?? (e as ClipboardEvent).clipboardData;
      if (data?.types.includes("Files")) {
        e.preventDefault();
        if (e.type !== "dragover") void this.attach(...data.files);
      }
    };
    for (const type of ["dragover", "drop", "paste"]) chat.host.addEventListener(type, onFiles);
  }
}
