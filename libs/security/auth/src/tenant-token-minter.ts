import { SignJWT } from 'jose';
import { MIN_JWT_SECRET_LENGTH, TENANT_ADMIN_ROLE } from './auth-options';

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

/** Signs an HS256 tenant token; for local development, the demo and tests. Production tokens come from the identity provider. */
export async function mintTenantToken(signing: TenantTokenSigning, claims: TenantTokenClaims): Promise<string> {
  if (signing.jwtSecret.length < MIN_JWT_SECRET_LENGTH) {
    throw new Error(`the JWT secret must be at least ${MIN_JWT_SECRET_LENGTH} characters`);
  }
  const payload: Record<string, unknown> = {
    tenant_id: claims.tenantId,
    environment_id: claims.environmentId,
    roles: claims.roles ?? [TENANT_ADMIN_ROLE],
  };
  if (claims.environmentIds) payload.environment_ids = claims.environmentIds;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.subject ?? `dev:${claims.tenantId}`)
    .setIssuer(signing.issuer)
    .setAudience(signing.audience)
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlSeconds ?? 3600}s`)
    .sign(new TextEncoder().encode(signing.jwtSecret));
}
