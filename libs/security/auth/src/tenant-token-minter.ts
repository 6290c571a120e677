import { SignJWT } from 'jose';
import { MIN_JWT_SECRET_LENGTH, OPERATOR_ROLE, TENANT_ADMIN_ROLE } from './auth-options';

export interface TenantTokenClaims {
  tenantId: string;
  environmentId: string;
  /** Extra environments the holder may select with `X-Environment-ID`. */
  environmentIds?: string[];
  subject?: string;
  roles?: string[];
  ttlSeconds?: number;
}

export interface TenantTokenSigning {
  jwtSecret: string;
  issuer: string;
  audience: string;
}

export interface OperatorTokenClaims {
  /** Who the operator is; every manual sync and retry they start is recorded with it. */
  subject: string;
  ttlSeconds?: number;
}

async function signed(signing: TenantTokenSigning, payload: Record<string, unknown>, subject: string, ttlSeconds: number): Promise<string> {
  if (signing.jwtSecret.length < MIN_JWT_SECRET_LENGTH) {
    throw new Error(`the JWT secret must be at least ${MIN_JWT_SECRET_LENGTH} characters`);
  }
  const nowSeconds = Math.floor(Date.now() / 1000);
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(subject)
    .setIssuer(signing.issuer)
    .setAudience(signing.audience)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + ttlSeconds)
    .sign(new TextEncoder().encode(signing.jwtSecret));
}

/** Signs an HS256 tenant token; for local development, the demo and tests. Production tokens come from the identity provider. */
export function mintTenantToken(signing: TenantTokenSigning, claims: TenantTokenClaims): Promise<string> {
  const payload: Record<string, unknown> = {
    tenant_id: claims.tenantId,
    environment_id: claims.environmentId,
    roles: claims.roles ?? [TENANT_ADMIN_ROLE],
  };
  if (claims.environmentIds) payload.environment_ids = claims.environmentIds;
  return signed(signing, payload, claims.subject ?? `dev:${claims.tenantId}`, claims.ttlSeconds ?? 3600);
}

/** Signs an HS256 operator token (no tenant claims: each request names its tenant); for local development and tests. */
export function mintOperatorToken(signing: TenantTokenSigning, claims: OperatorTokenClaims): Promise<string> {
  return signed(signing, { roles: [OPERATOR_ROLE] }, claims.subject, claims.ttlSeconds ?? 3600);
}
