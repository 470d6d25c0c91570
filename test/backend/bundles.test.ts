// @vitest-environment node
// Each function module is bundled as the Convex CLI bundles it for the default runtime (esbuild,
// platform browser, ESM, everything it imports included). The AI SDK (~2 MB) belongs only in the
// HTTP action's bundle: a query or mutation module that pulls it in pays for it on every cold start.
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, test } from "vitest";

const CONVEX = fileURLToPath(new URL("../../convex/", import.meta.url));
/** Files the CLI does not push as function modules. */
const NOT_FUNCTIONS = new Set(["schema.ts", "convex.config.ts"]);
const AI_SDK = /node_modules\/(ai|@ai-sdk\/[^/]+)\//;

const modules = readdirSync(CONVEX).filter((f) => /^[^.]+\.ts$/.test(f) && !NOT_FUNCTIONS.has(f));

async function sdkInputs(file: string): Promise<string[]> {
  const result = await build({
    entryPoints: [path.join(CONVEX, file)],
    bundle: true,
    platform: "browser",
    format: "esm",
    write: false,
    metafile: true,
    logLevel: "silent",
    conditions: ["convex", "module"],
  });
  return Object.keys(result.metafile.inputs).filter((input) => AI_SDK.test(input));
}

describe("function bundles", () => {
  test("the list of function modules is the app's", () => {
    expect(modules).toEqual(expect.arrayContaining(["chat.ts", "messages.ts", "threads.ts", "http.ts"]));
  });

  test.each(modules.filter((f) => f !== "http.ts"))("%s does not bundle the AI SDK", async (file) => {
    expect(await sdkInputs(file)).toEqual([]);
  });

  test("http.ts, the HTTP action, does (so the check above can see it)", async () => {
    expect((await sdkInputs("http.ts")).length).toBeGreaterThan(0);
  });
});
