// Clear one-line errors for the common ways starting a backend fails.
import { execFile } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { LocalBackendError, startLocalBackend } from "../../local-backend/index.js";
import { FIXTURE_CONVEX, startFixture, tempDir } from "./helpers.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, "node_modules/tsx/dist/cli.mjs"), "local-backend/cli.ts", ...args],
      { cwd: ROOT, timeout: 20_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe("startup errors", () => {
  test("port already in use", async () => {
    const fx = await startFixture();
    try {
      const port = Number(new URL(fx.backend.convexUrl).port);
      const err = await startLocalBackend({ port, convexDir: FIXTURE_CONVEX, dataDir: tempDir(), quiet: true }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(LocalBackendError);
      expect((err as Error).message).toBe(
        `port ${port} is already in use (another backend running? pick one with --port or BACKEND_PORT)`,
      );
    } finally {
      await fx.cleanup();
    }
  });

  test("missing convex folder", async () => {
    const missing = path.join(tempDir(), "convex");
    const err = await startLocalBackend({ port: 0, convexDir: missing, quiet: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LocalBackendError);
    expect((err as Error).message).toBe(`no Convex functions folder at ${missing} (pass --convex-dir)`);
  });

  test("a function file that throws at import names the file and the cause", async () => {
    const dir = tempDir();
    dirs.push(dir);
    const convexDir = path.join(dir, "convex");
    mkdirSync(convexDir);
    writeFileSync(path.join(convexDir, "ok.ts"), "export const x = 1;\n");
    writeFileSync(path.join(convexDir, "broken.ts"), 'throw new Error("OPENAI_KEY missing at import");\nexport {};\n');
    const err = await startLocalBackend({ port: 0, convexDir, dataDir: path.join(dir, "data"), quiet: true }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LocalBackendError);
    expect((err as Error).message).toMatch(/^failed to load .*convex\/broken\.ts: OPENAI_KEY missing at import$/);
  });

  test("the CLI prints one error line and exits 1", async () => {
    const r = await runCli(["--port", "0", "--convex-dir", "/nonexistent/convex"]);
    expect(r.code).toBe(1);
    const lines = r.stderr.split("\n").filter((l) => l.trim() && !l.startsWith("npm warn"));
    expect(lines).toEqual([
      "local-backend: error: no Convex functions folder at /nonexistent/convex (pass --convex-dir)",
    ]);
  });

  test("the CLI prints CONVEX_URL and CONVEX_SITE_URL", async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const { spawn } = await import("node:child_process");
    const child = spawn(
      process.execPath,
      [
        path.join(ROOT, "node_modules/tsx/dist/cli.mjs"),
        "local-backend/cli.ts",
        "--port",
        "0",
        "--data",
        dataDir,
        "--convex-dir",
        FIXTURE_CONVEX,
        "--quiet",
      ],
      { cwd: ROOT },
    );
    try {
      const out = await new Promise<string>((resolve, reject) => {
        let buf = "";
        const timer = setTimeout(() => reject(new Error(`no URLs printed: ${buf}`)), 20_000);
        child.stdout.on("data", (d: Buffer) => {
          buf += d.toString();
          if (buf.includes("CONVEX_SITE_URL=")) {
            clearTimeout(timer);
            resolve(buf);
          }
        });
        child.once("exit", (code) => reject(new Error(`exited ${code}: ${buf}`)));
      });
      const url = /CONVEX_URL=(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      expect(url).toBeDefined();
      expect(out).toMatch(/CONVEX_SITE_URL=http:\/\/127\.0\.0\.1:\d+/);
      const res = await fetch(`${url}/api/query`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ path: "notes:list", args: {}, format: "json" }),
      });
      expect(await res.json()).toMatchObject({ status: "success", value: [] });
    } finally {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
    }
  });
});
