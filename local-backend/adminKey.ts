// The deployment's admin key, as `npx convex dev --local` keeps one: generated at first
// start, stored in the data folder (readable only by its owner), and required for Admin
// `Authenticate` on the sync socket, `Authorization: Convex <key>` on /api, and the admin
// endpoints codegen calls. Without it, any page could impersonate any identity.
import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const FILE = "admin_key";

/** crates/authentication/src/application_auth.rs */
export const BAD_ADMIN_KEY = "The provided admin key was invalid for this instance";

export function newAdminKey(): string {
  return `local-backend|${randomBytes(32).toString("hex")}`;
}

/** The key in `<dataDir>/admin_key`, created on first use. */
export function loadOrCreateAdminKey(dataDir: string): { key: string; file: string; created: boolean } {
  const file = path.join(dataDir, FILE);
  if (existsSync(file)) {
    const key = readFileSync(file, "utf8").trim();
    if (key) return { key, file, created: false };
  }
  mkdirSync(dataDir, { recursive: true });
  const key = newAdminKey();
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, file, created: true };
}

/** Constant-time comparison of a presented key with the deployment's. */
export function isAdminKey(presented: unknown, key: string): boolean {
  if (typeof presented !== "string") return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(key);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `Authorization: Convex <key>` (how the CLI and ConvexHttpClient.setAdminAuth send it). */
export function adminKeyFromHeader(header: string | undefined): string | null {
  const m = header ? /^Convex\s+(.+)$/.exec(header) : null;
  return m ? m[1].trim() : null;
}
