import { accessSync, constants, statSync } from 'node:fs';
import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsNotEmpty, IsString, IsUrl, Matches, Max, Min, registerDecorator, type ValidationArguments } from 'class-validator';

/** Environment variables arrive as strings; these decorators turn them into typed, validated fields. */
export function IntFromEnv(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value));
}

export function BoolFromEnv(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => {
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    return value;
  });
}

export function ListFromEnv(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item.length > 0)
      : value,
  );
}

export const POSTGRES_URL_OPTIONS = { protocols: ['postgres', 'postgresql'], require_tld: false, require_protocol: true };
export const HTTP_URL_OPTIONS = { protocols: ['http', 'https'], require_tld: false, require_protocol: true };

/** `DATABASE_URL`, validated as a postgres:// URL. */
export function IsPostgresUrl(): PropertyDecorator {
  return IsUrl(POSTGRES_URL_OPTIONS, { message: '$property must be a postgres:// URL' });
}

export function IsHttpUrl(): PropertyDecorator {
  return IsUrl(HTTP_URL_OPTIONS, { message: '$property must be an http(s):// URL' });
}

/** `host:port[,host:port…]` broker lists. */
export function IsBrokerList(): PropertyDecorator {
  return Matches(/^[A-Za-z0-9.-]+:\d{1,5}$/, { each: true, message: '$property must be a comma-separated list of host:port' });
}

/** A path to a file this process can read (TLS CAs, client certificates and keys), checked at start rather than at first connect. */
export function IsReadableFile(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isReadableFile',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string' || value.length === 0) return false;
          try {
            accessSync(value, constants.R_OK);
            return statSync(value).isFile();
          } catch {
            return false;
          }
        },
        defaultMessage: (args: ValidationArguments) => `${args.property} must name a readable file`,
      },
    });
  };
}

/** Fails when the field is set but `condition` does not hold on the whole config (e.g. a CA file without TLS enabled). */
export function SetOnlyWhen<T>(condition: (config: T) => boolean, requirement: string): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'setOnlyWhen',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (value: unknown, args: ValidationArguments) => value === undefined || value === '' || condition(args.object as T),
        defaultMessage: (args: ValidationArguments) => `${args.property} requires ${requirement}`,
      },
    });
  };
}

/** `DATABASE_URL`: required postgres:// URL. */
export function DatabaseUrlField(): PropertyDecorator {
  return applyDecorators(IsString(), IsNotEmpty(), IsPostgresUrl());
}

/**
 * Base settings every service has: where it listens, how it logs, its Postgres. Subclasses change a default by
 * redeclaring the field (`override PORT = 8081`); the validation declared here still applies.
 */
/**
 * A config class a field group mixes into (`class X extends WithKafkaSecurityFields(ServiceBaseConfig)`), so a group
 * of fields is declared once for every service that needs it, whatever its base class.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- TypeScript requires `any[]` constructor arguments for mixin bases
export type ConfigClass = abstract new (...args: any[]) => object;

export class ServiceBaseConfig {
  @IntFromEnv()
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT!: number;

  @IsString()
  @IsNotEmpty()
  HOST = '127.0.0.1';

  /** A second port for /metrics and /docs only (the public port then answers 404 there); 0 keeps them on PORT. */
  @IntFromEnv()
  @IsInt()
  @Min(0)
  @Max(65535)
  INTERNAL_PORT = 0;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(10_000)
  HEALTH_CHECK_TIMEOUT_MS = 1500;

  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(10 * 1024 * 1024)
  HTTP_BODY_LIMIT_BYTES = 64 * 1024;

  @DatabaseUrlField()
  DATABASE_URL!: string;
}
