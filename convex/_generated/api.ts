/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type * as attachments from "../attachments.js";
import type * as chat from "../chat.js";
import type * as cleanup from "../cleanup.js";
import type * as client from "../client.js";
import type * as config from "../config.js";
import type * as crons from "../crons.js";
import type * as feedback from "../feedback.js";
import type * as handoff from "../handoff.js";
import type * as http from "../http.js";
import type * as lib_access from "../lib/access.js";
import type * as lib_attachments from "../lib/attachments.js";
import type * as lib_budget from "../lib/budget.js";
import type * as lib_chatProtocol from "../lib/chatProtocol.js";
import type * as lib_chatRequest from "../lib/chatRequest.js";
import type * as lib_clientAddress from "../lib/clientAddress.js";
import type * as lib_env from "../lib/env.js";
import type * as lib_errors from "../lib/errors.js";
import type * as lib_expiry from "../lib/expiry.js";
import type * as lib_flushPolicy from "../lib/flushPolicy.js";
import type * as lib_handoff from "../lib/handoff.js";
import type * as lib_limits from "../lib/limits.js";
import type * as lib_modelConfig from "../lib/modelConfig.js";
import type * as lib_models from "../lib/models.js";
import type * as lib_numbers from "../lib/numbers.js";
import type * as lib_operatorSessions from "../lib/operatorSessions.js";
import type * as lib_origins from "../lib/origins.js";
import type * as lib_pow from "../lib/pow.js";
import type * as lib_queueRunner from "../lib/queueRunner.js";
import type * as lib_queueTicket from "../lib/queueTicket.js";
import type * as lib_replies from "../lib/replies.js";
import type * as lib_replyDriver from "../lib/replyDriver.js";
import type * as lib_replyRun from "../lib/replyRun.js";
import type * as lib_sending from "../lib/sending.js";
import type * as lib_text from "../lib/text.js";
import type * as lib_threadSummary from "../lib/threadSummary.js";
import type * as lib_validators from "../lib/validators.js";
import type * as lib_visitorIdentity from "../lib/visitorIdentity.js";
import type * as lib_visitors from "../lib/visitors.js";
import type * as messages from "../messages.js";
import type * as operator from "../operator.js";
import type * as queueRunner from "../queueRunner.js";
import type * as streams from "../streams.js";
import type * as threads from "../threads.js";
import type * as usage from "../usage.js";
import type * as visitors from "../visitors.js";

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";
import { anyApi, componentsGeneric } from "convex/server";

const fullApi: ApiFromModules<{
  attachments: typeof attachments;
  chat: typeof chat;
  cleanup: typeof cleanup;
  client: typeof client;
  config: typeof config;
  crons: typeof crons;
  feedback: typeof feedback;
  handoff: typeof handoff;
  http: typeof http;
  "lib/access": typeof lib_access;
  "lib/attachments": typeof lib_attachments;
  "lib/budget": typeof lib_budget;
  "lib/chatProtocol": typeof lib_chatProtocol;
  "lib/chatRequest": typeof lib_chatRequest;
  "lib/clientAddress": typeof lib_clientAddress;
  "lib/env": typeof lib_env;
  "lib/errors": typeof lib_errors;
  "lib/expiry": typeof lib_expiry;
  "lib/flushPolicy": typeof lib_flushPolicy;
  "lib/handoff": typeof lib_handoff;
  "lib/limits": typeof lib_limits;
  "lib/modelConfig": typeof lib_modelConfig;
  "lib/models": typeof lib_models;
  "lib/numbers": typeof lib_numbers;
  "lib/operatorSessions": typeof lib_operatorSessions;
  "lib/origins": typeof lib_origins;
  "lib/pow": typeof lib_pow;
  "lib/queueRunner": typeof lib_queueRunner;
  "lib/queueTicket": typeof lib_queueTicket;
  "lib/replies": typeof lib_replies;
  "lib/replyDriver": typeof lib_replyDriver;
  "lib/replyRun": typeof lib_replyRun;
  "lib/sending": typeof lib_sending;
  "lib/text": typeof lib_text;
  "lib/threadSummary": typeof lib_threadSummary;
  "lib/validators": typeof lib_validators;
  "lib/visitorIdentity": typeof lib_visitorIdentity;
  "lib/visitors": typeof lib_visitors;
  messages: typeof messages;
  operator: typeof operator;
  queueRunner: typeof queueRunner;
  streams: typeof streams;
  threads: typeof threads;
  usage: typeof usage;
  visitors: typeof visitors;
}> = anyApi as any;

/**
 * A utility for referencing Convex functions in your app's public API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
export const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
> = anyApi as any;

/**
 * A utility for referencing Convex functions in your app's internal API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = internal.myModule.myFunction;
 * ```
 */
export const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
> = anyApi as any;

export const components = componentsGeneric() as unknown as {
  persistentTextStreaming: import("@convex-dev/persistent-text-streaming/_generated/component.js").ComponentApi<"persistentTextStreaming">;
  rateLimiter: import("@convex-dev/rate-limiter/_generated/component.js").ComponentApi<"rateLimiter">;
};
