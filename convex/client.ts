/**
 * The host app's side of the component (`ai-chat-stream/server`): `AiChat` builds the public
 * functions the widget and the console call, as the host's own functions that forward to the
 * component. Clients can call only an app's functions, never a component's, so every install
 * re-exports them under the module names the widget uses, one line per module:
 *
 *   // convex/threads.ts of the host app
 *   export const { create, get, listMine, remove, share, listShares, revokeShare } = aiChat.threads();
 *
 * Identity: a component never sees `ctx.auth`, so each forwarding function asks the host's
 * `authorize(ctx)` who is calling and passes that to the component as its `identity` argument.
 * Only these functions set it, and clients cannot reach the component, so it cannot be forged.
 *
 * A helper module, not a function module: it registers nothing itself (the component's bundle
 * sees it as a module with no functions). Each wrapper has the component function's `args`
 * (without `identity`) and `returns` validators; test/backend/client.test.ts checks they agree.
 */
import {
  type FunctionReference,
  type GenericMutationCtx,
  type GenericQueryCtx,
  mutationGeneric,
  paginationOptsValidator,
  paginationResultValidator,
  queryGeneric,
  type RegisteredMutation,
  type RegisteredQuery,
  type GenericDataModel,
} from "convex/server";
import { type Infer, type ObjectType, type PropertyValidators, v, type Validator } from "convex/values";
import type { ComponentApi } from "./_generated/component";
import {
  type Identity,
  vChatConfig,
  vCreateThreadResult,
  vMessageView,
  vSendResult,
  vShareResult,
  vShareView,
  vSignInResult,
  vStreamDelta,
  vChatReplyHeader,
  vStreamSlice,
  vThreadView,
  vTokenUsage,
  vRating,
  vFeedbackView,
} from "./lib/validators";

export { AI_CHAT_ENV, aiChatEnv } from "./lib/env";
export type { Identity } from "./lib/validators";

/** `components.aiChat` (or whatever name the host installed the component under). */
export type AiChatComponent = ComponentApi;

/** The host's query or mutation context (the wrapper's own), typed with the host's data model. */
type Ctx<DataModel extends GenericDataModel = GenericDataModel> =
  GenericQueryCtx<DataModel> | GenericMutationCtx<DataModel>;

/**
 * Who is calling, in the host's terms: `null` for nobody signed in (visitors and observers still
 * come in with their tokens), else the user's stable ID (it owns the threads they create) and
 * whether they are an operator (reads every thread, as an operator session does).
 */
export type Authorize<DataModel extends GenericDataModel = GenericDataModel> = (
  ctx: Ctx<DataModel>,
) => Promise<Identity | null>;

/**
 * The default `authorize`: the Convex auth identity (`auth.config.ts` providers), its
 * `tokenIdentifier` as the user ID, and operator when the JWT has `role: "operator"` or `roles`
 * containing "operator".
 */
export const authorizeFromJwt: Authorize = async (ctx) => {
  const identity = await ctx.auth.getUserIdentity();
  if (!identity) return null;
  const claims = identity as unknown as Record<string, unknown>;
  const roles = claims.roles;
  const operator = claims.role === "operator" || (Array.isArray(roles) && roles.includes("operator"));
  return { userId: identity.tokenIdentifier, operator };
};

type Spec = {
  kind: "query" | "mutation";
  args: PropertyValidators;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  returns: Validator<any, "required", any>;
  /** Whether the component function takes `identity`. */
  identity: boolean;
};

const token = v.optional(v.string());
const query = <A extends PropertyValidators, R extends Spec["returns"]>(args: A, returns: R, identity = true) =>
  ({ kind: "query", args, returns, identity }) as const;
const mutation = <A extends PropertyValidators, R extends Spec["returns"]>(args: A, returns: R, identity = true) =>
  ({ kind: "mutation", args, returns, identity }) as const;

/** The component's public functions, by module, as the widget and the console call them. */
export const PUBLIC_FUNCTIONS = {
  threads: {
    create: mutation({ token, origin: v.optional(v.string()) }, vCreateThreadResult),
    get: query({ threadId: v.string(), token }, vThreadView),
    listMine: query({ token, limit: v.optional(v.number()) }, v.array(vThreadView)),
    remove: mutation({ threadId: v.string(), token }, v.null()),
    share: mutation({ threadId: v.string(), token, expiresInMs: v.optional(v.number()) }, vShareResult),
    listShares: query({ threadId: v.string(), token }, v.array(vShareView)),
    revokeShare: mutation({ threadId: v.string(), token, shareId: v.string() }, v.null()),
  },
  messages: {
    list: query({ threadId: v.string(), token, before: v.optional(v.number()) }, v.array(vMessageView)),
    live: query({ threadId: v.string(), token, after: v.optional(v.number()) }, v.array(vMessageView)),
    send: mutation({ threadId: v.string(), token, prompt: v.string() }, vSendResult),
    retry: mutation(
      { threadId: v.string(), token, messageId: v.string() },
      v.object({ assistantMessageId: v.string(), streamId: v.string() }),
    ),
    stop: mutation({ threadId: v.string(), token }, v.null()),
  },
  streams: {
    read: query(
      {
        streamId: v.string(),
        token,
        cursor: v.number(),
        from: v.optional(v.number()),
        to: v.optional(v.number()),
      },
      vStreamSlice,
    ),
    tail: query({ streamId: v.string(), token }, v.union(vStreamDelta, v.null())),
    catchUp: query({ streamId: v.string(), token, from: v.number(), to: v.optional(v.number()) }, vStreamSlice),
  },
  chat: {
    queue: mutation(
      {
        token: v.string(),
        threadId: v.optional(v.string()),
        prompt: v.optional(v.string()),
        retry: v.optional(v.string()),
        requestId: v.optional(v.string()),
      },
      vChatReplyHeader,
    ),
  },
  operator: {
    listThreads: query({ token, paginationOpts: paginationOptsValidator }, paginationResultValidator(vThreadView)),
    signIn: mutation({ secret: v.string(), name: v.string() }, vSignInResult, false),
    signOut: mutation({ token: v.string() }, v.null(), false),
    session: query({ token: v.string() }, v.object({ name: v.string(), expiresAt: v.number() }), false),
    usage: query({ token }, vTokenUsage),
  },
  config: {
    get: query({}, vChatConfig, false),
  },
  feedback: {
    rate: mutation(
      {
        threadId: v.string(),
        token,
        messageId: v.string(),
        rating: v.union(vRating, v.null()),
        comment: v.optional(v.string()),
      },
      v.null(),
    ),
    list: query({ token, paginationOpts: paginationOptsValidator }, paginationResultValidator(vFeedbackView)),
  },
} as const satisfies Record<string, Record<string, Spec>>;

type Modules = typeof PUBLIC_FUNCTIONS;
export type AiChatModule = keyof Modules;

type Wrapped<S extends Spec> = S["kind"] extends "query"
  ? RegisteredQuery<"public", ObjectType<S["args"]>, Promise<Infer<S["returns"]>>>
  : RegisteredMutation<"public", ObjectType<S["args"]>, Promise<Infer<S["returns"]>>>;

/** One module's public functions, as the host's own. */
export type AiChatFunctions<M extends AiChatModule> = { [F in keyof Modules[M]]: Wrapped<Modules[M][F] & Spec> };

export type AiChatOptions<DataModel extends GenericDataModel = GenericDataModel> = {
  /** Maps the host's own auth to the chat's identity; default `authorizeFromJwt`. */
  authorize?: Authorize<DataModel>;
};

/** `new AiChat<DataModel>(...)` types `authorize`'s `ctx` with the host's tables. */
export class AiChat<DataModel extends GenericDataModel = GenericDataModel> {
  private readonly authorize: Authorize<DataModel>;

  constructor(
    /** `components.aiChat` from the host's `_generated/api`. */
    readonly component: AiChatComponent,
    options: AiChatOptions<DataModel> = {},
  ) {
    this.authorize = options.authorize ?? (authorizeFromJwt as unknown as Authorize<DataModel>);
  }

  /** `threads:create`, `get`, `listMine`, `remove`, `share`, `listShares`, `revokeShare`. */
  threads(): AiChatFunctions<"threads"> {
    return this.module("threads");
  }

  /** `messages:list`, `live`, `send`, `retry`, `stop`. */
  messages(): AiChatFunctions<"messages"> {
    return this.module("messages");
  }

  /** `streams:read`, `tail`, `catchUp`. */
  streams(): AiChatFunctions<"streams"> {
    return this.module("streams");
  }

  /** `chat:queue`: a send stored over the socket when the site is too busy for its POST. */
  chat(): AiChatFunctions<"chat"> {
    return this.module("chat");
  }

  /** `operator:listThreads`, `signIn`, `signOut`, `session`, `usage` (the console's). */
  operator(): AiChatFunctions<"operator"> {
    return this.module("operator");
  }

  /** `config:get`. */
  config(): AiChatFunctions<"config"> {
    return this.module("config");
  }

  /** `feedback:rate` (a visitor's rating of a reply), `list` (the operators' export). */
  feedback(): AiChatFunctions<"feedback"> {
    return this.module("feedback");
  }

  /** The functions of one module, each forwarding to the component's function of the same name. */
  module<M extends AiChatModule>(name: M): AiChatFunctions<M> {
    const specs = PUBLIC_FUNCTIONS[name] as Record<string, Spec>;
    const target = this.component[name] as unknown as Record<
      string,
      FunctionReference<"query" | "mutation", "internal">
    >;
    const out: Record<string, unknown> = {};
    for (const [fn, spec] of Object.entries(specs)) {
      const ref = target[fn];
      const withIdentity = async (ctx: Ctx, args: Record<string, unknown>) => {
        if (!spec.identity) return args;
        const identity = await this.authorize(ctx as unknown as Ctx<DataModel>);
        return identity ? { ...args, identity } : args;
      };
      out[fn] =
        spec.kind === "query"
          ? queryGeneric({
              args: spec.args,
              returns: spec.returns,
              handler: async (ctx, args) =>
                await ctx.runQuery(ref as FunctionReference<"query", "internal">, await withIdentity(ctx, args)),
            })
          : mutationGeneric({
              args: spec.args,
              returns: spec.returns,
              handler: async (ctx, args) =>
                await ctx.runMutation(ref as FunctionReference<"mutation", "internal">, await withIdentity(ctx, args)),
            });
    }
    return out as AiChatFunctions<M>;
  }
}
