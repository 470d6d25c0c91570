// The local backend refuses values, documents and transactions a deployment refuses, with
// the deployment's wording (local-backend/limits.ts, convex-test's transaction limits).
import { anyApi } from "convex/server";
import { describe, expect, test } from "vitest";
import { LocalBackendError, startLocalBackend } from "../../local-backend/index.js";
import { FIXTURE_CONVEX, nodeClient, tempDir, useFixture, waitForValue } from "./helpers.js";

const api = anyApi;
const { fx, http } = useFixture();

const insert = (kind: string) => http().mutation(api.limits.insert, { kind });

describe("document limits", () => {
  test("a document exactly at the array, nesting and field limits is stored", async () => {
    await expect(insert("atLimits")).resolves.toBeNull();
  });

  test("a document over 1 MiB is refused", async () => {
    await expect(insert("tooBig")).rejects.toThrow(/Value is too large \(1(\.\d+)? MiB > maximum size 1 MiB\)/);
  });

  test("an object with more than 1,024 fields is refused", async () => {
    await expect(insert("tooManyFields")).rejects.toThrow("Object has too many fields (1025 > maximum number 1024)");
  });

  test("a document nested more than 16 levels is refused", async () => {
    await expect(insert("tooDeep")).rejects.toThrow(
      "Document is too nested (nested 17 levels deep > maximum nesting 16)",
    );
  });

  test("an array of more than 8,192 elements is refused", async () => {
    await expect(insert("arrayTooLong")).rejects.toThrow("Array length is too long (8193 > maximum length 8192)");
  });

  test("a top-level field starting with _ is refused", async () => {
    await expect(insert("underscoreField")).rejects.toThrow(
      "Field '_secret' starts with an underscore, which is only allowed for system fields like '_id'",
    );
  });

  test("a string with an unpaired surrogate is refused", async () => {
    await expect(insert("unpairedSurrogate")).rejects.toThrow(/String contains an unpaired surrogate/);
  });

  test("field names follow Convex's rules (no leading $)", async () => {
    await expect(http().mutation(api.limits.echo, { value: { $bad: 1 } })).rejects.toThrow(
      /starts with a '\$', which is reserved/,
    );
  });
});

describe("function values", () => {
  test("arguments over 16 MiB are refused", async () => {
    await expect(http().action(api.limits.sendBigArguments, {})).rejects.toThrow(
      /Arguments for limits:echo are too large \(actual: 16(\.\d+)? MiB, limit: 16 MiB\)/,
    );
  });

  test("a return value over 16 MiB is refused", async () => {
    await expect(http().query(api.limits.bigResult, {})).rejects.toThrow(
      /Function limits:bigResult return value is too large \(actual: 17(\.\d+)? MiB, limit: 16 MiB\)/,
    );
  });

  test("arguments with an unpaired surrogate are refused", async () => {
    await expect(http().mutation(api.limits.echo, { value: "\udc00" })).rejects.toThrow(
      /String contains an unpaired surrogate/,
    );
  });
});

describe("transaction limits", () => {
  test("more than 16,000 documents written in one mutation is refused", async () => {
    await expect(http().mutation(api.limits.insertMany, { table: "small", n: 16_001 })).rejects.toThrow(
      "Too many writes in a single function execution (limit: 16000)",
    );
  });

  test("more than 16 MiB written in one mutation is refused", async () => {
    await expect(http().mutation(api.limits.insertMany, { table: "big", n: 17, size: 1_000_000 })).rejects.toThrow(
      "Too many bytes written in a single function execution (limit: 16 MiB)",
    );
  });

  test("more than 4,096 index ranges read in one query is refused", async () => {
    await http().mutation(api.limits.insertMany, { table: "small", n: 1 });
    await expect(http().query(api.limits.getMany, { n: 4_096 })).rejects.toThrow(
      "Too many reads in a single function execution (limit: 4096)",
    );
  });

  test("each subscribed query has its own budget, as on a deployment", async () => {
    // 3,000 + 3,001 index ranges: over 4,096 if one connection's queries shared a transaction's budget.
    await http().mutation(api.limits.insertMany, { table: "small", n: 1 });
    const client = nodeClient(fx().backend.convexUrl);
    try {
      const results = await Promise.all(
        [3_000, 3_001].map((n) =>
          waitForValue<number>(
            (cb) => client.onUpdate(api.limits.getMany, { n }, cb),
            () => true,
          ),
        ),
      );
      expect(results).toEqual([3_000, 3_001]);
    } finally {
      await client.close();
    }
  });

  test("more than 16 MiB read in one query is refused", async () => {
    for (let i = 0; i < 2; i++) await http().mutation(api.limits.insertMany, { table: "big", n: 9, size: 1_000_000 });
    await expect(http().query(api.limits.scanAll, { table: "big" })).rejects.toThrow(
      "Too many bytes read in a single function execution (limit: 16777216 bytes)",
    );
  });

  test("more than 32,000 documents scanned in one query is refused", async () => {
    for (let i = 0; i < 3; i++) await http().mutation(api.limits.insertMany, { table: "small", n: 11_000 });
    await expect(http().query(api.limits.scanAll, { table: "small" })).rejects.toThrow(
      "Too many documents read in a single function execution (limit: 32000)",
    );
  });

  test("more than 1,000 functions scheduled by one mutation is refused", async () => {
    await expect(http().mutation(api.limits.scheduleMany, { n: 1_001 })).rejects.toThrow(
      "Too many functions scheduled by this mutation (limit: 1000)",
    );
  });
});

describe("environment variables", () => {
  test("a name over 40 characters is refused at start", async () => {
    const name = "A".repeat(41);
    const err = await startLocalBackend({
      port: 0,
      convexDir: FIXTURE_CONVEX,
      dataDir: tempDir(),
      quiet: true,
      env: { [name]: "x" },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalBackendError);
    expect((err as Error).message).toMatch(/environment variable name A{41} is too long \(41 characters\)/);
  });

  test("a value over 8 KiB is refused at start", async () => {
    const err = await startLocalBackend({
      port: 0,
      convexDir: FIXTURE_CONVEX,
      dataDir: tempDir(),
      quiet: true,
      env: { BIG: "x".repeat(8193) },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalBackendError);
    expect((err as Error).message).toMatch(/environment variable value of BIG is 8193 bytes, which is too large/);
  });
});
