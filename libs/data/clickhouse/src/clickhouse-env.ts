import { readFileSync } from 'node:fs';
import { applyDecorators } from '@nestjs/common';
import { IsNotEmpty, IsString, Matches, ValidateIf } from 'class-validator';
import { IsReadableFile, SetOnlyWhen } from '@flexsync/runtime';
import type { ClickHouseSettings } from './client';

/** Who the service is to ClickHouse and how it trusts the server. */
export interface ClickHouseCredentialFields {
  CLICKHOUSE_URL: string;
  CLICKHOUSE_USERNAME: string;
  /** Secret: never logged, never defaulted. */
  CLICKHOUSE_PASSWORD?: string;
  CLICKHOUSE_TLS_CA_FILE?: string;
}

/** `CLICKHOUSE_USERNAME`: the worker's SELECT-only user in production (`default` only on a development server). */
export function ClickHouseUsernameField(): PropertyDecorator {
  return applyDecorators(IsString(), Matches(/^[A-Za-z0-9_.@-]{1,64}$/, { message: '$property must be a ClickHouse user name' }));
}

/** `CLICKHOUSE_PASSWORD`: optional (a development server's `default` has none). */
export function ClickHousePasswordField(): PropertyDecorator {
  return applyDecorators(
    ValidateIf((_config: ClickHouseCredentialFields, value: unknown) => value !== undefined),
    IsString(),
    IsNotEmpty(),
  );
}

/** `CLICKHOUSE_TLS_CA_FILE`: PEM CA the server's certificate is checked against; only with an https:// URL. */
export function ClickHouseTlsCaFileField(): PropertyDecorator {
  return applyDecorators(
    ValidateIf((_config: ClickHouseCredentialFields, value: unknown) => value !== undefined && value !== ''),
    IsReadableFile(),
    SetOnlyWhen((config: ClickHouseCredentialFields) => /^https:\/\//i.test(config.CLICKHOUSE_URL ?? ''), 'an https:// CLICKHOUSE_URL'),
  );
}

/** The credential part of `createClickHouseClient`'s settings (reads the CA file once, at start). */
export function clickHouseCredentialsFrom(
  config: ClickHouseCredentialFields,
): Pick<ClickHouseSettings, 'username' | 'password' | 'tlsCaCert'> {
  return {
    username: config.CLICKHOUSE_USERNAME,
    ...(config.CLICKHOUSE_PASSWORD ? { password: config.CLICKHOUSE_PASSWORD } : {}),
    ...(config.CLICKHOUSE_TLS_CA_FILE ? { tlsCaCert: readFileSync(config.CLICKHOUSE_TLS_CA_FILE) } : {}),
  };
}
