/**
 * The host app's side of the component (`ai-chat-stream/server`): `AiChat` builds the public
 * functions the widget and the console call, as the host's own functions that forward to the
 * component. Clients can call only an app's functions, never a component's, so every install
 * re-exports them: all in one module (`export * from "ai-chat-stream/functions"`, which
 * `singleModule` builds; the element's functions-path="aiChat:"), or one line per module under
 * the names the widget uses by default, as the standalone app does:
 *
 *   // app/threads.ts
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
  actionGeneric,
  type FunctionReference,
  type GenericActionCtx,
  type GenericMutationCtx,
  type GenericQueryCtx,
  mutationGeneric,
  paginationOptsValidator,
  paginationResultValidator,
  queryGeneric,
  type RegisteredAction,
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
  vHandoffState,
  vHeldReplyHeader,
  vStreamSlice,
  vThreadView,
  vTokenUsage,
  vRating,
  vFeedbackView,
  vVisitorClaim,
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
  kind: "query" | "mutation" | "action";
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
/** An action takes no identity: `authorize` may read the host's tables, which an action cannot. */
const action = <A extends PropertyValidators, R extends Spec["returns"]>(args: A, returns: R) =>
  ({ kind: "action", args, returns, identity: false }) as const;

/** The component's public functions, by module, as the widget and the console call them. */
export const PUBLIC_FUNCTIONS = {
  threads: {
    create: mutation(
      { token, origin: v.optional(v.string()), visitor: v.optional(vVisitorClaim) },
      vCreateThreadResult,
    ),
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
    send: mutation(
      {
        threadId: v.string(),
        token,
        prompt: v.string(),
        attachments: v.optional(v.array(v.string())),
        visitor: v.optional(vVisitorClaim),
      },
      vSendResult,
    ),
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
        token: v.optional(v.string()),
        ticket: v.optional(v.string()),
        pow: v.optional(v.string()),
        threadId: v.optional(v.string()),
        prompt: v.optional(v.string()),
        retry: v.optional(v.string()),
        requestId: v.optional(v.string()),
        visitor: v.optional(vVisitorClaim),
      },
      v.union(vChatReplyHeader, vHeldReplyHeader),
    ),
    checkHuman: action({ ticket: v.string(), turnstileToken: v.string() }, v.object({ ticket: v.string() })),
  },
  operator: {
    listThreads: query({ token, paginationOpts: paginationOptsValidator }, paginationResultValidator(vThreadView)),
    signIn: mutation({ secret: v.string(), name: v.string() }, vSignInResult, false),
    signOut: mutation({ token: v.string() }, v.null(), false),
    session: query({ token: v.string() }, v.object({ name: v.string(), expiresAt: v.number() }), false),
    usage: query({ token }, vTokenUsage),
    searchThreads: query({ token, text: v.string() }, v.array(vThreadView)),
    removeThread: mutation({ token, threadId: v.string() }, v.null()),
  },
  config: {
    get: query({}, vChatConfig, false),
  },
  handoff: {
    state: query({ threadId: v.string(), token }, vHandoffState),
    needsHuman: query({ token }, v.array(vThreadView)),
    takeOver: mutation(
      { threadId: v.string(), token, force: v.optional(v.boolean()), name: v.optional(v.string()) },
      v.object({ heldBy: v.string() }),
    ),
    reply: mutation(
      { threadId: v.string(), token, text: v.string(), name: v.optional(v.string()) },
      v.object({ messageId: v.string() }),
    ),
    handBack: mutation({ threadId: v.string(), token, force: v.optional(v.boolean()) }, v.null()),
    requestHuman: mutation({ threadId: v.string(), token }, v.null()),
    typing: mutation({ threadId: v.string(), token }, v.null()),
    heartbeat: mutation({ token }, v.object({ onlineUntil: v.number() })),
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
  : S["kind"] extends "action"
    ? RegisteredAction<"public", ObjectType<S["args"]>, Promise<Infer<S["returns"]>>>
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
    built.add(this);
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

  /**
   * `chat:queue`: a send stored over the socket when the site is too busy for its POST;
   * `checkHuman`: with Turnstile on, a new visitor's checked queue ticket.
   */
  chat(): AiChatFunctions<"chat"> {
    return this.module("chat");
  }

  /** `operator:listThreads`, `signIn`, `signOut`, `session`, `usage`, `searchThreads`, `removeThread` (the console's). */
  operator(): AiChatFunctions<"operator"> {
    return this.module("operator");
  }

  /** `config:get`. */
  config(): AiChatFunctions<"config"> {
    return this.module("config");
  }

  /** `handoff:state`, `needsHuman`, `takeOver`, `reply`, `handBack`, `requestHuman`, `typing`, `heartbeat`. */
  handoff(): AiChatFunctions<"handoff"> {
    return this.module("handoff");
  }

  /** `feedback:rate` (a visitor's rating of a reply), `list` (the operators' export). */
  feedback(): AiChatFunctions<"feedback"> {
    return this.module("feedback");
  }

  /** The functions of one module, each forwarding to the component's function of the same name. */
  module<M extends AiChatModule>(name: M): AiChatFunctions<M> {
    const out: Record<string, unknown> = {};
    for (const fn of Object.keys(PUBLIC_FUNCTIONS[name])) out[fn] = forwarding(name, fn, () => this);
    return out as AiChatFunctions<M>;
  }

  /** Calls the component's `module:fn` with `args` and, where it takes one, the caller's identity. */
  async call(
    ctx: Ctx | GenericActionCtx<GenericDataModel>,
    module: AiChatModule,
    fn: string,
    args: Record<string, unknown>,
  ): Promise<unknown> {
    const spec = (PUBLIC_FUNCTIONS[module] as Record<string, Spec>)[fn];
    const ref = (this.component[module] as unknown as Record<string, FunctionReference<Spec["kind"], "internal">>)[fn];
    if (spec.kind === "action")
      return await (ctx as GenericActionCtx<GenericDataModel>).runAction(
        ref as FunctionReference<"action", "internal">,
        args,
      );
    const identity = spec.identity ? await this.authorize(ctx as unknown as Ctx<DataModel>) : null;
    const withIdentity = identity ? { ...args, identity } : args;
    return spec.kind === "query"
      ? await ctx.runQuery(ref as FunctionReference<"query", "internal">, withIdentity)
      : await (ctx as GenericMutationCtx<GenericDataModel>).runMutation(
          ref as FunctionReference<"mutation", "internal">,
          withIdentity,
        );
  }
}

/** A public function of the host's forwarding `module:fn` through the AiChat `chat()` returns. */
function forwarding(module: AiChatModule, fn: string, chat: () => Caller) {
  const spec = (PUBLIC_FUNCTIONS[module] as Record<string, Spec>)[fn];
  const define = { query: queryGeneric, mutation: mutationGeneric, action: actionGeneric }[spec.kind];
  return define({
    args: spec.args,
    returns: spec.returns,
    handler: async (ctx: Ctx | GenericActionCtx<GenericDataModel>, args: Record<string, unknown>) =>
      await chat().call(ctx, module, fn, args),
  });
}

/**
 * The name `module:fn` has in a host's single chat module: `threads:create` is `threadsCreate`.
 * The widget's `functions-path="aiChat:"` derives the same (src/convex-pool.ts; a test checks).
 */
export const singleModuleName = (module: string, fn: string): string =>
  module + fn.charAt(0).toUpperCase() + fn.slice(1);

type SingleModuleEntry = {
  [M in AiChatModule]: {
    [F in keyof Modules[M] & string]: { name: `${M}${Capitalize<F>}`; fn: Wrapped<Modules[M][F] & Spec> };
  }[keyof Modules[M] & string];
}[AiChatModule];

/** Every public function under its single-module name (`threadsCreate`, `configGet`, ...). */
export type AiChatApi = { [E in SingleModuleEntry as E["name"]]: E["fn"] };

/**
 * Every public function, under its single-module name, forwarding through the one AiChat the
 * host's app built (`ai-chat-stream/functions` re-exports them).
 */
export function singleModule(): AiChatApi {
  const out: Record<string, unknown> = {};
  for (const [module, specs] of Object.entries(PUBLIC_FUNCTIONS))
    for (const fn of Object.keys(specs))
      out[singleModuleName(module, fn)] = forwarding(module as AiChatModule, fn, theAiChat);
  return out as AiChatApi;
}

/** What the forwarding functions need of an AiChat (the same whatever its data model). */
type Caller = Pick<AiChat, "call">;

/** The AiChat instances built in this app (its modules share this one). */
const built = new Set<Caller>();

/**
 * The app's one AiChat. None, or two (whose `authorize` the functions could not choose between),
 * and every single-module function refuses rather than guess who is calling.
 */
function theAiChat(): Caller {
  if (built.size !== 1)
    throw new Error(
      `ai-chat-stream/functions forwards through the app's one AiChat; it built ${built.size}. ` +
        "Build it once (`new AiChat(components.aiChat, { authorize })`) in the module that re-exports them.",
    );
  return [...built][0];
}
