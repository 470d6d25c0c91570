// The standalone app on the local backend, attachments end to end over HTTP: a visitor uploads a
// PNG to the component's POST /chat-upload, sends it with POST /chat-stream, and the message's
// URL serves the bytes with their type from the component's own file storage, until the thread is
// deleted (storage.ts, convex/lib/attachments.ts).
import { fileURLToPath } from "node:url";
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startFixture, type Fixture } from "./helpers.js";

const APP = fileURLToPath(new URL("../../app", import.meta.url));
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture({ convexDir: APP, env: { PROOF_OF_WORK: "off", DEMO_TOKEN_DELAY_MS: "0" } });
});
afterAll(async () => await fx?.cleanup());

test("upload, send, read by URL, delete with the thread", async () => {
  const site = fx.backend.siteUrl;
  const minted = await fetch(`${site}/visitors`, { method: "POST", body: "{}" });
  expect(minted.status).toBe(200);
  const { token } = (await minted.json()) as { token: string };
  const up = await fetch(`${site}/chat-upload`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "image/png", "X-File-Name": "dot.png" },
    body: PNG,
  });
  expect(up.status).toBe(200);
  const { attachmentId } = (await up.json()) as { attachmentId: string };
  const sent = await fetch(`${site}/chat-stream`, {
    method: "POST",
    body: JSON.stringify({ prompt: "see?", token, attachments: [attachmentId] }),
  });
  expect(sent.status).toBe(200);
  const reply = await sent.text();
  expect(reply).toContain("You attached `dot.png (16 bytes)`.");
  const { threadId } = JSON.parse(sent.headers.get("X-Chat-Reply")!) as { threadId: string };

  const http = new ConvexHttpClient(fx.backend.convexUrl, { logger: false });
  const [user] = (await http.query(anyApi.messages.list, { threadId, token })) as {
    attachments?: { url: string; name: string }[];
  }[];
  const url = user!.attachments![0]!.url;
  expect(url).toMatch(new RegExp(`^${fx.backend.convexUrl}/api/storage/[0-9a-f-]{36}$`));
  const file = await fetch(url);
  expect(file.headers.get("content-type")).toBe("image/png");
  expect(new Uint8Array(await file.arrayBuffer())).toEqual(PNG);

  await http.mutation(anyApi.threads.remove, { threadId, token });
  await expect.poll(async () => (await fetch(url)).status, { timeout: 5000 }).toBe(404);
});
