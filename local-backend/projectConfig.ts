// Where the app's functions are, as the Convex CLI finds them: `convex.json`'s `functions`
// (relative to the project folder), else `convex/`.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

export function functionsDir(projectDir: string): string {
  const config = path.join(projectDir, "convex.json");
  if (existsSync(config)) {
    const functions = (JSON.parse(readFileSync(config, "utf8")) as { functions?: unknown }).functions;
    if (typeof functions === "string" && functions.trim() !== "") return path.resolve(projectDir, functions);
  }
  return path.resolve(projectDir, "convex");
}
