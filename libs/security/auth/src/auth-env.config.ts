import { applyDecorators } from '@nestjs/common';
import { IsNotEmpty, IsString, MinLength, registerDecorator, ValidateIf, ValidationArguments } from 'class-validator';
import { IsHttpUrl, ServiceBaseConfig } from '@flexsync/runtime';
import { AuthOptions, MIN_JWT_SECRET_LENGTH } from './auth-options';

/** The auth settings of a service's environment. */
export interface AuthEnvFields {
  AUTH_JWT_SECRET?: string;
  AUTH_JWKS_URL?: string;
  AUTH_JWT_ISSUER: string;
  AUTH_JWT_AUDIENCE: string;
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

/** `AUTH_JWKS_URL`: where the identity provider publishes its signing keys; optional when a secret is set, never together with one. */
export function AuthJwksUrlField(): PropertyDecorator {
  return applyDecorators(
    ValidateIf((config: AuthEnvFields) => isSet(config.AUTH_JWKS_URL)),
    IsHttpUrl(),
    NotTogetherWith('AUTH_JWT_SECRET'),
  );
}

/** `AUTH_JWT_ISSUER` / `AUTH_JWT_AUDIENCE`: required, checked on every token. */
export function AuthClaimField(): PropertyDecorator {
  return applyDecorators(IsString(), IsNotEmpty());
}

/**
 * A service config with the auth keys. Extend it instead of `ServiceBaseConfig`:
 * `class MappingServiceConfig extends AuthEnvConfig { … }`, then `AuthModule.forRoot(authOptionsFrom(config))`.
 * Classes that cannot extend it declare the four fields with the `Auth*Field()` decorators.
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
}

export function authOptionsFrom(config: AuthEnvFields): AuthOptions {
  return {
    jwtSecret: isSet(config.AUTH_JWT_SECRET) ? config.AUTH_JWT_SECRET : undefined,
    jwksUrl: isSet(config.AUTH_JWKS_URL) ? config.AUTH_JWKS_URL : undefined,
    issuer: config.AUTH_JWT_ISSUER,
    audience: config.AUTH_JWT_AUDIENCE,
  };
}
