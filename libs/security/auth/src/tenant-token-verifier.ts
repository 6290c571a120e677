import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, errors as joseErrors, JWTPayload, jwtVerify, JWTVerifyOptions, JWTVerifyResult } from 'jose';
import { DomainError, isFlexPriceId } from '@flexsync/runtime';
import { AUTH_OPTIONS, AuthOptions, ENVIRONMENT_HEADER, MIN_JWT_SECRET_LENGTH, TENANT_ADMIN_ROLE } from './auth-options';
import { TenantPrincipal } from './tenant-principal';

const HMAC_ALGORITHMS = ['HS256'];
const ASYMMETRIC_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
const MAX_ID_LENGTH = 128;
const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5;

type SignatureCheck = (token: string, options: JWTVerifyOptions) => Promise<JWTVerifyResult>;

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;
}

function isIdList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every(isFlexPriceId);
}

/** Why a token was refused, without echoing any part of it. */
function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'token expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim ${error.claim} is invalid`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'signing algorithm not allowed';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'no matching signing key';
  return 'token is malformed';
}

/**
 * The identity provider's keys could not be fetched (timeout, unreachable, not a key set): an outage on our side,
 * not a bad token, so the caller gets 503 and may retry. Errors that are not jose's come from fetching the keys.
 */
function signingKeysUnavailable(error: unknown, usesJwks: boolean): boolean {
  if (!usesJwks) return false;
  return error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid || !(error instanceof joseErrors.JOSEError);
}

/** Verifies tenant-admin JWTs (signature, issuer, audience, expiry, claims) and resolves the acting environment. */
@Injectable()
export class TenantTokenVerifier {
  private readonly checkSignature: SignatureCheck;
  private readonly algorithms: string[];

  constructor(@Inject(AUTH_OPTIONS) private readonly options: AuthOptions) {
    if (options.jwtSecret && options.jwksUrl) {
      throw new Error('auth: configure either a JWT secret or a JWKS URL, not both');
    }
    if (options.jwtSecret) {
      if (options.jwtSecret.length < MIN_JWT_SECRET_LENGTH) {
        throw new Error(`auth: the JWT secret must be at least ${MIN_JWT_SECRET_LENGTH} characters`);
      }
      const secret = new TextEncoder().encode(options.jwtSecret);
      this.checkSignature = (token, verifyOptions) => jwtVerify(token, secret, verifyOptions);
      this.algorithms = HMAC_ALGORITHMS;
    } else if (options.jwksUrl) {
      const keySet = createRemoteJWKSet(new URL(options.jwksUrl));
      this.checkSignature = (token, verifyOptions) => jwtVerify(token, keySet, verifyOptions);
      this.algorithms = ASYMMETRIC_ALGORITHMS;
    } else {
      throw new Error('auth: a JWT secret or a JWKS URL is required');
    }
  }

  /**
   * Returns the principal for `Authorization` / `X-Environment-ID` header values.
   * Throws 401 `AUTH.MISSING_TOKEN`/`AUTH.INVALID_TOKEN`, 403 `AUTH.FORBIDDEN`/`AUTH.ENVIRONMENT_NOT_ALLOWED`.
   */
  async authenticate(authorization: string | undefined, environmentHeader?: string): Promise<TenantPrincipal> {
    const token = this.bearerToken(authorization);
    const claims = await this.verify(token);
    const principal = this.principalFrom(claims);
    if (!principal.roles.includes(TENANT_ADMIN_ROLE)) {
      throw new DomainError('AUTH.FORBIDDEN', `the token lacks the ${TENANT_ADMIN_ROLE} role`);
    }
    const environmentId = this.resolveEnvironment(claims, principal.environmentId, environmentHeader);
    return { ...principal, environmentId, actingAs: 'tenant_admin' };
  }

  private bearerToken(authorization: string | undefined): string {
    if (!authorization || authorization.trim() === '') {
      throw new DomainError('AUTH.MISSING_TOKEN', 'an Authorization: Bearer token is required');
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) {
      throw new DomainError('AUTH.INVALID_TOKEN', 'the Authorization header must be "Bearer <token>"');
    }
    return match[1];
  }

  private async verify(token: string): Promise<JWTPayload> {
    try {
      const { payload } = await this.checkSignature(token, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: this.algorithms,
        requiredClaims: ['sub', 'exp'],
        clockTolerance: this.options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
      });
      return payload;
    } catch (error) {
      if (signingKeysUnavailable(error, this.options.jwksUrl !== undefined)) {
        throw new DomainError('AUTH.KEYS_UNAVAILABLE', 'the identity provider’s signing keys are unavailable; try again', undefined, {
          cause: error,
        });
      }
      throw new DomainError('AUTH.INVALID_TOKEN', `invalid token: ${describeJoseError(error)}`);
    }
  }

  private principalFrom(claims: JWTPayload): Omit<TenantPrincipal, 'actingAs'> {
    const problems: string[] = [];
    if (!isId(claims.sub)) problems.push('sub');
    // Tenant and environment ids must be ones every service accepts (webhook paths, ClickHouse filters).
    if (!isFlexPriceId(claims.tenant_id)) problems.push('tenant_id');
    if (!isFlexPriceId(claims.environment_id)) problems.push('environment_id');
    if (!Array.isArray(claims.roles) || !claims.roles.every((role) => typeof role === 'string')) problems.push('roles');
    if (claims.environment_ids !== undefined && !isIdList(claims.environment_ids)) problems.push('environment_ids');
    if (problems.length > 0) {
      throw new DomainError('AUTH.INVALID_TOKEN', `invalid token: missing or malformed claims ${problems.join(', ')}`);
    }
    return {
      subject: claims.sub as string,
      tenantId: claims.tenant_id as string,
      environmentId: claims.environment_id as string,
      roles: claims.roles as string[],
    };
  }

  private resolveEnvironment(claims: JWTPayload, defaultEnvironment: string, requested: string | undefined): string {
    if (requested === undefined || requested === defaultEnvironment) return defaultEnvironment;
    const allowed = (claims.environment_ids as string[] | undefined) ?? [];
    if (!allowed.includes(requested)) {
      throw new DomainError('AUTH.ENVIRONMENT_NOT_ALLOWED', `the token does not allow the environment named in ${ENVIRONMENT_HEADER}`);
    }
    return requested;
  }
}
