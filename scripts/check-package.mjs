// `npm run check:package` (a step of `npm test`, after the build): the package as `npm pack` leaves
// it, checked the way users' tools check it. publint reads package.json against the tarball's
// files (an `exports` target or `types` file that is not packed is an error); arethetypeswrong
// resolves every module entry as TypeScript does under node16 ESM and bundler resolution and
// fails on an entry without types. Both read the same tarball the consumer test installs.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { publint } from "publint";
import { formatMessage } from "publint/utils";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Packs the package into `dest` as `npm pack` would, without its `prepack` build (the caller built
 * it: the tests run after `npm run build`). Returns the tarball's path and the files in it.
 * @param {string} dest
 * @returns {{ tarball: string, files: string[], size: number, unpackedSize: number }}
 */
export function packTarball(dest) {
  const r = spawnSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dest], {
    cwd: root,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`npm pack failed (exit ${r.status}):\n${r.stderr}`);
  const [info] = JSON.parse(r.stdout);
  return {
    tarball: join(dest, info.filename),
    files: info.files.map((/** @type {{ path: string }} */ f) => f.path).sort(),
    size: info.size,
    unpackedSize: info.unpackedSize,
  };
}

/**
 * The exports that are files rather than modules (script tags, JSON): a string target instead of
 * `{ types, import }`. They have no types by design, so arethetypeswrong skips them; every other
 * entry, today's and any added later (e.g. `./convex.config`), must resolve with types.
 * @param {Record<string, unknown>} exportsMap
 */
export function fileExports(exportsMap) {
  return Object.entries(exportsMap)
    .filter(([, target]) => typeof target === "string")
    .map(([entry]) => entry);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (!existsSync(join(root, "dist/ai-chat-stream.js"))) {
    console.error("✗ dist/ has no ES build: run `npm run build` first (npm test does).");
    process.exit(1);
  }
  const dir = mkdtempSync(join(tmpdir(), "ai-chat-pack-"));
  let failed = false;
  try {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    const { tarball, files, size } = packTarball(dir);
    console.log(`${tarball.split("/").pop()}: ${files.length} files, ${(size / 1024).toFixed(0)} KB`);

    // Given the tarball, publint lints what is in it (its package/ folder), not the checkout.
    const { messages } = await publint({ pack: { tarball: readFileSync(tarball).buffer }, strict: true });
    for (const message of messages) console.error(`publint ${message.type}: ${formatMessage(message, pkg)}`);
    if (messages.length) failed = true;
    else console.log("✓ publint (strict): no errors, warnings or suggestions");

    // esm-only: the package has no `require` condition, so node10 and node16-from-CommonJS
    // resolution are out of scope; node16 ESM and bundler resolution must find types.
    const attw = spawnSync(
      "npx",
      [
        "attw",
        tarball,
        "--profile",
        "esm-only",
        "--format",
        "table-flipped",
        "--no-emoji",
        "--no-color",
        "--exclude-entrypoints",
        ...fileExports(pkg.exports),
      ],
      { cwd: root, stdio: "inherit" },
    );
    if (attw.status !== 0) failed = true;
    else console.log("✓ arethetypeswrong (esm-only): every module entry has types");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (failed) process.exit(1);
}
