// The widget's proof-of-work solver (src/reply/pow.ts) against ALTCHA's own library, which the
// deployment signs and verifies with (convex/lib/pow.ts): what the page sends must verify.
import { expect } from "@open-wc/testing";
import { createChallenge, verifySolution } from "altcha-lib";
import { deriveKey } from "altcha-lib/algorithms/web/pbkdf2";
import type { PowChallenge, PowPayload } from "../../convex/lib/chatProtocol.js";
import { solve } from "../../src/reply/pow.js";

const KEY = "k".repeat(43);

async function challenge(counter: number, cost = 1000) {
  return await createChallenge({
    algorithm: "PBKDF2/SHA-256",
    cost,
    counter,
    deriveKey,
    hmacSignatureSecret: KEY,
    expiresAt: Math.floor(Date.now() / 1000) + 600,
  });
}

describe("proof-of-work solver", () => {
  it("finds the counter a signed challenge hides, and the deployment's verifier accepts it", async () => {
    const signed = await challenge(37, 10);
    const payload = JSON.parse((await solve(signed as PowChallenge))!) as PowPayload;
    expect(payload.solution.counter).to.equal(37);
    const result = await verifySolution({ ...payload, deriveKey, hmacSignatureSecret: KEY });
    expect(result.verified).to.equal(true);
  });

  it("solves the default challenge's worst case (1,000 iterations × 1,000 numbers) in a few seconds at most", async () => {
    const signed = await challenge(999);
    const started = performance.now();
    const payload = JSON.parse((await solve(signed as PowChallenge))!) as PowPayload;
    const ms = performance.now() - started;
    console.log(`proof of work, worst case of the defaults: ${Math.round(ms)} ms in Chromium`);
    expect(payload.solution.counter).to.equal(999);
    expect(ms).to.be.below(5000);
  });

  it("answers null for anything but a PBKDF2 challenge (an older or odd deployment)", async () => {
    expect(await solve(null)).to.equal(null);
    const sha = {
      parameters: { algorithm: "SHA-256", nonce: "00", salt: "00", cost: 1, keyLength: 32, keyPrefix: "00" },
    };
    expect(await solve(sha)).to.equal(null);
  });
});
