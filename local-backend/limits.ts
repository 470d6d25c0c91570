// The value, document, argument and environment limits a deployment enforces, with its
// wording. Numbers from npm-packages/docs/docs/production/state/limits.mdx; rules and
// messages from get-convex/convex-backend as cited next to each. (Transaction limits are
// convex-test's own, switched on and reworded in convexTestInternals.ts.)
import type { Value } from "convex/values";

const MiB = 1 << 20;
/** crates/common/src/document.rs MAX_USER_SIZE */
export const MAX_DOCUMENT_SIZE = MiB;
/** crates/common/src/document.rs MAX_DOCUMENT_NESTING */
export const MAX_DOCUMENT_NESTING = 16;
/** crates/value/src/size.rs MAX_NESTING: any value (arguments, return values). */
export const MAX_VALUE_NESTING = 64;
/** crates/value/src/object.rs MAX_OBJECT_FIELDS */
export const MAX_OBJECT_FIELDS = 1024;
/** crates/value/src/array.rs MAX_ARRAY_LEN */
export const MAX_ARRAY_LENGTH = 8192;
/** knobs.rs FUNCTION_MAX_ARGS_SIZE / FUNCTION_MAX_RESULT_SIZE (limits.mdx: 16 MiB each). */
export const MAX_FUNCTION_VALUE_SIZE = 16 * MiB;
/** limits.mdx "Environment Variables". The backend's own check (environment_variables.rs) allows 256; the documented 40 is what we hold deployments' users to. */
export const MAX_ENV_NAME_LENGTH = 40;
/** crates/common/src/types/environment_variables.rs MAX_VALUE_LENGTH */
export const MAX_ENV_VALUE_BYTES = 8 * 1024;

const LIMITS_URL = "https://docs.convex.dev/production/state/limits";

/** A value refused as a deployment refuses it; `code` is the deployment's short error name. */
export class LimitError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "Error";
  }
}

/** humansize's BINARY format, as the Rust messages print sizes ("1 MiB", "1.50 MiB"). */
export function formatSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${Number.isInteger(v) ? v : v.toFixed(2)} ${units[i]}`;
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

function checkString(s: string) {
  // crates/isolate/src/helpers.rs to_rust_string: unpaired surrogates fail the UTF-8 check.
  // Native isWellFormed, not a charCodeAt loop: this sees every string of every argument,
  // return value and written document.
  if (!s.isWellFormed()) {
    throw new LimitError(
      "InvalidUnicode",
      `String contains an unpaired surrogate (${JSON.stringify(s.slice(0, 32))}...): Convex strings must be valid Unicode. See ${LIMITS_URL}`,
    );
  }
}

/**
 * Walks a Convex value once: checks array lengths, object field counts and strings
 * (crates/value: array.rs check_array_len, object.rs check_field_count) and returns its
 * size and nesting as crates/value/src/size.rs computes them.
 */
export function measureValue(v: Value | undefined): { size: number; nesting: number } {
  if (v === null || v === undefined) return { size: 1, nesting: 0 };
  switch (typeof v) {
    case "boolean":
      return { size: 1, nesting: 0 };
    case "number":
    case "bigint":
      return { size: 9, nesting: 0 };
    case "string":
      checkString(v);
      return { size: 2 + utf8Length(v), nesting: 0 };
  }
  if (v instanceof ArrayBuffer) return { size: 2 + v.byteLength, nesting: 0 };
  if (Array.isArray(v)) {
    if (v.length > MAX_ARRAY_LENGTH) {
      throw new LimitError(
        "ArrayTooLong",
        `Array length is too long (${v.length} > maximum length ${MAX_ARRAY_LENGTH})`,
      );
    }
    let size = 2;
    let nesting = 0;
    for (const item of v) {
      const m = measureValue(item);
      size += m.size;
      nesting = Math.max(nesting, m.nesting);
    }
    return { size, nesting: nesting + 1 };
  }
  const entries = Object.entries(v as Record<string, Value | undefined>).filter(([, x]) => x !== undefined);
  if (entries.length > MAX_OBJECT_FIELDS) {
    throw new LimitError(
      "TooManyFieldsError",
      `Object has too many fields (${entries.length} > maximum number ${MAX_OBJECT_FIELDS})`,
    );
  }
  let size = 2;
  let nesting = 0;
  for (const [name, item] of entries) {
    checkString(name);
    const m = measureValue(item);
    size += utf8Length(name) + 1 + m.size;
    nesting = Math.max(nesting, m.nesting);
  }
  return { size, nesting: nesting + 1 };
}

// _id (a ~32-character string) and _creationTime (a float): added by the database.
const SYSTEM_FIELDS_SIZE = "_id".length + 1 + 2 + 32 + "_creationTime".length + 1 + 9;

/** A document's user fields before insert/patch/replace (crates/common/src/document.rs). */
export function checkDocument(table: string, fields: Record<string, Value>): void {
  for (const name of Object.keys(fields)) {
    // document.rs DocumentValidationError::SystemField
    if (name.startsWith("_") && fields[name] !== undefined) {
      throw new LimitError(
        "InvalidDocumentError",
        `Document for table "${table}" isn't a valid document: Field '${name}' starts with an underscore, which is only allowed for system fields like '_id'`,
      );
    }
  }
  const { size, nesting } = measureValue(fields);
  // document.rs DocumentValidationError::TooNested
  if (nesting > MAX_DOCUMENT_NESTING) {
    throw new LimitError(
      "InvalidDocumentError",
      `Document for table "${table}" isn't a valid document: Document is too nested (nested ${nesting} levels deep > maximum nesting ${MAX_DOCUMENT_NESTING})`,
    );
  }
  // document.rs check_user_size
  const total = size + SYSTEM_FIELDS_SIZE;
  if (total > MAX_DOCUMENT_SIZE) {
    throw new LimitError(
      "ValueTooLargeError",
      `Value is too large (${formatSize(total)} > maximum size ${formatSize(MAX_DOCUMENT_SIZE)})`,
    );
  }
}

function checkFunctionValue(v: Value | undefined) {
  const m = measureValue(v);
  if (m.nesting > MAX_VALUE_NESTING) {
    // crates/value/src/size.rs check_nesting
    throw new LimitError(
      "TooNestedError",
      `Value is too nested (nested ${m.nesting} levels deep > maximum nesting ${MAX_VALUE_NESTING})`,
    );
  }
  return m.size;
}

/** crates/udf/src/helpers.rs: "Arguments for {path} are too large (actual: .., limit: ..)". */
export function checkArguments(functionName: string, args: Value | undefined): void {
  const size = checkFunctionValue(args);
  if (size > MAX_FUNCTION_VALUE_SIZE) {
    throw new LimitError(
      "FunctionArgumentsTooLarge",
      `Arguments for ${functionName} are too large (actual: ${formatSize(size)}, limit: ${formatSize(MAX_FUNCTION_VALUE_SIZE)})`,
    );
  }
}

/** crates/isolate/src/helpers.rs deserialize_udf_result_inner. */
export function checkReturnValue(functionName: string, value: Value | undefined): void {
  let size: number;
  try {
    size = checkFunctionValue(value);
  } catch (e) {
    if (e instanceof LimitError)
      throw new LimitError(e.code, `Function ${functionName} return value invalid: ${e.message}`);
    throw e;
  }
  if (size > MAX_FUNCTION_VALUE_SIZE) {
    throw new LimitError(
      "FunctionReturnValueTooLarge",
      `Function ${functionName} return value is too large (actual: ${formatSize(size)}, limit: ${formatSize(MAX_FUNCTION_VALUE_SIZE)})`,
    );
  }
}

/**
 * Environment variables as `npx convex env set` would refuse them
 * (crates/common/src/types/environment_variables.rs; name length from limits.mdx).
 * Returns the first problem, or null.
 */
export function envVarProblem(name: string, value: string): string | null {
  if (!/^[a-zA-Z_]+[a-zA-Z0-9_]*$/.test(name)) {
    return `The environment variable name ${name} is invalid. Environment variable names must begin with a letter and may only include characters a-z, A-Z, 0-9, and underscores.`;
  }
  if (name.length > MAX_ENV_NAME_LENGTH) {
    return `The environment variable name ${name} is too long (${name.length} characters). Environment variable names must be at most ${MAX_ENV_NAME_LENGTH} characters (${LIMITS_URL}).`;
  }
  const bytes = utf8Length(value);
  if (bytes > MAX_ENV_VALUE_BYTES) {
    return `The environment variable value of ${name} is ${bytes} bytes, which is too large. (max size: ${MAX_ENV_VALUE_BYTES})`;
  }
  return null;
}
