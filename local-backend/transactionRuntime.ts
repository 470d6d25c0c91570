// The globals a query or mutation sees, as the Convex isolate gives them
// (get-convex/convex-backend crates/isolate/src/environment/udf/mod.rs):
// - `Date.now()` and `new Date()` are frozen at the start of the function (phase.unix_timestamp);
// - `Math.random`, `crypto.getRandomValues` and `crypto.randomUUID` draw from a generator
//   seeded once per run (phase.rng; ops/crypto.rs, ops/random.rs);
// - async operations (`fetch`, `setTimeout`, `setInterval`) and anything that needs
//   cryptographic randomness (`crypto.subtle.generateKey`, RSA-OAEP encryption, RSA-PSS
//   and ECDSA signatures: ops/subtle_crypto/mod.rs crypto_rng) fail with the deployment's
//   `not_allowed_in_udf` message.
//
// `applyTransactionRuntime()` is called at the start of each query or mutation handler,
// inside convex-test's per-call globals scope: assigning a global there replaces it for
// that call only (convex-test's documented isolation of handler globals).
import { randomBytes } from "node:crypto";

/** crates/isolate/src/environment/udf/mod.rs not_allowed_in_udf */
export function notAllowedInQueriesOrMutations(description: string): Error {
  return new Error(
    `Can't use ${description} in queries and mutations. Please consider using an action. See https://docs.convex.dev/functions/actions for more details.`,
  );
}

/** ops/crypto.rs op_crypto_get_random_values */
const MAX_RANDOM_BYTES = 65536;

/** sfc32: a small seeded generator (the isolate uses ChaCha12; only "seeded per run" matters here). */
function seededGenerator(): () => number {
  const seed = randomBytes(16);
  let a = seed.readUInt32LE(0);
  let b = seed.readUInt32LE(4);
  let c = seed.readUInt32LE(8);
  let d = seed.readUInt32LE(12);
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

function frozenDate(RealDate: DateConstructor, at: number): DateConstructor {
  return new Proxy(RealDate, {
    construct(target, args, newTarget) {
      return Reflect.construct(target, args.length === 0 ? [at] : args, newTarget);
    },
    apply() {
      return new RealDate(at).toString();
    },
    get(target, prop, receiver) {
      if (prop === "now") return () => at;
      return Reflect.get(target, prop, receiver);
    },
  });
}

const RSA_OAEP = "RSA-OAEP";
const RANDOMIZED_SIGNATURES = new Set(["RSA-PSS", "ECDSA"]);
const algorithmName = (a: unknown) =>
  (typeof a === "string" ? a : ((a as { name?: string } | null)?.name ?? "")).toUpperCase();

function seededCrypto(realCrypto: Crypto, next: () => number): Crypto {
  const randomByte = () => Math.floor(next() * 256);
  const getRandomValues = <T extends ArrayBufferView | null>(array: T): T => {
    if (
      !array ||
      !ArrayBuffer.isView(array) ||
      array instanceof Float32Array ||
      array instanceof Float64Array ||
      array instanceof DataView
    ) {
      throw new TypeError("Failed to execute 'getRandomValues' on 'Crypto': parameter 1 is not an integer typed array");
    }
    if (array.byteLength > MAX_RANDOM_BYTES) {
      throw new TypeError(
        `Byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (${MAX_RANDOM_BYTES})`,
      );
    }
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    for (let i = 0; i < bytes.length; i++) bytes[i] = randomByte();
    return array;
  };
  const randomUUID = () => {
    const b = getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` as `${string}-${string}-${string}-${string}-${string}`;
  };
  const realSubtle = realCrypto.subtle;
  const refused = () => Promise.reject(notAllowedInQueriesOrMutations("cryptographic randomness"));
  const subtle = new Proxy(realSubtle, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== "function") return value;
      const method = value.bind(target) as (...a: unknown[]) => Promise<unknown>;
      if (prop === "generateKey") return refused;
      if (prop === "encrypt")
        return (alg: unknown, ...rest: unknown[]) =>
          algorithmName(alg) === RSA_OAEP ? refused() : method(alg, ...rest);
      if (prop === "sign")
        return (alg: unknown, ...rest: unknown[]) =>
          RANDOMIZED_SIGNATURES.has(algorithmName(alg)) ? refused() : method(alg, ...rest);
      return method;
    },
  });
  return { getRandomValues, randomUUID, subtle } as unknown as Crypto;
}

/** Replace this call's globals with the query/mutation ones (see the header). */
export function applyTransactionRuntime(): void {
  const g = globalThis as unknown as Record<string, unknown>;
  const RealDate = g.Date as DateConstructor;
  g.Date = frozenDate(RealDate, RealDate.now());
  const next = seededGenerator();
  g.Math = Object.create(Math, { random: { value: next, enumerable: false } });
  g.crypto = seededCrypto(g.crypto as Crypto, next);
  // crates/isolate/src/environment/async_op.rs description_for_error
  g.fetch = () => Promise.reject(notAllowedInQueriesOrMutations("fetch()"));
  g.setTimeout = () => {
    throw notAllowedInQueriesOrMutations("setTimeout");
  };
  g.setInterval = () => {
    throw notAllowedInQueriesOrMutations("setInterval");
  };
  // Nothing can have been scheduled, so clearing is a harmless no-op.
  g.clearTimeout = () => {};
  g.clearInterval = () => {};
}
