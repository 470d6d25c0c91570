/**
 * Attachments: files a visitor uploads (`POST /chat-upload`, convex/http.ts) and sends with a
 * prompt. The upload is an HTTP action rather than a storage upload URL so that the size and the
 * type are checked as the bytes arrive, before anything is stored: the body is read no further
 * than the limit, its first bytes must be the type the browser declared (magic numbers, not the
 * browser's word), and only then is it stored. A file that fails any check is never stored, and a
 * file refused later (its row could not be written) is deleted.
 *
 * - MAX_FILE_BYTES (10 MiB): FILE_TOO_LARGE above it.
 * - MAX_FILES_PER_MESSAGE (4): TOO_MANY_FILES above it.
 * - RATE_LIMIT_UPLOADS_PER_MINUTE (10): uploads per visitor, and they need today's budget left.
 * - Types: PNG, JPEG, WebP, GIF, PDF and plain text (FILE_TYPE_NOT_ALLOWED otherwise).
 *
 * An upload not attached to a message within a day is deleted (`cleanup:run`); deleting a thread
 * deletes its messages' files (`threads:purgeThread`).
 */
import type { Doc, Id } from "../_generated/dataModel";
import type { MutationCtx, QueryCtx } from "../_generated/server";
import { appError, formatCount } from "./errors";
import { envInt } from "./limits";
import type { AttachmentView, ChatAttachment } from "./validators";

export const ATTACHMENT_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif", "application/pdf", "text/plain"];
/** An unattached upload is deleted after this long. */
export const UNATTACHED_KEEP_MS = 24 * 60 * 60 * 1000;
/** Longest file name kept (longer ones are clipped). */
export const FILE_NAME_MAX_CHARS = 200;

export type AttachmentLimits = { maxFileBytes: number; maxFiles: number; uploadsPerMinute: number };

export function attachmentLimits(): AttachmentLimits {
  return {
    maxFileBytes: envInt("MAX_FILE_BYTES", 10485760), // 10 MiB
    maxFiles: envInt("MAX_FILES_PER_MESSAGE", 4, 0),
    uploadsPerMinute: envInt("RATE_LIMIT_UPLOADS_PER_MINUTE", 10),
  };
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 && n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${formatCount(n)} bytes`;
}

export function fileTooLarge(size: number | null, limit: number) {
  const what = size === null ? `over ${formatBytes(limit)}` : formatBytes(size);
  return appError("FILE_TOO_LARGE", `the file is ${what}; the limit is ${formatBytes(limit)} per file`, { limit });
}

export function fileTypeNotAllowed(type: string, why: "type" | "bytes") {
  const shown = type.slice(0, 100) || "no type";
  const message =
    why === "type"
      ? `${shown} files are not accepted; allowed: ${ATTACHMENT_TYPES.join(", ")}`
      : `the file's bytes are not ${shown}; allowed: ${ATTACHMENT_TYPES.join(", ")}`;
  return appError("FILE_TYPE_NOT_ALLOWED", message);
}

export function tooManyFiles(count: number, limit: number) {
  return appError("TOO_MANY_FILES", `${count} files attached; the limit is ${limit} per message`, { count, limit });
}

function startsWith(bytes: Uint8Array, at: number, ...expected: number[]): boolean {
  return expected.every((b, i) => bytes[at + i] === b);
}

/**
 * Whether the first bytes are a file of `type`: the magic numbers of PNG, JPEG, GIF, WebP and PDF;
 * text/plain must be UTF-8 without NUL or other control bytes (tabs and line ends allowed).
 */
export function bytesMatchType(bytes: Uint8Array, type: string): boolean {
  switch (type) {
    case "image/png":
      return startsWith(bytes, 0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);
    case "image/jpeg":
      return startsWith(bytes, 0, 0xff, 0xd8, 0xff);
    case "image/gif":
      return startsWith(bytes, 0, 0x47, 0x49, 0x46, 0x38) && (bytes[4] === 0x37 || bytes[4] === 0x39);
    case "image/webp":
      return startsWith(bytes, 0, 0x52, 0x49, 0x46, 0x46) && startsWith(bytes, 8, 0x57, 0x45, 0x42, 0x50);
    case "application/pdf":
      return startsWith(bytes, 0, 0x25, 0x50, 0x44, 0x46, 0x2d);
    case "text/plain": {
      for (const b of bytes) if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes);
        return true;
      } catch {
        return false;
      }
    }
    default:
      return false;
  }
}

/** The declared type without parameters (`text/plain; charset=utf-8` -> `text/plain`), lower case. */
export function baseType(contentType: string | null): string {
  return (contentType ?? "").split(";")[0].trim().toLowerCase();
}

/** A file name as shown: the last path segment, no control characters, clipped. */
export function cleanFileName(raw: string | null): string {
  let name = "";
  try {
    name = decodeURIComponent(raw ?? "");
  } catch {
    name = raw ?? "";
  }
  name = name
    .split(/[\\/]/)
    .pop()!
    // Control characters (C0, DEL, C1) would garble the name wherever it is shown.
    .replace(/\p{Cc}/gu, "")
    .trim();
  return Array.from(name).slice(0, FILE_NAME_MAX_CHARS).join("") || "file";
}

/**
 * The uploads `ids`, which must be the caller's own and not yet sent, as the message will keep
 * them. TOO_MANY_FILES past the limit; an ID that is not one of the caller's unsent uploads is
 * NOT_FOUND. `markSent` then ties them to the message.
 */
export async function unsentUploads(ctx: MutationCtx, usageKey: string, ids: string[]): Promise<ChatAttachment[]> {
  const limit = attachmentLimits().maxFiles;
  const unique = [...new Set(ids)];
  if (unique.length > limit) throw tooManyFiles(unique.length, limit);
  const out: ChatAttachment[] = [];
  for (const raw of unique) {
    const id = ctx.db.normalizeId("attachments", raw);
    const row = id ? await ctx.db.get("attachments", id) : null;
    if (!row || row.usageKey !== usageKey || row.messageId !== null) {
      throw appError("NOT_FOUND", "that attachment is not one of your unsent uploads (uploads are kept for a day)");
    }
    out.push({ id: row._id, storageId: row.storageId, name: row.name, contentType: row.contentType, size: row.size });
  }
  return out;
}

export async function markSent(
  ctx: MutationCtx,
  attachments: ChatAttachment[],
  messageId: Id<"messages">,
  threadId: Id<"threads">,
): Promise<void> {
  for (const a of attachments) await ctx.db.patch("attachments", a.id, { messageId, threadId });
}

/** Characters an attachment counts as in a reply's reserved input: an image ~1,600 tokens, a text by its length. */
export function attachmentInputChars(a: ChatAttachment): number {
  if (a.contentType.startsWith("image/")) return 6_400;
  // A PDF page is ~3 KB of text and ~1,500 tokens of image on providers that read PDFs as pages.
  return a.size;
}

/** What readers see of a message's files: name, type, size and a URL to fetch it. */
export async function attachmentViews(
  ctx: QueryCtx,
  attachments: ChatAttachment[] | undefined,
): Promise<AttachmentView[] | undefined> {
  if (!attachments || attachments.length === 0) return undefined;
  return await Promise.all(
    attachments.map(async (a) => ({
      name: a.name,
      contentType: a.contentType,
      size: a.size,
      url: await ctx.storage.getUrl(a.storageId),
    })),
  );
}

/** Deletes an attachment's row and file (a thread's deletion, or an upload never sent). */
export async function deleteAttachment(ctx: MutationCtx, row: Doc<"attachments">): Promise<void> {
  if (await ctx.db.system.get(row.storageId)) await ctx.storage.delete(row.storageId);
  await ctx.db.delete("attachments", row._id);
}
