import { Inject, Injectable } from '@nestjs/common';
import { createRemoteJWKSet, errors as joseErrors, JWTPayload, jwtVerify, JWTVerifyOptions, JWTVerifyResult } from 'jose';
import { DomainError, FieldProblem, FLEXPRICE_ID_RULE, isFlexPriceId } from '@flexsync/runtime';
import {
  ACCEPTED_TOKEN_TYPES,
  AUTH_OPTIONS,
  AuthOptions,
  DEFAULT_MAX_TOKEN_AGE_SECONDS,
  ENVIRONMENT_HEADER,
  MIN_JWT_SECRET_LENGTH,
  OPERATOR_ROLE,
  TENANT_ADMIN_ROLE,
  TENANT_HEADER,
} from './auth-options';
import { isTrustedJwksUrl, JWKS_URL_RULE } from './jwks-url';
import { TenantPrincipal } from './tenant-principal';

const HMAC_ALGORITHMS = ['HS256'];
const ASYMMETRIC_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
const MAX_ID_LENGTH = 128;
const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5;

/** What a route admits, and the tenant a request names. */
export interface AccessRule {
  /** The route lets operators act on any tenant. */
  allowOperator?: boolean;
  /** `X-Tenant-ID` of the request. */
  tenantHeader?: string;
}

type SignatureCheck = (token: string, options: JWTVerifyOptions) => Promise<JWTVerifyResult>;

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;
}

function isIdList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every(isFlexPriceId);
}

/** Why a token was refused, without echoing any part of it. */
function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired && error.claim === 'iat') return 'token older than the maximum token age (iat)';
  if (error instanceof joseErrors.JWTExpired) return 'token expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim ${error.claim} is invalid`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'signing algorithm not allowed';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'no matching signing key';
  return 'token is malformed';
}

/** Another JWT kind signed by the same issuer (an ID token, a DPoP proof…) must not pass as an access token. */
function isAcceptedTokenType(typ: unknown): boolean {
  return typeof typ === 'string' && ACCEPTED_TOKEN_TYPES.includes(typ.toLowerCase().replace(/^application\//, ''));
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
      if (!isTrustedJwksUrl(options.jwksUrl)) throw new Error(`auth: the JWKS URL must be ${JWKS_URL_RULE}`);
      const keySet = createRemoteJWKSet(new URL(options.jwksUrl));
      this.checkSignature = (token, verifyOptions) => jwtVerify(token, keySet, verifyOptions);
      this.algorithms = ASYMMETRIC_ALGORITHMS;
    } else {
      throw new Error('auth: a JWT secret or a JWKS URL is required');
    }
  }

  /**
   * Returns the principal for `Authorization` / `X-Environment-ID` header values.
   * Tenant admins act on their token's tenant (an `X-Tenant-ID` naming another is refused); operators, where the
   * route admits them (`allowOperator`), on the tenant and environment the request names.
   * Throws 401 `AUTH.MISSING_TOKEN`/`AUTH.INVALID_TOKEN`, 403 `AUTH.FORBIDDEN`/`AUTH.ENVIRONMENT_NOT_ALLOWED`/
   * `AUTH.TENANT_NOT_ALLOWED`, 400 `REQUEST.INVALID` for an operator request that names no valid tenant.
   */
  async authenticate(authorization: string | undefined, environmentHeader?: string, access: AccessRule = {}): Promise<TenantPrincipal> {
    const token = this.bearerToken(authorization);
    const claims = await this.verify(token);
    const { subject, roles } = this.identityFrom(claims);
    if (access.allowOperator && roles.includes(OPERATOR_ROLE)) {
      return { ...this.namedScope(access.tenantHeader, environmentHeader), subject, roles, actingAs: 'operator' };
    }
    if (!roles.includes(TENANT_ADMIN_ROLE)) {
      const operatorHere = roles.includes(OPERATOR_ROLE) ? '; operators may not use this endpoint' : '';
      throw new DomainError('AUTH.FORBIDDEN', `the token lacks the ${TENANT_ADMIN_ROLE} role${operatorHere}`);
    }
    const scope = this.tenantScopeFrom(claims);
    if (access.tenantHeader !== undefined && access.tenantHeader !== scope.tenantId) {
      throw new DomainError(
        'AUTH.TENANT_NOT_ALLOWED',
        `a tenant admin may act only on the tenant of its token, not the one named in ${TENANT_HEADER}`,
      );
    }
    const environmentId = this.resolveEnvironment(claims, scope.environmentId, environmentHeader);
    return { tenantId: scope.tenantId, environmentId, subject, roles, actingAs: 'tenant_admin' };
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
      const { payload, protectedHeader } = await this.checkSignature(token, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: this.algorithms,
        requiredClaims: ['sub', 'exp', 'iat'],
        maxTokenAge: this.options.maxTokenAgeSeconds ?? DEFAULT_MAX_TOKEN_AGE_SECONDS,
        clockTolerance: this.options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
      });
      if (!isAcceptedTokenType(protectedHeader.typ)) {
        throw new DomainError('AUTH.INVALID_TOKEN', `invalid token: typ header must be one of ${ACCEPTED_TOKEN_TYPES.join(', ')}`);
      }
      return payload;
    } catch (error) {
      if (error instanceof DomainError) throw error;
      if (signingKeysUnavailable(error, this.options.jwksUrl !== undefined)) {
        throw new DomainError('AUTH.KEYS_UNAVAILABLE', 'the identity provider’s signing keys are unavailable; try again', undefined, {
          cause: error,
        });
      }
      throw new DomainError('AUTH.INVALID_TOKEN', `invalid token: ${describeJoseError(error)}`);
    }
  }

  private identityFrom(claims: JWTPayload): { subject: string; roles: string[] } {
    const problems: string[] = [];
    if (!isId(claims.sub)) problems.push('sub');
    if (!Array.isArray(claims.roles) || !claims.roles.every((role) => typeof role === 'string')) problems.push('roles');
    if (problems.length > 0) {
      throw new DomainError('AUTH.INVALID_TOKEN', `invalid token: missing or malformed claims ${problems.join(', ')}`);
    }
    return { subject: claims.sub as string, roles: claims.roles as string[] };
  }

  private tenantScopeFrom(claims: JWTPayload): { tenantId: string; environmentId: string } {
    const problems: string[] = [];
    // Tenant and environment ids must be ones every service accepts (webhook paths, ClickHouse filters).
    if (!isFlexPriceId(claims.tenant_id)) problems.push('tenant_id');
    if (!isFlexPriceId(claims.environment_id)) problems.push('environment_id');
    if (claims.environment_ids !== undefined && !isIdList(claims.environment_ids)) problems.push('environment_ids');
    if (problems.length > 0) {
      throw new DomainError('AUTH.INVALID_TOKEN', `invalid token: missing or malformed claims ${problems.join(', ')}`);
    }
    return { tenantId: claims.tenant_id as string, environmentId: claims.environment_id as string };
  }

  /** An operator's request names its scope; the same id rules apply as to the claims of a tenant token. */
  private namedScope(tenantHeader: string | undefined, environmentHeader: string | undefined): { tenantId: string; environmentId: string } {
    const problems: FieldProblem[] = [];
    if (!isFlexPriceId(tenantHeader))
      problems.push({ field: 'X-Tenant-ID', reason: `an operator must name the tenant: ${FLEXPRICE_ID_RULE}` });
    if (!isFlexPriceId(environmentHeader)) {
      problems.push({ field: 'X-Environment-ID', reason: `an operator must name the environment: ${FLEXPRICE_ID_RULE}` });
    }
    if (problems.length > 0) {
      throw new DomainError('REQUEST.INVALID', 'an operator request must name the tenant and environment it acts on', problems);
    }
    return { tenantId: tenantHeader as string, environmentId: environmentHeader as string };
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
