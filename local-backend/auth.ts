// JWTs from `client.setAuth(...)` (and `Authorization: Bearer` on HTTP) -> a UserIdentity.
//
// With providers in convex/auth.config.ts, a token must verify against one of them (OIDC:
// issuer = domain, audience = applicationID, keys from the issuer's discovery document;
// customJwt: issuer, optional audience, keys from `jwks`, which may be a data: URI). Without
// providers every token is refused, as a deployment refuses it; `--insecure-auth` accepts
// them UNVERIFIED (decoded only) for local experiments, announced loudly at startup.
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from "jose";
import { BAD_ADMIN_KEY, isAdminKey } from "./adminKey.js";
import type { Identity } from "./engine.js";

interface Provider {
  type?: "customJwt";
  domain?: string;
  issuer?: string;
  applicationID?: string;
  jwks?: string;
  algorithm?: string;
}

// Claim -> UserIdentity attribute, as documented on convex/server's UserIdentity.
const ATTRIBUTE_OF_CLAIM: Record<string, string> = {
  sub: "subject",
  iss: "issuer",
  name: "name",
  given_name: "givenName",
  family_name: "familyName",
  nickname: "nickname",
  preferred_username: "preferredUsername",
  profile: "profileUrl",
  picture: "pictureUrl",
  email: "email",
  email_verified: "emailVerified",
  gender: "gender",
  birthdate: "birthday",
  zoneinfo: "timezone",
  locale: "language",
  phone_number: "phoneNumber",
  phone_number_verified: "phoneNumberVerified",
  address: "address",
  updated_at: "updatedAt",
};
// Registered claims that are not part of the identity.
const DROPPED_CLAIMS = new Set(["aud", "exp", "iat", "nbf", "jti", "azp"]);

export function identityFromClaims(claims: JWTPayload): Identity {
  const identity: Record<string, unknown> = {};
  for (const [claim, value] of Object.entries(claims)) {
    if (DROPPED_CLAIMS.has(claim) || value === undefined) continue;
    identity[ATTRIBUTE_OF_CLAIM[claim] ?? claim] = value;
  }
  const issuer = typeof claims.iss === "string" ? claims.iss : "https://local-backend.invalid";
  const subject = typeof claims.sub === "string" ? claims.sub : "anonymous";
  return { ...identity, issuer, subject, tokenIdentifier: `${issuer}|${subject}` } as Identity;
}

export class AuthVerifier {
  private keySets = new Map<string, JWTVerifyGetKey>();
  readonly providers: Provider[];

  constructor(
    config: { providers?: unknown[] } | null,
    /** The deployment's admin key (adminKey.ts). */
    readonly adminKey: string,
    /** Accept unverified tokens when no provider is configured (--insecure-auth). */
    readonly insecure = false,
  ) {
    this.providers = ((config?.providers ?? []) as Provider[]).filter(Boolean);
  }

  /** Throws unless `presented` is this deployment's admin key. */
  checkAdminKey(presented: unknown): void {
    if (!isAdminKey(presented, this.adminKey)) throw new Error(BAD_ADMIN_KEY);
  }

  get verifies(): boolean {
    return this.providers.length > 0;
  }

  /** Identity for a token, or throws with a message suitable for AuthError. */
  async identify(token: string): Promise<Identity> {
    if (!this.verifies && !this.insecure) {
      // crates/authentication/src/lib.rs enhance_no_provider_error
      throw new Error(
        "No auth provider found matching the given token (no providers configured). Check convex/auth.config.ts.",
      );
    }
    if (!this.verifies) {
      let claims: JWTPayload;
      try {
        claims = decodeJwt(token);
      } catch {
        throw new Error("Could not parse JWT payload");
      }
      if (typeof claims.exp === "number" && claims.exp * 1000 < Date.now()) {
        throw new Error("Token expired");
      }
      return identityFromClaims(claims);
    }
    const errors: string[] = [];
    for (const p of this.providers) {
      const issuer = p.type === "customJwt" ? p.issuer : p.domain;
      try {
        const { payload } = await jwtVerify(token, await this.keysFor(p), {
          issuer: issuer ? [issuer, issuer.replace(/\/$/, ""), `${issuer.replace(/\/$/, "")}/`] : undefined,
          audience: p.applicationID,
          algorithms: p.algorithm ? [p.algorithm] : undefined,
        });
        return identityFromClaims(payload);
      } catch (e) {
        errors.push(`${issuer ?? "provider"}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    throw new Error(`No auth provider found matching the given token (${errors.join("; ")})`);
  }

  private async keysFor(p: Provider): Promise<JWTVerifyGetKey> {
    const cacheKey = JSON.stringify(p);
    const cached = this.keySets.get(cacheKey);
    if (cached) return cached;
    let keys: JWTVerifyGetKey;
    if (p.type === "customJwt") {
      if (!p.jwks) throw new Error("customJwt provider without jwks");
      if (p.jwks.startsWith("data:")) {
        const body = p.jwks.slice(p.jwks.indexOf(",") + 1);
        const json = p.jwks.slice(0, p.jwks.indexOf(",")).endsWith(";base64")
          ? Buffer.from(body, "base64").toString("utf8")
          : decodeURIComponent(body);
        keys = createLocalJWKSet(JSON.parse(json));
      } else {
        keys = createRemoteJWKSet(new URL(p.jwks));
      }
    } else {
      if (!p.domain) throw new Error("OIDC provider without domain");
      const res = await fetch(`${p.domain.replace(/\/$/, "")}/.well-known/openid-configuration`);
      if (!res.ok) throw new Error(`OIDC discovery for ${p.domain} failed: HTTP ${res.status}`);
      const { jwks_uri } = (await res.json()) as { jwks_uri: string };
      keys = createRemoteJWKSet(new URL(jwks_uri));
    }
    this.keySets.set(cacheKey, keys);
    return keys;
  }
}
