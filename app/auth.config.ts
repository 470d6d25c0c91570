import type { AuthConfig } from "convex/server";

/**
 * Which JWT issuers the deployment trusts for `client.setAuth(...)`, from its environment
 * (`npx convex env set`); README "Signed-in users and operators" has a worked example.
 *
 * - OIDC (Clerk, Auth0, WorkOS, Keycloak, ...): `AUTH_ISSUER_URL` (the token's `iss`) and
 *   `AUTH_APPLICATION_ID` (its `aud`); keys come from the issuer's discovery document.
 * - A custom JWT issuer without OIDC discovery: `AUTH_JWT_ISSUER`, `AUTH_JWKS_URL` (a URL or
 *   a `data:` URI), `AUTH_JWT_ALGORITHM` (`RS256` or `ES256`, default `RS256`), and
 *   `AUTH_APPLICATION_ID` if its tokens carry an `aud` to check.
 *
 * With none set the list is empty: tokens are refused, exactly as without this file. An identity
 * whose token has `role: "operator"` (or `roles` containing it) is an operator (lib/access.ts).
 *
 * A deployment evaluates this file when functions are pushed or an env var changes, and there
 * reading a variable that is not set throws ("Environment variable X is used in auth config file
 * but its value was not set"), which would fail the push; `optional` turns that into "not set".
 */
function optional(name: string): string | undefined {
  try {
    return process.env[name] || undefined;
  } catch {
    return undefined;
  }
}

const applicationID = optional("AUTH_APPLICATION_ID");
const oidcIssuer = optional("AUTH_ISSUER_URL");
const jwtIssuer = optional("AUTH_JWT_ISSUER");
const jwks = optional("AUTH_JWKS_URL");
const algorithm = optional("AUTH_JWT_ALGORITHM") === "ES256" ? "ES256" : "RS256";

const providers: AuthConfig["providers"] = [];
if (oidcIssuer && applicationID) providers.push({ domain: oidcIssuer, applicationID });
if (jwtIssuer && jwks) {
  providers.push({
    type: "customJwt",
    issuer: jwtIssuer,
    jwks,
    algorithm,
    ...(applicationID ? { applicationID } : {}),
  });
}

export default { providers } satisfies AuthConfig;
