// Proof of work for a new visitor's first message (convex/lib/pow.ts): the warm-up answer
// (`GET {site}/chat-stream`, src/reply/warm.ts) carries a signed challenge, which the page solves
// while the visitor types, so the first POST carries its solution and waits for nothing. ALTCHA's
// v2 check with the browser's own PBKDF2 (Web Crypto, as fast per try as a script's native code):
// try counters from 0 up until the derived key starts with the prefix. Kept to a few hundred bytes:
// it rides in the chat's chunk. Only a page with no visitor token solves anything.
import type { PowChallenge } from "../../convex/lib/chatProtocol.js";
import { challengeFor } from "./warm.js";

const solving = new Map<string, Promise<string | null>>();

const bytes = (hex: string) => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));

/** The solution to `challenge` as `pow` carries it (JSON `PowPayload`), or null. */
export async function solve(challenge: PowChallenge | null): Promise<string | null> {
  const p = challenge?.parameters;
  if (!p?.algorithm.startsWith("PBKDF2/")) return null;
  const nonce = bytes(p.nonce);
  const password = new Uint8Array(nonce.length + 4);
  password.set(nonce);
  const kdf = { name: "PBKDF2", salt: bytes(p.salt), iterations: p.cost, hash: p.algorithm.slice(7) };
  for (let counter = 0; counter < 1e7; counter++) {
    new DataView(password.buffer).setUint32(nonce.length, counter);
    const key = await crypto.subtle.importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
    const bits = new Uint8Array(await crypto.subtle.deriveBits(kdf, key, p.keyLength * 8));
    const derivedKey = Array.from(bits, (b) => b.toString(16).padStart(2, "0")).join("");
    if (derivedKey.startsWith(p.keyPrefix)) return JSON.stringify({ challenge, solution: { counter, derivedKey } });
  }
  return null;
}

/** Starts solving the deployment's newest challenge for `siteUrl` in the background (once). */
export function prepareProofOfWork(siteUrl: string): void {
  if (!solving.has(siteUrl))
    solving.set(
      siteUrl,
      challengeFor(siteUrl).then(solve, () => null),
    );
}

/**
 * The solution a new visitor's POST carries, or null when the deployment asks for none. Each mints
 * once, so each is handed out once. (One solved more than 10 minutes before the send has expired:
 * the deployment answers HUMAN_CHECK_FAILED, and sending again solves a new one.)
 */
export async function takeProofOfWork(siteUrl: string): Promise<string | null> {
  prepareProofOfWork(siteUrl);
  const solved = solving.get(siteUrl)!;
  solving.delete(siteUrl);
  return await solved;
}
