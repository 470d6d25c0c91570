/* eslint-disable */
/**
 * Generated utilities for implementing server-side Convex query and mutation functions.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type {
  ActionBuilder,
  HttpActionBuilder,
  MutationBuilder,
  QueryBuilder,
  GenericActionCtx,
  GenericMutationCtx,
  GenericQueryCtx,
  GenericDatabaseReader,
  GenericDatabaseWriter,
} from "convex/server";
import {
  actionGeneric,
  httpActionGeneric,
  queryGeneric,
  mutationGeneric,
  internalActionGeneric,
  internalMutationGeneric,
  internalQueryGeneric,
} from "convex/server";
import type { DataModel } from "./dataModel.js";

/**
 * Typesafe environment variables.
 *
 * This includes platform-provided env vars and any variables declared in
 * `convex.config.ts`.
 */
type Env = {
  readonly CONVEX_CLOUD_URL: string;
  readonly CONVEX_SITE_URL: string;
  readonly OPENAI_API_KEY: string | undefined;
  readonly OPENAI_BASE_URL: string | undefined;
  readonly ANTHROPIC_API_KEY: string | undefined;
  readonly ANTHROPIC_BASE_URL: string | undefined;
  readonly AI_MODEL: string | undefined;
  readonly AI_SYSTEM_PROMPT: string | undefined;
  readonly DEMO_TOKEN_DELAY_MS: string | undefined;
  readonly DEMO_FAIL_AFTER_TOKENS: string | undefined;
  readonly OPERATOR_SECRET: string | undefined;
  readonly OPERATOR_SESSION_HOURS: string | undefined;
  readonly RATE_LIMIT_OPERATOR_FAILURES_PER_MINUTE: string | undefined;
  readonly OPERATOR_FAILURES_PER_ADDRESS_PER_MINUTE: string | undefined;
  readonly ALLOWED_ORIGINS: string | undefined;
  readonly TURNSTILE_SECRET_KEY: string | undefined;
  readonly TURNSTILE_VERIFY_URL: string | undefined;
  readonly MAX_OUTPUT_TOKENS: string | undefined;
  readonly DAILY_TOKEN_BUDGET: string | undefined;
  readonly VISITOR_DAILY_TOKENS: string | undefined;
  readonly TOKEN_USAGE_SHARDS: string | undefined;
  readonly MAX_PROMPT_CHARS: string | undefined;
  readonly MAX_THREADS_PER_VISITOR: string | undefined;
  readonly HISTORY_CHARS: string | undefined;
  readonly RATE_LIMIT_MESSAGES_PER_MINUTE: string | undefined;
  readonly RATE_LIMIT_GLOBAL_PER_MINUTE: string | undefined;
  readonly RATE_LIMIT_NEW_VISITORS_PER_MINUTE: string | undefined;
  readonly RATE_LIMIT_NEW_VISITOR_SENDS_PER_MINUTE: string | undefined;
  readonly RATE_LIMIT_SHARES_PER_MINUTE: string | undefined;
  readonly RATE_LIMIT_STREAM_REQUESTS_PER_MINUTE: string | undefined;
  readonly RATE_LIMIT_ADDRESS_MESSAGES_PER_MINUTE: string | undefined;
  readonly NEW_VISITORS_PER_ADDRESS_PER_MINUTE: string | undefined;
  readonly NEW_VISITOR_BUDGET_PERCENT: string | undefined;
  readonly REPLIES_IN_FLIGHT_PER_VISITOR: string | undefined;
  readonly CLIENT_ADDRESS_HEADER: string | undefined;
  readonly PROOF_OF_WORK: string | undefined;
  readonly POW_SECRET: string | undefined;
  readonly POW_COST: string | undefined;
  readonly POW_MAX_NUMBER: string | undefined;
  readonly STREAM_CHUNK_BY: string | undefined;
  readonly STREAM_FLUSH_MS: string | undefined;
  readonly STREAM_MAX_WRITES_PER_SEC: string | undefined;
  readonly REPLY_LEASE_MS: string | undefined;
  readonly MAX_QUEUED_REPLIES: string | undefined;
  readonly QUEUE_RUNNERS: string | undefined;
  readonly QUEUE_RUNNER_REPLIES: string | undefined;
  readonly VISITOR_IDENTITY_SECRET: string | undefined;
  readonly VISITOR_CONTEXT_TO_MODEL: string | undefined;
  readonly MAX_FILE_BYTES: string | undefined;
  readonly MAX_FILES_PER_MESSAGE: string | undefined;
  readonly RATE_LIMIT_UPLOADS_PER_MINUTE: string | undefined;
};

/**
 * Define a query in this Convex app's public API.
 *
 * This function will be allowed to read your Convex database and will be accessible from the client.
 *
 * @param func - The query function. It receives a {@link QueryCtx} as its first argument.
 * @returns The wrapped query. Include this as an `export` to name it and make it accessible.
 */
export const query: QueryBuilder<DataModel, "public"> = queryGeneric;

/**
 * Define a query that is only accessible from other Convex functions (but not from the client).
 *
 * This function will be allowed to read from your Convex database. It will not be accessible from the client.
 *
 * @param func - The query function. It receives a {@link QueryCtx} as its first argument.
 * @returns The wrapped query. Include this as an `export` to name it and make it accessible.
 */
export const internalQuery: QueryBuilder<DataModel, "internal"> =
  internalQueryGeneric;

/**
 * Define a mutation in this Convex app's public API.
 *
 * This function will be allowed to modify your Convex database and will be accessible from the client.
 *
 * @param func - The mutation function. It receives a {@link MutationCtx} as its first argument.
 * @returns The wrapped mutation. Include this as an `export` to name it and make it accessible.
 */
export const mutation: MutationBuilder<DataModel, "public"> = mutationGeneric;

/**
 * Define a mutation that is only accessible from other Convex functions (but not from the client).
 *
 * This function will be allowed to modify your Convex database. It will not be accessible from the client.
 *
 * @param func - The mutation function. It receives a {@link MutationCtx} as its first argument.
 * @returns The wrapped mutation. Include this as an `export` to name it and make it accessible.
 */
export const internalMutation: MutationBuilder<DataModel, "internal"> =
  internalMutationGeneric;

/**
 * Define an action in this Convex app's public API.
 *
 * An action is a function which can execute any JavaScript code, including non-deterministic
 * code and code with side-effects, like calling third-party services.
 * They can be run in Convex's JavaScript environment or in Node.js using the "use node" directive.
 * They can interact with the database indirectly by calling queries and mutations using the {@link ActionCtx}.
 *
 * @param func - The action. It receives an {@link ActionCtx} as its first argument.
 * @returns The wrapped action. Include this as an `export` to name it and make it accessible.
 */
export const action: ActionBuilder<DataModel, "public"> = actionGeneric;

/**
 * Define an action that is only accessible from other Convex functions (but not from the client).
 *
 * @param func - The function. It receives an {@link ActionCtx} as its first argument.
 * @returns The wrapped function. Include this as an `export` to name it and make it accessible.
 */
export const internalAction: ActionBuilder<DataModel, "internal"> =
  internalActionGeneric;

/**
 * Define an HTTP action.
 *
 * The wrapped function will be used to respond to HTTP requests received
 * by a Convex deployment if the requests matches the path and method where
 * this action is routed. Be sure to route your httpAction in `convex/http.js`.
 *
 * @param func - The function. It receives an {@link ActionCtx} as its first argument
 * and a Fetch API `Request` object as its second.
 * @returns The wrapped function. Import this function from `convex/http.js` and route it to hook it up.
 */
export const httpAction: HttpActionBuilder = httpActionGeneric;
export const env: Env = (globalThis as unknown as { process: { env: Env } })
  .process.env;

/**
 * A set of services for use within Convex query functions.
 *
 * The query context is passed as the first argument to any Convex query
 * function run on the server.
 *
 * If you're using code generation, use the `QueryCtx` type in `convex/_generated/server.d.ts` instead.
 */
export type QueryCtx = GenericQueryCtx<DataModel>;

/**
 * A set of services for use within Convex mutation functions.
 *
 * The mutation context is passed as the first argument to any Convex mutation
 * function run on the server.
 *
 * If you're using code generation, use the `MutationCtx` type in `convex/_generated/server.d.ts` instead.
 */
export type MutationCtx = GenericMutationCtx<DataModel>;

/**
 * A set of services for use within Convex action functions.
 *
 * The action context is passed as the first argument to any Convex action
 * function run on the server.
 */
export type ActionCtx = GenericActionCtx<DataModel>;

/**
 * An interface to read from the database within Convex query functions.
 *
 * The two entry points are {@link DatabaseReader.get}, which fetches a single
 * document by its {@link Id}, or {@link DatabaseReader.query}, which starts
 * building a query.
 */
export type DatabaseReader = GenericDatabaseReader<DataModel>;

/**
 * An interface to read from and write to the database within Convex mutation
 * functions.
 *
 * Convex guarantees that all writes within a single mutation are
 * executed atomically, so you never have to worry about partial writes leaving
 * your data in an inconsistent state. See [the Convex Guide](https://docs.convex.dev/understanding/convex-fundamentals/functions#atomicity-and-optimistic-concurrency-control)
 * for the guarantees Convex provides your functions.
 */
export type DatabaseWriter = GenericDatabaseWriter<DataModel>;
