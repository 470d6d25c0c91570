// The host's sign-in: JWTs from its issuer (here a custom JWT issuer; Clerk, Auth0, WorkOS or
// Convex Auth work the same way).
export default {
  providers: [
    {
      type: "customJwt",
      issuer: process.env.AUTH_JWT_ISSUER!,
      jwks: process.env.AUTH_JWKS_URL!,
      algorithm: "RS256",
    },
  ],
};
