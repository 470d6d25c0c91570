// File storage as a deployment offers it (local-backend/storage.ts): upload URLs and their
// tokens, the `_storage` system table, URLs serving the bytes, delete, and files on disk that
// survive a restart and go with --reset.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ConvexHttpClient } from "convex/browser";
import { anyApi } from "convex/server";
import { afterAll, describe, expect, test } from "vitest";
import { startFixture, tempDir, type Fixture } from "./helpers.js";

const api = anyApi;
const png = Buffer.from("89504e470d0a1a0a0000000d4948445200000001", "hex");

async function upload(http: ConvexHttpClient, body: Buffer | string, type?: string) {
  const url = (await http.mutation(api.files.uploadUrl, {})) as string;
  const res = await fetch(url, {
    method: "POST",
    body: typeof body === "string" ? body : new Uint8Array(body),
    headers: type ? { "content-type": type } : {},
  });
  return { url, res, json: (await res.json()) as { storageId?: string; code?: string; message?: string } };
}

describe("file storage", () => {
  const dataDir = tempDir();
  let fx: Fixture;
  let http: ConvexHttpClient;
  const start = async (reset = false) => {
    fx = await startFixture({ dataDir, reset });
    http = new ConvexHttpClient(fx.backend.convexUrl, { logger: false });
  };
  afterAll(async () => await fx.cleanup());

  test("an upload URL takes the bytes; _storage, getUrl and get show them as a deployment does", async () => {
    await start(true);
    const { url, res, json } = await upload(http, png, "image/png");
    expect(url).toMatch(new RegExp(`^${fx.backend.convexUrl}/api/storage/upload\\?token=`));
    expect(res.status).toBe(200);
    const id = json.storageId!;
    const meta = (await http.query(api.files.meta, { id })) as Record<string, unknown>;
    expect(meta).toMatchObject({
      _id: id,
      size: png.length,
      contentType: "image/png",
      sha256: createHash("sha256").update(png).digest("base64"),
    });
    expect((await http.query(api.files.list, {})) as unknown[]).toContainEqual(meta);

    const fileUrl = (await http.query(api.files.url, { id })) as string;
    // The blob's random key, not the (sequential) document ID.
    expect(fileUrl).toMatch(new RegExp(`^${fx.backend.convexUrl}/api/storage/[0-9a-f-]{36}$`));
    const got = await fetch(fileUrl);
    expect(got.status).toBe(200);
    expect(got.headers.get("content-type")).toBe("image/png");
    expect(got.headers.get("cache-control")).toBe("private, max-age=2592000");
    expect(got.headers.get("digest")).toBe(`sha-256=${meta.sha256 as string}`);
    expect(Buffer.from(await got.arrayBuffer())).toEqual(png);
    const part = await fetch(fileUrl, { headers: { range: "bytes=1-3" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 1-3/${png.length}`);
    expect(await part.text()).toBe("PNG");
    expect((await fetch(fileUrl, { headers: { range: "bytes=0-1,4-5" } })).status).toBe(416);
    const read = (await http.action(api.files.read, { id })) as { text: string; type: string };
    expect(read.type).toBe("image/png");
    expect(read.text.slice(1, 4)).toBe("PNG");
    // Not a key: the deployment's InvalidStoragePath.
    const bad = await fetch(`${fx.backend.convexUrl}/api/storage/${id}`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe("InvalidStoragePath");
  });

  test("an upload without a Content-Type has contentType null; ctx.storage.store keeps the blob's type", async () => {
    const { json } = await upload(http, Buffer.from("plain bytes"));
    expect(((await http.query(api.files.meta, { id: json.storageId! })) as { contentType: unknown }).contentType).toBe(
      null,
    );
    const id = (await http.action(api.files.store, { text: "hello", type: "text/plain" })) as string;
    expect(await http.query(api.files.meta, { id })).toMatchObject({ size: 5, contentType: "text/plain" });
    const res = await fetch((await http.query(api.files.url, { id })) as string);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(await res.text()).toBe("hello");
  });

  test("a token is reusable for an hour, then StorageTokenExpired; a forged one is StorageTokenInvalid", async () => {
    const url = (await http.mutation(api.files.uploadUrl, {})) as string;
    expect((await fetch(url, { method: "POST", body: "a" })).status).toBe(200);
    expect((await fetch(url, { method: "POST", body: "b" })).status).toBe(200);
    const forged = url.replace(/.$/, (c) => (c === "0" ? "1" : "0"));
    const refused = await fetch(forged, { method: "POST", body: "c" });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe("StorageTokenInvalid");
    await fx.backend.advanceTime(60 * 60 * 1000);
    const expired = await fetch(url, { method: "POST", body: "d" });
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({ code: "StorageTokenExpired", message: "Store File Authorization expired" });
  });

  test("delete: the row, the URL and the bytes go", async () => {
    const { json } = await upload(http, "to delete", "text/plain");
    const id = json.storageId!;
    const fileUrl = (await http.query(api.files.url, { id })) as string;
    await http.mutation(api.files.remove, { id });
    expect(await http.query(api.files.meta, { id })).toBeNull();
    expect(await http.query(api.files.url, { id })).toBeNull();
    expect(await http.action(api.files.read, { id })).toBeNull();
    const gone = await fetch(fileUrl);
    expect(gone.status).toBe(404);
    expect(((await gone.json()) as { code: string }).code).toBe("FileNotFound");
    await fx.backend.flush();
    const key = fileUrl.split("/").pop()!;
    expect(existsSync(path.join(dataDir, "storage", `${key}.blob`))).toBe(false);
  });

  test("files are kept in the data folder (not in db.json), survive a restart, and go with --reset", async () => {
    const big = Buffer.alloc(256 * 1024, 7);
    const { json } = await upload(http, big, "application/octet-stream");
    const id = json.storageId!;
    const before = (await http.query(api.files.url, { id })) as string;
    await fx.backend.stop();
    expect(readFileSync(path.join(dataDir, "db.json"), "utf8").length).toBeLessThan(big.length / 4);
    await start();
    const after = (await http.query(api.files.url, { id })) as string;
    expect(after).toBe(before.replace(/^http:\/\/[^/]+/, fx.backend.convexUrl));
    expect(Buffer.from(await (await fetch(after)).arrayBuffer())).toEqual(big);
    await fx.backend.stop();
    await start(true);
    expect(await http.query(api.files.meta, { id })).toBeNull();
    expect(existsSync(path.join(dataDir, "storage")) ? readdirSync(path.join(dataDir, "storage")) : []).toEqual([]);
  });
});

describe("a component's file storage", () => {
  test("an upload URL minted in a component stores the file in that component's storage, not the app's", async () => {
    const fx = await startFixture({ convexDir: fileURLToPath(new URL("./fixture-component/convex", import.meta.url)) });
    try {
      const http = new ConvexHttpClient(fx.backend.convexUrl, { logger: false });
      const url = (await http.mutation(api.app.chatUploadUrl, {})) as string;
      const res = await fetch(url, {
        method: "POST",
        body: "component bytes",
        headers: { "content-type": "text/plain" },
      });
      const { storageId } = (await res.json()) as { storageId: string };
      expect(await http.query(api.app.chatMeta, { storageId })).toEqual({ size: 15, contentType: "text/plain" });
      expect(await http.query(api.app.appMeta, { storageId })).toBeNull();
    } finally {
      await fx.cleanup();
    }
  });
});
