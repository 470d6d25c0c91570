// Stands in for ConvexClient's AuthenticationManager (convex/dist/esm/browser/sync/
// authentication_manager.js) in the script-tag builds, which vite.config.ts points that module
// at. The widget and the console never call `setAuth`: visitors, observers and operators prove
// who they are with tokens passed as arguments. So the manager stays in its "no auth" state for
// the client's whole life, and its ~2 KB gzipped of token refresh, JWT decoding and retries is
// code a visitor's page would load and never run. A test (test/e2e/no-auth-stub.test.ts) pins the
// methods ConvexClient calls; `setAuth` fails loudly instead of silently not authenticating.
export class AuthenticationManager {
  /** Called on every Transition: with no token ever sent, the identity version never moves. */
  onTransition(): void {}
  /** The server refused a token: none is ever sent. */
  onAuthError(): void {}
  /** The client is closing. */
  stop(): void {}
  setConfig(): Promise<void> {
    throw new Error("ai-chat-stream's script-tag build does not support ConvexClient.setAuth");
  }
}
