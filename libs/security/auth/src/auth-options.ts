/** How tenant-admin tokens are verified. Exactly one of `jwtSecret` (HS256) or `jwksUrl` (asymmetric keys) is set. */
export interface AuthOptions {
  /** HS256 shared secret, at least 32 characters. */
  jwtSecret?: string;
  /** URL of a JSON Web Key Set (RS256/PS256/ES256/EdDSA). */
  jwksUrl?: string;
  issuer: string;
  audience: string;
  /** Allowed clock skew when checking `exp`/`nbf`; defaults to 5 seconds. */
  clockToleranceSeconds?: number;
}

export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');

/** The role a token must carry to manage a tenant's Stripe integration. */
export const TENANT_ADMIN_ROLE = 'tenant_admin';

/** Header a caller may send to act on another environment listed in the token's `environment_ids`. */
export const ENVIRONMENT_HEADER = 'x-environment-id';

export const MIN_JWT_SECRET_LENGTH = 32;
