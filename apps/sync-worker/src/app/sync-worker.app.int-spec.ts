import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import supertest from 'supertest';
import { loadConfig, createHttpService } from '@flexsync/runtime';
import { STRIPE_EVENT_SYNC_WORKFLOW, StripeEventSyncInput, StripeEventSyncResult } from '@flexsync/sync-contracts';
import { RunningStripeEmulator, startStripeEmulator } from '@flexsync/stripe-emulator';
import { stackEnv, uniqueTenant } from '@flexsync/testing';
import { HOUR_MS, hourAgo, SyncHarness, testApiKey, testKeyring } from '../testing/sync-harness';
import { SyncWorkerModule } from './app.module';
import { SyncWorkerConfig } from './sync-worker.config';

/** The worker as main.ts builds it: config from the environment, the Temporal worker, /health and /metrics. */
describe('sync-worker app', () => {
  const env = stackEnv();
  const keyring = testKeyring();
  const taskQueue = `stripe-sync-app-${randomUUID()}`;
  let emulator: RunningStripeEmulator;
  let harness: SyncHarness;
  let app: INestApplication;

  beforeAll(async () => {
    emulator = await startStripeEmulator({ accounts: [] });
    harness = await SyncHarness.start(env, emulator.url, keyring);
    const config = loadConfig('sync-worker', SyncWorkerConfig, {
      DATABASE_URL: env.DATABASE_URL,
      CLICKHOUSE_URL: env.CLICKHOUSE_URL,
      CLICKHOUSE_DATABASE: env.CLICKHOUSE_DATABASE,
      TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS,
      TEMPORAL_NAMESPACE: env.TEMPORAL_NAMESPACE,
      TEMPORAL_TASK_QUEUE: taskQueue,
      KAFKA_BROKERS: env.KAFKA_BROKERS,
      FLEXSYNC_ENCRYPTION_KEYS: keyring.keys,
      FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: keyring.currentKeyId,
      STRIPE_API_BASE_URL: emulator.url,
      STRIPE_TEST_WRITES_PER_SECOND: '500',
      LOG_LEVEL: 'silent',
      PORT: '0',
    });
    app = await createHttpService({
      service: 'sync-worker',
      module: SyncWorkerModule.register(config),
      host: '127.0.0.1',
      port: 0,
      bodyLimitBytes: 65_536,
    });
    await app.init();
  });

  afterAll(async () => {
    await app.close();
    await harness.close();
    await emulator.close();
  });

  it('runs StripeEventSyncWorkflow from its task queue, is ready, and exposes the sync metrics', async () => {
    const tenant = uniqueTenant('app');
    const apiKey = testApiKey('app');
    emulator.addAccount({ apiKeys: [apiKey], meters: [{ eventName: 'api_calls' }] });
    await harness.seedTenant(tenant, {
      apiKey,
      meters: [{ meterId: 'meter_api', eventName: 'api_calls' }],
      customers: [{ customerId: 'client_123', stripeCustomerId: 'cus_123' }],
    });
    const window = hourAgo(2);
    await harness.insertUsage(tenant, [
      { customerId: 'client_123', meterId: 'meter_api', quantity: '42', at: new Date(window.getTime() + 600_000) },
    ]);

    const input: StripeEventSyncInput = {
      ...tenant,
      timeFrom: window.toISOString(),
      timeTo: new Date(window.getTime() + HOUR_MS).toISOString(),
      windowMinutes: 60,
      forceRerun: false,
      trigger: 'manual',
    };
    const result = await harness.temporal.workflow.execute<(i: StripeEventSyncInput) => Promise<StripeEventSyncResult>>(
      STRIPE_EVENT_SYNC_WORKFLOW,
      {
        taskQueue,
        workflowId: `test-app-${randomUUID()}`,
        args: [input],
        workflowExecutionTimeout: '1 minute',
      },
    );

    expect(result.windows[0]).toMatchObject({ totalQuantity: '42', completed: 1, failed: 0 });
    expect(emulator.totals(apiKey)).toEqual([expect.objectContaining({ customer: 'cus_123', totalExact: '42' })]);
    expect(await harness.ledger(tenant)).toEqual([
      expect.objectContaining({ syncStatus: 'completed', stripeEventId: expect.stringMatching(/^flexprice_[0-9a-f]{64}$/) }),
    ]);

    const http = supertest(app.getHttpServer());
    const ready = await http.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.info).toMatchObject({ postgres: { status: 'up' }, clickhouse: { status: 'up' }, temporal_worker: { status: 'up' } });
    const metrics = (await http.get('/metrics')).text;
    expect(metrics).toMatch(/stripe_sync_batches_total\{status="completed",service="sync-worker"\} 1/);
    expect(metrics).toMatch(/stripe_sync_batches_total\{status="pending",service="sync-worker"\} 1/);
    expect(metrics).toMatch(/stripe_sync_aggregates_total\{result="new",service="sync-worker"\} 1/);
    expect(metrics).toMatch(/stripe_sync_push_duration_seconds_count\{service="sync-worker",result="ok"\} 1/);
    expect(metrics).toContain('stripe_sync_circuit_state');
    expect(metrics).not.toContain(apiKey);
  });
});
