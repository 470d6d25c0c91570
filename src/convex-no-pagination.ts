// Stands in for ConvexClient's PaginatedQueryClient (convex/dist/esm/browser/sync/
// paginated_query_client.js) in the script-tag builds, which vite.config.ts points that module at.
// Neither element subscribes to a paginated query: history pages are ordinary queries with a
// cursor (src/reply/message-pages.ts). ConvexClient still routes every transition through this
// class, so the stand-in forwards them with no paginated results, and leaves out ~1.2 KB gzipped
// of page splitting a visitor's page would load and never run. test/e2e/convex-stand-ins.test.ts
// pins what ConvexClient calls; a paginated subscription fails loudly instead of never updating.
import type { BaseConvexClient } from "convex/browser";

type Transition = Parameters<Parameters<BaseConvexClient["addOnTransitionHandler"]>[0]>[0];

export class PaginatedQueryClient {
  constructor(client: BaseConvexClient, onTransition: (transition: Transition & { paginatedQueries: [] }) => void) {
    client.addOnTransitionHandler((transition) => onTransition({ ...transition, paginatedQueries: [] }));
  }
  subscribe(): never {
    throw new Error("ai-chat-stream's script-tag build does not support ConvexClient.onPaginatedUpdate_experimental");
  }
  /** No paginated query is ever subscribed, so there is never a result. */
  localQueryResult(): undefined {
    return undefined;
  }
  localQueryResultByToken(): undefined {
    return undefined;
  }
}
