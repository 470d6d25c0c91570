// The README's error-code table is documentation of `ERROR_CODES`: they must list the same codes.
import { expect, test } from "vitest";
import readme from "../../README.md?raw";
import { ERROR_CODES } from "../../convex/lib/errors";

/** The codes in the first column of the table under "### Limits and error codes". */
function readmeCodes(): string[] {
  const section = readme.split(/^### Limits and error codes$/m)[1]?.split(/^#{1,3} /m)[0];
  expect(section, 'README.md has a "### Limits and error codes" section').toBeDefined();
  const rows = section!.split("\n").filter((line) => line.startsWith("| `"));
  return rows.flatMap((row) => [...row.split("|")[1].matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]));
}

test("the README's error-code table lists exactly the codes in convex/lib/errors.ts", () => {
  const documented = readmeCodes();
  expect(new Set(documented).size, "no code is listed twice").toBe(documented.length);
  expect([...documented].sort()).toEqual([...ERROR_CODES].sort());
});
