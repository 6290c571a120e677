import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import supertest from 'supertest';
import { DataSource } from 'typeorm';
import { mintTenantToken, TenantTokenClaims } from '@flexsync/auth';
import { loadConfig } from '@flexsync/runtime';
import { ConfigServiceConfig } from '../app/config-service.config';
import { createConfigServiceHttp } from '../app/config-service.http';

export const TEST_AUTH = {
  jwtSecret: 'config-service-int-test-secret-0123456789',
  issuer: 'flexsync-test',
  audience: 'flexsync-api',
};

/** A fresh keyring entry and the env that selects it. */
export function testKeyring(...ids: string[]): { entries: Record<string, string>; keys: string } {
  const entries = Object.fromEntries(ids.map((id) => [id, `${id}:${randomBytes(32).toString('base64')}`]));
  return { entries, keys: Object.values(entries).join(',') };
}

export interface ConfigServiceEnvOptions {
  /** The stack's Postgres (`stackEnv().DATABASE_URL` in specs). */
  databaseUrl: string;
  stripeBaseUrl?: string;
  keys?: string;
  currentKeyId?: string;
  logLevel?: string;
  bodyLimitBytes?: number;
}

export function configServiceEnv(options: ConfigServiceEnvOptions): Record<string, string> {
  const keyring = options.keys ? undefined : testKeyring('k1');
  return {
    DATABASE_URL: options.databaseUrl,
    PORT: '0',
    LOG_LEVEL: options.logLevel ?? 'silent',
    HTTP_BODY_LIMIT_BYTES: String(options.bodyLimitBytes ?? 64 * 1024),
    AUTH_JWT_SECRET: TEST_AUTH.jwtSecret,
    AUTH_JWT_ISSUER: TEST_AUTH.issuer,
    AUTH_JWT_AUDIENCE: TEST_AUTH.audience,
    FLEXSYNC_ENCRYPTION_KEYS: options.keys ?? (keyring as { keys: string }).keys,
    FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: options.currentKeyId ?? 'k1',
    STRIPE_API_BASE_URL: options.stripeBaseUrl ?? '',
    STRIPE_TIMEOUT_MS: '3000',
  };
}

export interface RunningConfigService {
  app: INestApplication;
  http: ReturnType<typeof supertest>;
  dataSource: DataSource;
  config: ConfigServiceConfig;
  close(): Promise<void>;
}

/** The real app (real Postgres, real guards, pipes and filter), in-process, as `main.ts` builds it. For specs only. */
export async function startConfigService(options: ConfigServiceEnvOptions): Promise<RunningConfigService> {
  const config = loadConfig('config-service', ConfigServiceConfig, configServiceEnv(options));
  const app = await createConfigServiceHttp(config);
  await app.init();
  return {
    app,
    http: supertest(app.getHttpServer()),
    dataSource: app.get<DataSource>(getDataSourceToken()),
    config,
    close: () => app.close(),
  };
}

export function tokenFor(claims: TenantTokenClaims): Promise<string> {
  return mintTenantToken(TEST_AUTH, claims);
}

export function validConfigBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    api_key: `sk_test_${randomBytes(12).toString('hex')}`,
    sync_enabled: true,
    aggregation_window_minutes: 60,
    ...overrides,
  };
}
