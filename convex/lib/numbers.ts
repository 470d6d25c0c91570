/**
 * Number arguments of public functions. `v.number()` accepts NaN, ±Infinity, negatives and
 * fractions; used unchecked they throw TypeErrors deep in a query (`take(NaN)`) or quietly read
 * nothing. Every public function passes its numbers through one of these first, so a caller gets
 * BAD_REQUEST naming the argument instead.
 */
import { badNumber, formatCount } from "./errors";

/** A count or an offset: a whole number from `min` to `max`. */
export function wholeNumber(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range =
      max === Number.MAX_SAFE_INTEGER
        ? `${formatCount(min)} or more`
        : `from ${formatCount(min)} to ${formatCount(max)}`;
    throw badNumber(name, value, `a whole number ${range}`);
  }
  return value;
}

/** A point in time in ms since 1970, such as a `_creationTime` (which has a fraction). */
export function timestamp(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0)
    throw badNumber(name, value, "a time in milliseconds since 1970, 0 or more");
  return value;
}

/** A paginated query's `paginationOpts`: 1 to `max` items a page, and read limits of at least 1 if given. */
export function pageOptions(
  opts: { numItems: number; maximumRowsRead?: number; maximumBytesRead?: number },
  max: number,
): void {
  wholeNumber("paginationOpts.numItems", opts.numItems, 1, max);
  if (opts.maximumRowsRead !== undefined) wholeNumber("paginationOpts.maximumRowsRead", opts.maximumRowsRead, 1);
  if (opts.maximumBytesRead !== undefined) wholeNumber("paginationOpts.maximumBytesRead", opts.maximumBytesRead, 1);
}
