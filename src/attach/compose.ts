// The files of the message being written (issue 23): added by the attach button, a drop onto the
// widget, a paste or `attach(file)`; each a chip (a thumbnail for images) with its upload's
// progress and a button that cancels or removes it. Loaded at the first of those (the chat keeps
// only the button and the hooks), with its own strings and styles; the chat hands in its `html`,
// so the part carries no copy of Lit.
//
// Each file is checked before anything is uploaded (the `accept` types, the deployment's size and
// count limits from `config:get`), photos are scaled down first, and the upload starts at once
// (`POST {site}/chat-upload`, docs/attachments.md) so Send waits for as little as possible. An
// upload needs a visitor token: a new visitor's is minted here, through `POST {site}/visitors`
// with the same proof of work (or Turnstile check) a first send carries, and kept as a send's is.
// That costs one request the send would have made anyway, and the send then goes as a known visitor.
import type { TemplateResult } from "lit";
import type { ChatView } from "../chat/chat-view.js";
import type { ChatErrorInfo } from "../api.js";
import english from "./strings.js";
import { CHAT_UPLOAD_PATH } from "../../convex/lib/chatProtocol.js";
import { saveSession } from "../storage.js";
import { takeProofOfWork } from "../reply/pow.js";

/** The `accept` attribute's default: what the deployment takes (ATTACHMENT_TYPES). */
export const DEFAULT_ACCEPT = "image/png image/jpeg image/webp image/gif application/pdf text/plain";
/** The deployment's defaults (convex/lib/attachments.ts), for one that does not say. */
const MAX_FILE_BYTES = 10 * 1024 * 1024;
const MAX_FILES = 4;
/** Models see no more than about this on a side (larger costs more and says nothing more). */
export const MAX_SIDE = 2048;

type Strings = typeof english;

export type Item = {
  file: File;
  /** The thumbnail's object URL (images), revoked when the chip goes. */
  url: string | null;
  /** Share uploaded, 0 to 1. */
  progress: number;
  /** The upload's ID once stored. */
  id: string | null;
  xhr: XMLHttpRequest | null;
  /** Settles with the ID, or rejects with the refusal (or an AbortError once removed). */
  done: Promise<string>;
};

/** A refusal with a stable code, shaped as the chat's `toErrorInfo` reads it. */
class FileError extends Error {
  constructor(readonly data: ChatErrorInfo) {
    super(data.message);
  }
}

const fill = (text: string, values: Record<string, string | number>) =>
  text.replace(/\{(\w+)\}/g, (m, k: string) => String(values[k] ?? m));

function mib(n: number): string {
  return n >= 1024 * 1024 ? `${+(n / (1024 * 1024)).toFixed(1)} MiB` : `${Math.round(n / 1024)} KiB`;
}

/** Whether `type` is one of the `accept` list's (space- or comma-separated; `image/*` allowed). */
export function accepts(accept: string, type: string): boolean {
  return accept.split(/[\s,]+/).some((a) => a && (a === type || (a.endsWith("/*") && type.startsWith(a.slice(0, -1)))));
}

/**
 * `file` as the model needs it: an image over MAX_SIDE px on a side, or over `maxBytes`, drawn
 * smaller (JPEG for photos, WebP otherwise, which keeps transparency), at lower quality only if it
 * is still too large. GIFs (maybe animated) and other files are left as they are.
 */
export async function scaleDown(file: File, maxBytes: number): Promise<File> {
  if (!/^image\/(png|jpeg|webp)$/.test(file.type)) return file;
  const bitmap = await createImageBitmap(file);
  const { width, height } = bitmap;
  let scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  if (scale === 1 && file.size <= maxBytes) {
    bitmap.close();
    return file;
  }
  const type = file.type === "image/jpeg" ? "image/jpeg" : "image/webp";
  const name = file.name.replace(/\.\w+$/, "") + (type === "image/jpeg" ? ".jpg" : ".webp");
  let blob: Blob | null = null;
  try {
    for (const quality of [0.88, 0.75, 0.6]) {
      const canvas = new OffscreenCanvas(
        Math.max(1, Math.round(width * scale)),
        Math.max(1, Math.round(height * scale)),
      );
      canvas.getContext("2d")!.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      blob = await canvas.convertToBlob({ type, quality });
      if (blob.size <= maxBytes) break;
      scale *= 0.75;
    }
  } finally {
    bitmap.close();
  }
  return new File([blob!], name, { type });
}

export class AttachController {
  readonly items: Item[] = [];
  /** Why the last file was refused before upload (shown under the chips), or null. */
  error: string | null = null;
  private _token?: Promise<string>;
  private _limits?: Promise<{ maxFileBytes: number; maxFiles: number }>;

  constructor(private readonly _chat: ChatView) {}

  private get _strings(): Strings {
    const s = this._chat.host.effectiveStrings as Partial<Strings>;
    return new Proxy(english, { get: (e, k: keyof Strings) => s[k] ?? e[k] });
  }

  private get _accept(): string {
    return this._chat.host.getAttribute("accept") || DEFAULT_ACCEPT;
  }

  /** The attach button: the system's file picker, limited to `accept`. */
  pick(): void {
    const input = document.createElement("input");
    input.type = "file";
    input.multiple = true;
    input.accept = this._accept.split(/[\s,]+/).join(",");
    input.addEventListener("change", () => input.files?.length && void this.add([...input.files]));
    input.click();
  }

  /**
   * Adds `files` to the message being written and starts their uploads (none: opens the picker). Checked first, all or
   * nothing: a type not in `accept`, a file over the size limit (images are scaled down first),
   * or more files than a message may carry fires `ai-chat-error` with the limit's code and
   * uploads nothing. Upload failures show on the Send that needs them.
   */
  async add(files: File[]): Promise<void> {
    const strings = this._strings;
    this.error = null;
    if (this._chat.host.mode === "observe") return;
    if (!files.length) return this.pick();
    const { maxFileBytes, maxFiles } = await this._loadLimits();
    if (this.items.length + files.length > maxFiles) {
      return this._refuse(
        "TOO_MANY_FILES",
        fill(strings.attachTooMany, { limit: maxFiles }),
        `${maxFiles} files per message`,
      );
    }
    const ready: File[] = [];
    for (const original of files) {
      const name = original.name;
      if (!accepts(this._accept, original.type)) {
        return this._refuse(
          "FILE_TYPE_NOT_ALLOWED",
          fill(strings.attachTypeRefused, { name }),
          `accept="${this._accept}"`,
        );
      }
      const file = await scaleDown(original, maxFileBytes).catch(() => original);
      if (file.size > maxFileBytes) {
        const limit = mib(maxFileBytes);
        return this._refuse("FILE_TOO_LARGE", fill(strings.attachTooLarge, { name, limit }), `${limit} per file`);
      }
      ready.push(file);
    }
    for (const file of ready) {
      const item: Item = {
        file,
        url: file.type.startsWith("image/") ? URL.createObjectURL(file) : null,
        progress: 0,
        id: null,
        xhr: null,
        done: null!,
      };
      item.done = this._upload(item);
      // A failure is reported by the send that waits for it (or not at all once removed).
      item.done.catch(() => {});
      this.items.push(item);
    }
    this._chat.host.requestUpdate();
  }

  /** Removes a chip: aborts its upload and frees its thumbnail. */
  remove(item: Item): void {
    const i = this.items.indexOf(item);
    if (i < 0) return;
    this.items.splice(i, 1);
    item.xhr?.abort();
    if (item.url) URL.revokeObjectURL(item.url);
    this.error = null;
    this._chat.host.requestUpdate();
  }

  /**
   * The upload IDs for the send of `prompt`, once every upload has finished; null when one was
   * refused: the send fails with its code, and keeps the text and the chips.
   */
  async ids(prompt: string): Promise<string[] | null> {
    // A second Send while the first waits for uploads would send the same files twice.
    if (this._waiting) return null;
    this._waiting = true;
    try {
      return await Promise.all(this.items.map((item) => item.done));
    } catch (err) {
      this._chat._fail(err instanceof FileError ? err.data : { code: "NETWORK", message: String(err) }, prompt);
      return null;
    } finally {
      this._waiting = false;
    }
  }
  private _waiting = false;

  /** The message went: its chips go. */
  clear(): void {
    for (const item of [...this.items]) this.remove(item);
  }

  /** Refuses files before upload: shown under the chips, and `ai-chat-error` (its message names the limit). */
  private _refuse(code: "TOO_MANY_FILES" | "FILE_TYPE_NOT_ALLOWED" | "FILE_TOO_LARGE", text: string, limit: string) {
    this.error = text;
    this._chat._report({ code, message: `${text} (limit: ${limit})` });
    this._chat.host.requestUpdate();
  }

  /** The deployment's limits (`config:get`), else the defaults. */
  private _loadLimits() {
    const client = this._chat.client;
    return (this._limits ??= Promise.resolve(client?.query(this._chat.api.config.get, {}))
      .catch(() => null)
      .then((c) => ({
        maxFileBytes: typeof c?.maxFileBytes === "number" ? c.maxFileBytes : MAX_FILE_BYTES,
        maxFiles: typeof c?.maxFilesPerMessage === "number" ? c.maxFilesPerMessage : MAX_FILES,
      })));
  }

  /** The visitor's token; a new visitor's minted once (see the top of this file). */
  private _visitorToken(): Promise<string> {
    const session = this._chat.session;
    const token = session.tokenArg.token;
    if (token) return Promise.resolve(token);
    return (this._token ??= (async () => {
      const host = this._chat.host;
      const key = host.turnstileSiteKey;
      const body = key
        ? { turnstileToken: await (await this._chat.onDemand.humanCheckController()).challenge(key) }
        : { pow: await takeProofOfWork(host.effectiveSiteUrl) };
      const res = await fetch(this._site() + "/visitors", {
        method: "POST",
        body: JSON.stringify(body),
        credentials: "omit",
      });
      const answer = (await res.json().catch(() => ({}))) as { token?: string; code?: string; message?: string };
      if (!res.ok || !answer.token) throw refusal(res.status, answer);
      // Kept as a send's token is; restore() reads it back as the session the next send goes as.
      saveSession(
        host.convexUrl,
        host.effectiveSiteUrl,
        { threadId: null, token: answer.token },
        host.effectiveStorageKey,
      );
      session.restore(host.convexUrl);
      return answer.token;
    })().finally(() => (this._token = undefined)));
  }

  private _site(): string {
    return this._chat.host.effectiveSiteUrl.replace(/\/$/, "");
  }

  /** Uploads `item` (XMLHttpRequest: the only request with upload progress over HTTP/1.1). */
  private async _upload(item: Item): Promise<string> {
    const token = await this._visitorToken();
    if (!this.items.includes(item)) throw new DOMException("Removed.", "AbortError");
    const { file } = item;
    const answer = await new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const xhr = (item.xhr = new XMLHttpRequest());
      xhr.open("POST", this._site() + CHAT_UPLOAD_PATH);
      xhr.setRequestHeader("Content-Type", file.type);
      xhr.setRequestHeader("X-File-Name", encodeURIComponent(file.name));
      xhr.setRequestHeader("Authorization", `Bearer ${token}`);
      xhr.upload.onprogress = (e) => {
        item.progress = e.lengthComputable ? e.loaded / e.total : 0;
        this._chat.host.requestUpdate();
      };
      xhr.onload = () => {
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(xhr.responseText) as Record<string, unknown>;
        } catch {
          // Not JSON: refused below by its status.
        }
        resolve({ status: xhr.status, body });
      };
      xhr.onerror = () => reject(new TypeError("The upload did not reach the server."));
      xhr.onabort = () => reject(new DOMException("The upload was cancelled.", "AbortError"));
      xhr.send(file);
    });
    item.xhr = null;
    const id = answer.body.attachmentId;
    if (answer.status !== 200 || typeof id !== "string") throw refusal(answer.status, answer.body);
    item.id = id;
    item.progress = 1;
    this._chat.host.requestUpdate();
    return id;
  }

  /** The chips, above the message box, and why a file was refused. */
  render(): TemplateResult {
    const { html } = this._chat;
    const strings = this._strings;
    adoptStyles(this._chat.host.renderRoot as ShadowRoot);
    return html`${
      this.items.length
        ? html`<ul part="attachment-chips" class="chips" aria-label=${strings.attachedFiles}>
            ${this.items.map((item) => {
              const name = item.file.name;
              const uploading = item.id === null;
              const label = fill(uploading ? strings.attachCancel : strings.attachRemove, { name });
              return html`<li part="attachment-chip" class="chip">
                ${item.url ? html`<img part="attachment-thumbnail" src=${item.url} alt="" />` : ""}
                <span class="chip-name">${name}</span>
                ${
                  uploading
                    ? html`<progress part="attachment-progress" max="1" .value=${item.progress} aria-label=${fill(strings.attachUploading, { name })}></progress>`
                    : ""
                }
                <button part="attachment-remove" type="button" aria-label=${label} title=${label} @click=${() => this.remove(item)}>×</button>
              </li>`;
            })}
          </ul>`
        : ""
    }${this.error ? html`<p part="attachment-error" class="attach-error" role="alert">${this.error}</p>` : ""}`;
  }
}

function refusal(status: number, body: { code?: unknown; message?: unknown }): FileError {
  const code = typeof body.code === "string" ? body.code : `HTTP_${status}`;
  const message = typeof body.message === "string" ? body.message : `The upload was refused (${status}).`;
  return new FileError({ code: code as ChatErrorInfo["code"], message });
}

const STYLES = `
  .chips {
    display: flex;
    flex-wrap: wrap;
    gap: 6px;
    margin: 8px 12px 0;
    padding: 0;
    list-style: none;
  }
  .chip {
    display: inline-flex;
    align-items: center;
    gap: 6px;
    max-width: 100%;
    padding: 3px 4px 3px 6px;
    border: 1px solid var(--_border);
    border-radius: 8px;
    font-size: 0.85em;
  }
  .chip img {
    width: 32px;
    height: 32px;
    object-fit: cover;
    border-radius: 4px;
  }
  .chip-name {
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
    max-width: 14em;
  }
  .chip progress {
    width: 48px;
  }
  .chip button {
    min-width: 24px;
    min-height: 24px;
    border: 0;
    border-radius: 50%;
    background: transparent;
    color: inherit;
    font: inherit;
    cursor: pointer;
  }
  .chip button:focus-visible {
    outline: 2px solid var(--_accent);
  }
  .attach-error {
    margin: 6px 16px 0;
    font-size: 0.85em;
    color: var(--_error, inherit);
  }
`;

let sheet: CSSStyleSheet | undefined;

/** The part's styles in the widget's shadow root, once (a constructed sheet: strict CSP allows it). */
function adoptStyles(root: ShadowRoot): void {
  sheet ??= new CSSStyleSheet();
  if (!sheet.cssRules.length) sheet.replaceSync(STYLES);
  if (!root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
}
