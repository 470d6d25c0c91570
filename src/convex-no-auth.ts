// Stands in for ConvexClient's AuthenticationManager (convex/dist/esm/browser/sync/
// authentication_manager.js) in the script-tag builds, which vite.config.ts points that module
// at. The widget and the console never call `setAuth`: visitors, observers and operators prove
// who they are with tokens passed as arguments. So the manager stays in its "no auth" state for
// the client's whole life, and its ~2 KB gzipped of token refresh, JWT decoding and retries is
// code a visitor's page would load and never run. A test (test/e2e/convex-stand-ins.test.ts) pins the
// methods ConvexClient calls; `setAuth` fails loudly instead of silently not authenticating.
// The same builds point ConvexClient's JWT decoder (convex/dist/esm/vendor/jwt-decode) here too:
// it only reads a user's token, which is never set.
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

/** Decodes a user's JWT: there is never one, so `getCurrentAuthClaims` returns before calling it. */
export function jwtDecode(): never {
  throw new Error("ai-chat-stream's script-tag build does not decode auth tokens");
}
