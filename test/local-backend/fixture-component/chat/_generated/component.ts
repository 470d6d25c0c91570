/* eslint-disable */
/**
 * Generated `ComponentApi` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type { FunctionReference } from "convex/server";

/**
 * A utility for referencing a Convex component's exposed API.
 *
 * Useful when expecting a parameter like `components.myComponent`.
 * Usage:
 * ```ts
 * async function myFunction(ctx: QueryCtx, component: ComponentApi) {
 *   return ctx.runQuery(component.someFile.someQuery, { ...args });
 * }
 * ```
 */
export type ComponentApi<Name extends string | undefined = string | undefined> = {
  env: {
    inAction: FunctionReference<
      "action",
      "internal",
      {},
      {
        greeting: null | string;
        mode: null | string;
        appOnly: null | string;
        siteUrl: null | string;
        keys: Array<string>;
      },
      Name
    >;
    inQuery: FunctionReference<
      "query",
      "internal",
      {},
      {
        greeting: null | string;
        mode: null | string;
        appOnly: null | string;
        siteUrl: null | string;
        keys: Array<string>;
      },
      Name
    >;
  };
  files: {
    meta: FunctionReference<
      "query",
      "internal",
      { storageId: string },
      null | { size: number; contentType: null | string },
      Name
    >;
    read: FunctionReference<"action", "internal", { storageId: string }, null | string, Name>;
    store: FunctionReference<"action", "internal", { text: string }, string, Name>;
    uploadUrl: FunctionReference<"mutation", "internal", {}, string, Name>;
  };
  messages: {
    add: FunctionReference<"mutation", "internal", { text: string; via: string }, string, Name>;
    addLater: FunctionReference<"mutation", "internal", { text: string; delayMs: number }, null, Name>;
    addLimited: FunctionReference<"mutation", "internal", { key: string; text: string }, boolean, Name>;
    list: FunctionReference<"query", "internal", {}, Array<{ text: string; via: string }>, Name>;
    whoami: FunctionReference<"query", "internal", {}, null | string, Name>;
  };
  streams: {
    body: FunctionReference<"query", "internal", { streamId: string }, { text: string; status: string }, Name>;
    create: FunctionReference<"mutation", "internal", {}, string, Name>;
  };
};
