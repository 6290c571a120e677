import { applyDecorators } from '@nestjs/common';
import {
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  Max,
  Min,
  MinLength,
  registerDecorator,
  ValidateIf,
  ValidationArguments,
} from 'class-validator';
import { IntFromEnv, ServiceBaseConfig } from '@flexsync/runtime';
import { AuthOptions, DEFAULT_MAX_TOKEN_AGE_SECONDS, MIN_JWT_SECRET_LENGTH } from './auth-options';
import { isTrustedJwksUrl, JWKS_URL_RULE } from './jwks-url';

/** The auth settings of a service's environment. */
export interface AuthEnvFields {
  AUTH_JWT_SECRET?: string;
  AUTH_JWKS_URL?: string;
  AUTH_JWT_ISSUER: string;
  AUTH_JWT_AUDIENCE: string;
  AUTH_JWT_MAX_AGE_SECONDS?: number;
}

function isSet(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0;
}

/** Fails when both key sources are configured: which one verifies tokens must never be ambiguous. */
function NotTogetherWith(other: keyof AuthEnvFields): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'notTogetherWith',
      target: target.constructor,
      propertyName: String(propertyName),
      constraints: [other],
      validator: {
        validate: (value: unknown, args: ValidationArguments) => !(isSet(value) && isSet((args.object as Record<string, unknown>)[other])),
        defaultMessage: (args: ValidationArguments) => `set only one of ${args.property} and ${String(args.constraints[0])}`,
      },
    });
  };
}

/** `AUTH_JWT_SECRET`: HS256 secret, ≥ 32 characters; required unless `AUTH_JWKS_URL` is set. */
export function AuthJwtSecretField(): PropertyDecorator {
  return applyDecorators(
    ValidateIf((config: AuthEnvFields) => !isSet(config.AUTH_JWKS_URL)),
    IsString({ message: 'AUTH_JWT_SECRET or AUTH_JWKS_URL must be set' }),
    MinLength(MIN_JWT_SECRET_LENGTH, { message: `AUTH_JWT_SECRET must be at least ${MIN_JWT_SECRET_LENGTH} characters` }),
  );
}

function IsTrustedJwksUrl(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isTrustedJwksUrl',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown) => typeof value === 'string' && isTrustedJwksUrl(value),
        defaultMessage: (args: ValidationArguments) => `${args.property} must be ${JWKS_URL_RULE}`,
      },
    });
  };
}

/** `AUTH_JWKS_URL`: where the identity provider publishes its signing keys; optional when a secret is set, never together with one. */
export function AuthJwksUrlField(): PropertyDecorator {
  return applyDecorators(
    ValidateIf((config: AuthEnvFields) => isSet(config.AUTH_JWKS_URL)),
    IsTrustedJwksUrl(),
    NotTogetherWith('AUTH_JWT_SECRET'),
  );
}

/** `AUTH_JWT_ISSUER` / `AUTH_JWT_AUDIENCE`: required, checked on every token. */
export function AuthClaimField(): PropertyDecorator {
  return applyDecorators(IsString(), IsNotEmpty());
}

/** `AUTH_JWT_MAX_AGE_SECONDS`: how long after `iat` a token is still accepted (default a day). */
export function AuthMaxTokenAgeField(): PropertyDecorator {
  return applyDecorators(
    IntFromEnv(),
    IsOptional(),
    IsInt({ message: 'AUTH_JWT_MAX_AGE_SECONDS must be a whole number of seconds' }),
    Min(60, { message: 'AUTH_JWT_MAX_AGE_SECONDS must be at least 60' }),
    Max(30 * 86_400, { message: 'AUTH_JWT_MAX_AGE_SECONDS must be at most 2592000 (30 days)' }),
  );
}

/**
 * A service config with the auth keys. Extend it instead of `ServiceBaseConfig`:
 * `class MappingServiceConfig extends AuthEnvConfig { … }`, then `AuthModule.forRoot(authOptionsFrom(config))`.
 * Classes that cannot extend it declare the fields with the `Auth*Field()` decorators.
 */
export class AuthEnvConfig extends ServiceBaseConfig implements AuthEnvFields {
  @AuthJwtSecretField()
  AUTH_JWT_SECRET?: string;

  @AuthJwksUrlField()
  AUTH_JWKS_URL?: string;

  @AuthClaimField()
  AUTH_JWT_ISSUER!: string;

  @AuthClaimField()
  AUTH_JWT_AUDIENCE!: string;

  @AuthMaxTokenAgeField()
  AUTH_JWT_MAX_AGE_SECONDS = DEFAULT_MAX_TOKEN_AGE_SECONDS;
}

export function authOptionsFrom(config: AuthEnvFields): AuthOptions {
  return {
    jwtSecret: isSet(config.AUTH_JWT_SECRET) ? config.AUTH_JWT_SECRET : undefined,
    jwksUrl: isSet(config.AUTH_JWKS_URL) ? config.AUTH_JWKS_URL : undefined,
    issuer: config.AUTH_JWT_ISSUER,
    audience: config.AUTH_JWT_AUDIENCE,
    maxTokenAgeSeconds: config.AUTH_JWT_MAX_AGE_SECONDS ?? DEFAULT_MAX_TOKEN_AGE_SECONDS,
  };
}
