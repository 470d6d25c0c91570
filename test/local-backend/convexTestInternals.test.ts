// The module that patches convex-test internals refuses any other convex-test version.
import { describe, expect, test } from "vitest";
import {
  checkConvexTestVersion,
  CONVEX_TEST_VERSION,
  installedConvexTestVersion,
} from "../../local-backend/convexTestInternals.js";

describe("convex-test internals", () => {
  test("the installed convex-test is the version the patches were written for", () => {
    expect(installedConvexTestVersion()).toBe(CONVEX_TEST_VERSION);
    expect(() => checkConvexTestVersion()).not.toThrow();
  });

  test("another installed version fails with one line naming both versions and the fix", () => {
    expect(() => checkConvexTestVersion("0.0.61")).toThrow(
      "convex-test 0.0.61 is installed, but local-backend/convexTestInternals.ts patches the internals of 0.0.60: " +
        "install convex-test@0.0.60 (npm ci) or port that module to 0.0.61",
    );
  });
});
