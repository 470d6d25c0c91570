// @vitest-environment node
// Attachments (convex/lib/attachments.ts): POST /chat-upload checks the size and the bytes' type
// before anything is stored, uploads are the visitor's own and limited, a prompt takes them
// (messages:send and the one-request POST /chat-stream), readers with access see them, and a
// deleted thread or an upload never sent takes its files with it.
import { afterEach, describe, expect, test, vi } from "vitest";
import { api, internal } from "../../convex/_generated/api";
import { CHAT_REPLY_HEADER, parseReplyHeader } from "../../convex/lib/chatProtocol";
import { bytesMatchType } from "../../convex/lib/attachments";
import { expectCode, newThread, operatorSession, restoreEnv, setEnv, setup, type T } from "./setup";

afterEach(() => {
  restoreEnv();
  vi.useRealTimers();
});

/** A 1×1 PNG's first bytes (the signature and the IHDR chunk's start). */
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
const GIF = new TextEncoder().encode("GIF89a\x01\x00\x01\x00");

async function upload(
  t: T,
  token: string | null,
  body: Uint8Array<ArrayBuffer> | string,
  type: string,
  name = "shot.png",
) {
  const res = await t.fetch("/chat-upload", {
    method: "POST",
    headers: {
      "Content-Type": type,
      "X-File-Name": encodeURIComponent(name),
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body,
  });
  return { status: res.status, json: (await res.json()) as Record<string, string | number> };
}

const storedFiles = (t: T) => t.run(async (ctx) => (await ctx.db.system.query("_storage").collect()).length);
const rows = (t: T) => t.run(async (ctx) => await ctx.db.query("attachments").collect());

describe("POST /chat-upload", () => {
  test("stores a file whose bytes are its type; a prompt takes it and every reader sees it", async () => {
    const t = setup();
    const { threadId, token } = await newThread(t);
    const up = await upload(t, token, PNG, "image/png", "C:\\Users\\ada\\My shot.png");
    expect(up.status).toBe(200);
    expect(up.json).toMatchObject({ name: "My shot.png", contentType: "image/png", size: PNG.length });
    const { userMessageId } = await t.mutation(api.messages.send, {
      threadId,
      token,
      prompt: "",
      attachments: [up.json.attachmentId as string],
    });
    const [user] = await t.query(api.messages.list, { threadId, token });
    expect(user!._id).toBe(userMessageId);
    expect(user!.attachments).toEqual([
      { name: "My shot.png", contentType: "image/png", size: PNG.length, url: expect.any(String) },
    ]);
    const [row] = await rows(t);
    expect(row!.messageId).toBe(userMessageId);
    // Observers and operators read it too; a stranger reads nothing.
    const { observerToken } = await t.mutation(api.threads.share, { threadId, token });
    const operator = await operatorSession(t);
    for (const reader of [observerToken, operator]) {
      const [seen] = await t.query(api.messages.live, { threadId, token: reader });
      expect(seen!.attachments).toEqual(user!.attachments);
    }
    const stranger = await newThread(t);
    await expectCode(t.query(api.messages.list, { threadId, token: stranger.token }), "UNAUTHORIZED");
  });

  test("FILE_TOO_LARGE over MAX_FILE_BYTES, FILE_TYPE_NOT_ALLOWED by declared type or by bytes: nothing stored", async () => {
    setEnv({ MAX_FILE_BYTES: "64" });
    const t = setup();
    const { token } = await newThread(t);
    const big = new Uint8Array(100);
    big.set(PNG);
    const tooLarge = await upload(t, token, big, "image/png");
    expect(tooLarge).toEqual({
      status: 413,
      json: { code: "FILE_TOO_LARGE", message: "the file is over 64 bytes; the limit is 64 bytes per file", limit: 64 },
    });
    const svg = await upload(t, token, "<svg/>", "image/svg+xml");
    expect(svg.status).toBe(415);
    expect(svg.json.code).toBe("FILE_TYPE_NOT_ALLOWED");
    expect(svg.json.message).toMatch(/^image\/svg\+xml files are not accepted; allowed: image\/png, /);
    // A GIF (or a script) declared as PNG: the browser's word is not taken.
    const lie = await upload(t, token, GIF, "image/png");
    expect(lie.status).toBe(415);
    expect(lie.json).toMatchObject({
      code: "FILE_TYPE_NOT_ALLOWED",
      message: expect.stringMatching(/^the file's bytes are not image\/png/),
    });
    expect(await storedFiles(t)).toBe(0);
    expect(await rows(t)).toEqual([]);
  });

  test("a visitor token is needed, uploads are rate-limited per visitor, and one's uploads are not another's", async () => {
    setEnv({ RATE_LIMIT_UPLOADS_PER_MINUTE: "1" });
    const t = setup();
    const a = await newThread(t);
    const b = await newThread(t);
    expect((await upload(t, null, PNG, "image/png")).status).toBe(401);
    expect((await upload(t, "x".repeat(43), PNG, "image/png")).json.code).toBe("UNAUTHORIZED");
    const first = await upload(t, a.token, PNG, "image/png");
    expect(first.status).toBe(200);
    const second = await upload(t, a.token, PNG, "image/png");
    expect(second.status).toBe(429);
    expect(second.json.code).toBe("RATE_LIMITED");
    await expectCode(
      t.mutation(api.messages.send, {
        threadId: b.threadId,
        token: b.token,
        prompt: "mine?",
        attachments: [first.json.attachmentId as string],
      }),
      "NOT_FOUND",
    );
  });

  test("TOO_MANY_FILES past MAX_FILES_PER_MESSAGE, naming the limit; nothing sent", async () => {
    setEnv({ MAX_FILES_PER_MESSAGE: "2" });
    const t = setup();
    const { threadId, token } = await newThread(t);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await upload(t, token, GIF, "image/gif")).json.attachmentId as string);
    const data = await expectCode(
      t.mutation(api.messages.send, { threadId, token, prompt: "three", attachments: ids }),
      "TOO_MANY_FILES",
    );
    expect(data.message).toBe("3 files attached; the limit is 2 per message");
    expect(await t.query(api.messages.list, { threadId, token })).toEqual([]);
  });

  test("the one-request POST /chat-stream sends attachments with the prompt", async () => {
    setEnv({ DEMO_TOKEN_DELAY_MS: "0" });
    const t = setup();
    const { threadId, token } = await newThread(t);
    const up = await upload(t, token, "hello, file", "text/plain", "notes.txt");
    const res = await t.fetch("/chat-stream", {
      method: "POST",
      headers: { "Content-Type": "text/plain" },
      body: JSON.stringify({ prompt: "read this", threadId, token, attachments: [up.json.attachmentId] }),
    });
    expect(res.status).toBe(200);
    const reply = parseReplyHeader(res.headers.get(CHAT_REPLY_HEADER))!;
    const text = await res.text();
    // The demo model names what it was sent.
    expect(text).toContain("notes.txt");
    const [user] = await t.query(api.messages.list, { threadId, token });
    expect(user!._id).toBe(reply.userMessageId);
    expect(user!.attachments?.[0]).toMatchObject({ name: "notes.txt", contentType: "text/plain", size: 11 });
  });

  test("deleting a thread deletes its files; an upload never sent is deleted after a day", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const t = setup();
    const { threadId, token } = await newThread(t);
    const sent = await upload(t, token, PNG, "image/png");
    await t.mutation(api.messages.send, {
      threadId,
      token,
      prompt: "x",
      attachments: [sent.json.attachmentId as string],
    });
    await upload(t, token, GIF, "image/gif");
    expect(await storedFiles(t)).toBe(2);
    await t.mutation(api.threads.remove, { threadId, token });
    await t.finishAllScheduledFunctions(() => vi.runAllTimers());
    expect(await storedFiles(t)).toBe(1);
    await t.mutation(internal.cleanup.run, {});
    expect(await storedFiles(t)).toBe(1); // not a day old yet
    vi.advanceTimersByTime(24 * 60 * 60 * 1000 + 1);
    await t.mutation(internal.cleanup.run, {});
    expect(await storedFiles(t)).toBe(0);
    expect(await rows(t)).toEqual([]);
  });
});

test("bytesMatchType: magic numbers, and text is UTF-8 without control bytes", () => {
  expect(bytesMatchType(PNG, "image/png")).toBe(true);
  expect(bytesMatchType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]), "image/jpeg")).toBe(true);
  expect(bytesMatchType(new TextEncoder().encode("RIFF\0\0\0\0WEBPVP8 "), "image/webp")).toBe(true);
  expect(bytesMatchType(new TextEncoder().encode("%PDF-1.7"), "application/pdf")).toBe(true);
  expect(bytesMatchType(GIF, "image/gif")).toBe(true);
  expect(bytesMatchType(new TextEncoder().encode("naïve\ttext\r\n"), "text/plain")).toBe(true);
  expect(bytesMatchType(new Uint8Array([0x68, 0x00]), "text/plain")).toBe(false);
  expect(bytesMatchType(new Uint8Array([0xc3, 0x28]), "text/plain")).toBe(false);
  expect(bytesMatchType(PNG, "image/jpeg")).toBe(false);
});
