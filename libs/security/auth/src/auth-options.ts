/** How tenant-admin tokens are verified. Exactly one of `jwtSecret` (HS256) or `jwksUrl` (asymmetric keys) is set. */
export interface AuthOptions {
  /** HS256 shared secret, at least 32 characters. */
  jwtSecret?: string;
  /** URL of a JSON Web Key Set (RS256/PS256/ES256/EdDSA). */
  jwksUrl?: string;
  issuer: string;
  audience: string;
  /** Allowed clock skew when checking `exp`/`nbf`/`iat`; defaults to 5 seconds. */
  clockToleranceSeconds?: number;
  /** Tokens issued (`iat`) longer ago are refused even before `exp`; defaults to 24 hours. */
  maxTokenAgeSeconds?: number;
}

/** A day: a stolen token outlives its holder's session by at most this much, whatever `exp` it claims. */
export const DEFAULT_MAX_TOKEN_AGE_SECONDS = 86_400;

/** JWT `typ` header values accepted, compared without case and without an `application/` prefix (RFC 8725 §3.11). */
export const ACCEPTED_TOKEN_TYPES = ['jwt', 'at+jwt'];

export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');

/** The role a token must carry to manage a tenant's Stripe integration. */
export const TENANT_ADMIN_ROLE = 'tenant_admin';

/** The role of the platform's operators: they may act on any tenant, which each request names explicitly. */
export const OPERATOR_ROLE = 'operator';

/** Header an operator names the tenant with; a tenant admin may send only its own. */
export const TENANT_HEADER = 'x-tenant-id';

/** Header a caller may send to act on another environment listed in the token's `environment_ids`. */
export const ENVIRONMENT_HEADER = 'x-environment-id';

export const MIN_JWT_SECRET_LENGTH = 32;
