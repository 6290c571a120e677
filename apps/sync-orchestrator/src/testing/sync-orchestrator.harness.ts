import type { INestApplication } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import supertest from 'supertest';
import { DataSource } from 'typeorm';
import type { Client } from '@temporalio/client';
import { mintOperatorToken, mintTenantToken } from '@flexsync/auth';
import { loadConfig } from '@flexsync/runtime';
import { connectTemporalClient } from '@flexsync/temporal';
import { stackEnv, TestTenant } from '@flexsync/testing';
import { SyncOrchestratorConfig } from '../app/sync-orchestrator.config';
import { createSyncOrchestratorHttp } from '../app/sync-orchestrator.http';

const TEST_AUTH = { jwtSecret: 'sync-orchestrator-int-test-secret-0123456789', issuer: 'flexsync-test', audience: 'flexsync-api' };

export interface RunningOrchestrator {
  app: INestApplication;
  http: ReturnType<typeof supertest>;
  dataSource: DataSource;
  temporal: Client;
  /** Workflows a spec started; `close` terminates them (no worker of the specs polls their queue). */
  startedWorkflows: string[];
  close(): Promise<void>;
}

/** The real orchestrator app (real Postgres and Temporal, real guards, pipes and filter), in-process. For specs only. */
export async function startOrchestrator(overrides: Record<string, string> = {}): Promise<RunningOrchestrator> {
  const env = stackEnv();
  const config = loadConfig('sync-orchestrator', SyncOrchestratorConfig, {
    DATABASE_URL: env.DATABASE_URL,
    TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS,
    TEMPORAL_NAMESPACE: env.TEMPORAL_NAMESPACE,
    PORT: '0',
    LOG_LEVEL: 'silent',
    AUTH_JWT_SECRET: TEST_AUTH.jwtSecret,
    AUTH_JWT_ISSUER: TEST_AUTH.issuer,
    AUTH_JWT_AUDIENCE: TEST_AUTH.audience,
    // The shared dev server's real schedule is left alone unless a spec asks for one (under an id of its own).
    STRIPE_SYNC_SCHEDULE_ENABLED: 'false',
    STRIPE_RECONCILIATION_SCHEDULE_ENABLED: 'false',
    ...overrides,
  });
  const app = await createSyncOrchestratorHttp(config);
  await app.init();
  const temporal = await connectTemporalClient({ address: env.TEMPORAL_ADDRESS, namespace: env.TEMPORAL_NAMESPACE });
  const startedWorkflows: string[] = [];
  return {
    app,
    http: supertest(app.getHttpServer()),
    dataSource: app.get<DataSource>(getDataSourceToken()),
    temporal,
    startedWorkflows,
    close: async () => {
      await Promise.all(
        startedWorkflows.map((id) =>
          temporal.workflow
            .getHandle(id)
            .terminate('test cleanup')
            .catch(() => undefined),
        ),
      );
      await temporal.connection.close();
      await app.close();
    },
  };
}

export async function bearerFor(tenant: TestTenant, subject?: string): Promise<string> {
  return `Bearer ${await mintTenantToken(TEST_AUTH, { tenantId: tenant.tenantId, environmentId: tenant.environmentId, subject })}`;
}

/** Headers of an operator acting on `tenant`: the token names no tenant, the request does. */
export async function operatorHeadersFor(tenant: TestTenant, subject = 'ops@flexprice.test'): Promise<Record<string, string>> {
  return {
    Authorization: `Bearer ${await mintOperatorToken(TEST_AUTH, { subject })}`,
    'X-Tenant-ID': tenant.tenantId,
    'X-Environment-ID': tenant.environmentId,
  };
}
