/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type * as aiChat from "../aiChat.js";
import type * as chat from "../chat.js";
import type * as config from "../config.js";
import type * as feedback from "../feedback.js";
import type * as handoff from "../handoff.js";
import type * as messages from "../messages.js";
import type * as operator from "../operator.js";
import type * as streams from "../streams.js";
import type * as threads from "../threads.js";

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";

declare const fullApi: ApiFromModules<{
  aiChat: typeof aiChat;
  chat: typeof chat;
  config: typeof config;
  feedback: typeof feedback;
  handoff: typeof handoff;
  messages: typeof messages;
  operator: typeof operator;
  streams: typeof streams;
  threads: typeof threads;
}>;

/**
 * A utility for referencing Convex functions in your app's public API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
export declare const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
>;

/**
 * A utility for referencing Convex functions in your app's internal API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = internal.myModule.myFunction;
 * ```
 */
export declare const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
>;

export declare const components: {
  aiChat: import("../../convex/_generated/component.js").ComponentApi<"aiChat">;
};
