// One shared ConvexClient per deployment URL per page, however many elements use it.
// Elements acquire and release; the last release closes the socket.
//
// Tests (and hosts with their own transport) swap the data layer with `setClientFactory`,
// which receives the deployment URL and returns anything implementing `ChatClient`: the
// small subset of ConvexClient the element uses.
import { ConvexClient } from "convex/browser";
import { getFunctionName, makeFunctionReference, type FunctionReference } from "convex/server";

export type ConnectionInfo = {
  isWebSocketConnected: boolean;
  hasEverConnected: boolean;
  connectionRetries: number;
};

/** The part of `ConvexClient` the element depends on. Keep it small: fakes implement it. */
export interface ChatClient {
  onUpdate<Q extends FunctionReference<"query">>(
    query: Q,
    args: Q["_args"],
    callback: (result: Q["_returnType"]) => unknown,
    onError?: (e: Error) => unknown,
  ): () => void;
  /** One-shot read (history pages, text a viewer lacks): no subscription is kept. */
  query<Q extends FunctionReference<"query">>(query: Q, args: Q["_args"]): Promise<Q["_returnType"]>;
  mutation<M extends FunctionReference<"mutation">>(mutation: M, args: M["_args"]): Promise<M["_returnType"]>;
  /** Only for a new visitor's human check when the site is too busy for its POST (Turnstile on). */
  action<A extends FunctionReference<"action">>(action: A, args: A["_args"]): Promise<A["_returnType"]>;
  connectionState(): ConnectionInfo;
  subscribeToConnectionState(cb: (state: ConnectionInfo) => void): () => void;
  close(): Promise<void> | void;
}

export type ClientFactory = (url: string) => ChatClient;

const defaultFactory: ClientFactory = (url) =>
  new ConvexClient(url, { unsavedChangesWarning: false }) as unknown as ChatClient;

let factory: ClientFactory = defaultFactory;
const pool = new Map<string, { client: ChatClient; refs: number }>();

/** Replace how clients are made (tests, custom transports); `undefined` restores ConvexClient. */
export function setClientFactory(next?: ClientFactory): void {
  factory = next ?? defaultFactory;
}

/** The shared client for `url`; pair every call with `releaseClient(url)`. */
export function acquireClient(url: string): ChatClient {
  let entry = pool.get(url);
  if (!entry) {
    entry = { client: factory(url), refs: 0 };
    pool.set(url, entry);
  }
  entry.refs++;
  return entry.client;
}

export function releaseClient(url: string): void {
  const entry = pool.get(url);
  if (!entry) return;
  if (--entry.refs > 0) return;
  pool.delete(url);
  void Promise.resolve(entry.client.close()).catch(() => {});
}

/** How many elements share the client for `url` (0 when none is open). */
export function clientRefCount(url: string): number {
  return pool.get(url)?.refs ?? 0;
}

/**
 * `client`, calling each function where a host app re-exports them: in a folder of its own
 * (a path ending in `/`: the module path goes under that folder), or all in one module (a
 * path ending in `:`: module and function joined, `ai-chat-stream/functions`' names; a test
 * checks they agree with convex/client.ts `singleModuleName`).
 */
export function functionsUnder(client: ChatClient, path: string): ChatClient {
  if (!path) return client;
  const under = <F extends FunctionReference<"query" | "mutation" | "action">>(f: F): F =>
    // One module: the path's colon and the reference's own make two; the second goes and the
    // function's first letter is raised (module + Function, as singleModuleName does).
    makeFunctionReference(
      (path + getFunctionName(f)).replace(/:(.+):(.)/, (_, m: string, c: string) => `:${m}${c.toUpperCase()}`),
    ) as unknown as F;
  return {
    onUpdate: (query, args, callback, onError) => client.onUpdate(under(query), args, callback, onError),
    query: (query, args) => client.query(under(query), args),
    mutation: (mutation, args) => client.mutation(under(mutation), args),
    action: (action, args) => client.action(under(action), args),
    connectionState: () => client.connectionState(),
    subscribeToConnectionState: (callback) => client.subscribeToConnectionState(callback),
    close: () => client.close(),
  };
}
