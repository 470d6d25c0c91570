// examples/host-app: an existing Convex app (its own `users` and `messages` tables, its own
// signed-in users through its JWT issuer) that adds the chat component in a few lines, on the
// local backend. A visitor chats through the component's routes under /chat/; the host's own
// tables stay its own; a signed-in member owns the threads they create; the host's admin is the
// chat's operator and sees every thread in the console's list; a member is not.
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CHAT_REPLY_HEADER, parseReplyHeader } from "../../convex/lib/chatProtocol.ts";
import { startLocalBackend, type LocalBackend } from "../../local-backend/index.ts";

const HOST_APP = fileURLToPath(new URL("../../examples/host-app/convex", import.meta.url));
const ISSUER = "https://auth.host-app.test";
const api = anyApi;

let backend: LocalBackend;
let dataDir: string;
let sign: (subject: string) => Promise<string>;
const clients: ConvexClient[] = [];

/** A ConvexClient signed in as `subject` through the host's issuer (none: signed out). */
async function client(subject?: string): Promise<ConvexClient> {
  const c = new ConvexClient(backend.convexUrl, {
    webSocketConstructor: WebSocket as unknown as typeof globalThis.WebSocket,
    logger: false,
  });
  clients.push(c);
  if (subject !== undefined) {
    const token = await sign(subject);
    const accepted = await new Promise<boolean>((resolve) => c.setAuth(async () => token, resolve));
    expect(accepted).toBe(true);
  }
  return c;
}

beforeAll(async () => {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" }] };
  sign = (subject) =>
    new SignJWT({})
      .setProtectedHeader({ alg: "RS256", kid: "k1", typ: "JWT" })
      .setIssuer(ISSUER)
      .setSubject(subject)
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(privateKey);
  dataDir = mkdtempSync(join(tmpdir(), "host-app-"));
  backend = await startLocalBackend({
    port: 0,
    convexDir: HOST_APP,
    dataDir,
    reset: true,
    quiet: true,
    env: {
      AUTH_JWT_ISSUER: ISSUER,
      AUTH_JWKS_URL: `data:application/json,${encodeURIComponent(JSON.stringify(jwks))}`,
      DEMO_TOKEN_DELAY_MS: "0",
      // These Node clients mint visitors without solving the proof of work the widget solves
      // (tested in test/backend/abuse.test.ts and test/browser/pow.test.ts): this test is the
      // component's wiring in a host app.
      PROOF_OF_WORK: "off",
    },
  });
});

afterAll(async () => {
  for (const c of clients) await c.close();
  await backend?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("a host app with its own users and messages, plus the chat component", () => {
  let visitorThread: string;

  test("a visitor chats through the component's routes under /chat/, as the widget does", async () => {
    const res = await fetch(`${backend.siteUrl}/chat/chat-stream`, {
      method: "POST",
      headers: { "Content-Type": "text/plain;charset=UTF-8", Origin: "http://shop.test" },
      body: JSON.stringify({ prompt: "Hello from the shop" }),
    });
    expect(res.status).toBe(200);
    const reply = parseReplyHeader(res.headers.get(CHAT_REPLY_HEADER));
    expect(reply?.token).toBeTruthy();
    expect((await res.text()).length).toBeGreaterThan(0);
    visitorThread = reply!.threadId;
    // The same site root has no chat routes: they are only under the mount.
    expect((await fetch(`${backend.siteUrl}/chat-stream`, { method: "POST", body: "{}" })).status).toBe(404);
    const visitor = await client();
    const messages = await visitor.query(api.messages.list, { threadId: visitorThread, token: reply!.token });
    expect(messages.map((m: { role: string }) => m.role)).toEqual(["user", "assistant"]);
  });

  test("the host's own users and messages tables are its own", async () => {
    const admin = await client("alice");
    const member = await client("bob");
    await admin.mutation(api.users.signUp, { name: "Alice" });
    await member.mutation(api.users.signUp, { name: "Bob" });
    expect(await admin.query(api.users.me, {})).toEqual({ name: "Alice", role: "admin" });
    expect(await member.query(api.users.me, {})).toEqual({ name: "Bob", role: "member" });
    await member.mutation(api.board.post, { body: "Shipping on Friday" });
    // The chat's messages (a prompt and a reply so far) are not in the host's `messages`.
    expect(await admin.query(api.board.list, {})).toEqual([{ author: "Bob", body: "Shipping on Friday" }]);
  });

  test("a signed-in member owns the threads they create, on any device", async () => {
    const member = await client("bob");
    const { threadId } = await member.mutation(api.threads.create, {});
    const mine = await member.query(api.threads.listMine, {});
    expect(mine.map((t: { _id: string }) => t._id)).toEqual([threadId]);
    expect((await member.query(api.threads.get, { threadId })).access).toBe("visitor");
    // Signed out, the same call has no identity and no token.
    await expect((await client()).query(api.threads.get, { threadId })).rejects.toThrow(/UNAUTHORIZED|access/);
  });

  test("the host's admin is the chat's operator: every thread; a member is refused", async () => {
    const paginationOpts = { numItems: 10, cursor: null };
    const admin = await client("alice");
    const page = await admin.query(api.operator.listThreads, { paginationOpts });
    expect(page.page.map((t: { _id: string }) => t._id)).toContain(visitorThread);
    expect((await admin.query(api.threads.get, { threadId: visitorThread })).access).toBe("operator");
    const member = await client("bob");
    await expect(member.query(api.operator.listThreads, { paginationOpts })).rejects.toThrow(/access/);
  });

  test("clients cannot call the component's functions directly", async () => {
    const http = new ConvexHttpClient(backend.convexUrl);
    await expect(http.query(anyApi["aiChat/threads"]!.listMine!, {})).rejects.toThrow();
  });
});
