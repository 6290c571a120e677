import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import supertest from 'supertest';
import {
  createKafkaClient,
  encodeStripeMeterErrorReport,
  ensureTopics,
  KafkaPublisher,
  stripeMeterErrorReportFromStripeEvent,
  type StripeEventLike,
} from '@flexsync/kafka';
import type { TenantScope } from '@flexsync/persistence';
import { createHttpService, loadConfig } from '@flexsync/runtime';
import { buildMeterErrorReport, type RunningStripeEmulator, sendStripeWebhook, startStripeEmulator } from '@flexsync/stripe-emulator';
import { STRIPE_EVENT_SYNC_WORKFLOW, type StripeEventSyncInput, type StripeEventSyncResult } from '@flexsync/sync-contracts';
import { eventually, freePort, REPO_ROOT, stackEnv, uniqueTenant } from '@flexsync/testing';
import { HOUR_MS, hourAgo, SyncHarness, testApiKey, testKeyring } from '../../testing/sync-harness';
import { SyncWorkerModule } from '../app.module';
import { SyncWorkerConfig } from '../sync-worker.config';

/**
 * End to end on the real stack: the sync pushes meter events to the Stripe emulator, whose asynchronous validation
 * rejects one (a customer it does not hold) and sends a signed `v1.billing.meter.error_report_triggered` webhook →
 * webhook-ingest (its own process) records and publishes it → Kafka → sync-worker (in process) marks the ledger row.
 */
const env = stackEnv();
const suffix = randomUUID().slice(0, 8);
const TOPIC = `test.meter-error-reports.${suffix}`;
const keyring = testKeyring();

interface MarkedRow {
  identifier: string;
  customer_id: string;
  sync_status: string;
  error_message: string | null;
  stripe_error_report_id: string | null;
  next_attempt_at: Date | null;
  updated_at: Date;
}

interface ReportRow {
  stripe_event_id: string;
  event_type: string;
  stripe_meter_id: string | null;
  sample_count: number;
  matched_rows: number;
  error_codes: string[];
}

/** webhook-ingest as its own OS process, started from source as `npm start` does. */
async function startWebhookIngest(port: number, output: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'tools/dev/run-ts.js'), join(REPO_ROOT, 'apps/webhook-ingest/src/main.ts')], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: env.DATABASE_URL,
      KAFKA_BROKERS: env.KAFKA_BROKERS,
      KAFKA_CUSTOMER_EVENTS_TOPIC: `${TOPIC}.customers`,
      KAFKA_METER_ERROR_REPORTS_TOPIC: TOPIC,
      FLEXSYNC_ENCRYPTION_KEYS: keyring.keys,
      FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: keyring.currentKeyId,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      output.push(...chunk.toString().split('\n').filter(Boolean));
      output.splice(0, Math.max(0, output.length - 300));
    });
  }
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`webhook-ingest exited: ${output.slice(-5).join('\n')}`);
      const response = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
      return response?.status === 200 ? true : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250, what: 'webhook-ingest ready' },
  );
  return child;
}

describe('Stripe meter error reports mark the ledger rows they name (end to end)', () => {
  const taskQueue = `stripe-sync-meter-errors-${suffix}`;
  const webhookOutput: string[] = [];
  let emulator: RunningStripeEmulator;
  let harness: SyncHarness;
  let worker: INestApplication;
  let webhookIngest: ChildProcess | undefined;
  let webhookUrl: string;
  const tenant = uniqueTenant('meter_errors');
  const otherTenant = uniqueTenant('meter_errors_other');
  const secrets = new Map<TenantScope, string>([
    [tenant, `whsec_meter_errors_${randomUUID().replaceAll('-', '')}`],
    [otherTenant, `whsec_meter_errors_other_${randomUUID().replaceAll('-', '')}`],
  ]);

  async function seedWebhookSecret(scope: TenantScope): Promise<void> {
    const sealed = harness.secretBox.seal(secrets.get(scope) ?? '', { ...scope, field: 'webhook_secret' });
    await harness.db.query(
      `UPDATE stripe_tenant_configs SET webhook_secret_ciphertext = $3, webhook_secret_key_id = $4 WHERE tenant_id = $1 AND environment_id = $2`,
      [scope.tenantId, scope.environmentId, sealed.ciphertext, sealed.keyId],
    );
  }

  async function rows(scope: TenantScope): Promise<MarkedRow[]> {
    return harness.db.query(
      `SELECT identifier, customer_id, sync_status, error_message, stripe_error_report_id, next_attempt_at, updated_at
         FROM stripe_sync_batches WHERE tenant_id = $1 AND environment_id = $2 ORDER BY customer_id`,
      [scope.tenantId, scope.environmentId],
    );
  }

  async function reports(scope: TenantScope): Promise<ReportRow[]> {
    return harness.db.query(
      `SELECT stripe_event_id, event_type, stripe_meter_id, sample_count, matched_rows, error_codes
         FROM stripe_meter_error_reports WHERE tenant_id = $1 AND environment_id = $2 ORDER BY received_at`,
      [scope.tenantId, scope.environmentId],
    );
  }

  async function metrics(): Promise<string> {
    return (await supertest(worker.getHttpServer()).get('/metrics')).text;
  }

  function endpoint(scope: TenantScope): string {
    return `${webhookUrl}/webhooks/stripe/${scope.tenantId}/${scope.environmentId}`;
  }

  beforeAll(async () => {
    await ensureTopics(createKafkaClient({ clientId: 'meter-errors-setup', brokers: env.KAFKA_BROKERS.split(',') }), [
      { topic: TOPIC, numPartitions: 3 },
    ]);
    emulator = await startStripeEmulator({ accounts: [] });
    harness = await SyncHarness.start(env, emulator.url, keyring);
    const port = await freePort();
    webhookUrl = `http://127.0.0.1:${port}`;
    webhookIngest = await startWebhookIngest(port, webhookOutput);
    const config = loadConfig('sync-worker', SyncWorkerConfig, {
      DATABASE_URL: env.DATABASE_URL,
      CLICKHOUSE_URL: env.CLICKHOUSE_URL,
      CLICKHOUSE_DATABASE: env.CLICKHOUSE_DATABASE,
      TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS,
      TEMPORAL_NAMESPACE: env.TEMPORAL_NAMESPACE,
      TEMPORAL_TASK_QUEUE: taskQueue,
      KAFKA_BROKERS: env.KAFKA_BROKERS,
      KAFKA_METER_ERROR_REPORTS_TOPIC: TOPIC,
      KAFKA_METER_ERROR_REPORTS_DLQ_TOPIC: `${TOPIC}.dlq`,
      KAFKA_METER_ERROR_REPORTS_GROUP_ID: `meter-errors-${suffix}`,
      FLEXSYNC_ENCRYPTION_KEYS: keyring.keys,
      FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: keyring.currentKeyId,
      STRIPE_API_BASE_URL: emulator.url,
      STRIPE_TEST_WRITES_PER_SECOND: '500',
      LOG_LEVEL: 'silent',
      PORT: '0',
    });
    worker = await createHttpService({
      service: 'sync-worker',
      module: SyncWorkerModule.register(config),
      host: '127.0.0.1',
      port: 0,
      bodyLimitBytes: 65_536,
    });
    await worker.init();
  }, 120_000);

  afterAll(async () => {
    await worker?.close();
    webhookIngest?.kill('SIGTERM');
    await harness?.close();
    await emulator?.close();
  });

  it('an event Stripe rejects after accepting it ends with its ledger row failed with Stripe’s reason; a redelivery changes nothing', async () => {
    const apiKey = testApiKey('meter_errors');
    emulator.addAccount({ apiKeys: [apiKey], meters: [{ id: `mtr_errors${suffix}`, eventName: 'api_calls' }] });
    const held = (await (
      await fetch(`${emulator.url}/v1/customers`, { method: 'POST', headers: { Authorization: `Bearer ${apiKey}` } })
    ).json()) as { id: string };
    await harness.seedTenant(tenant, {
      apiKey,
      meters: [{ meterId: 'meter_api', eventName: 'api_calls' }],
      customers: [
        { customerId: 'client_held', stripeCustomerId: held.id },
        { customerId: 'client_unknown', stripeCustomerId: `cus_unknown${suffix}` },
      ],
    });
    await seedWebhookSecret(tenant);
    emulator.configureIngestion({
      delayMs: 300,
      rejectUnknownCustomers: true,
      errorReportWebhook: { url: endpoint(tenant), secret: secrets.get(tenant) ?? '' },
    });
    const window = hourAgo(2);
    await harness.insertUsage(tenant, [
      { customerId: 'client_held', meterId: 'meter_api', quantity: '10', at: new Date(window.getTime() + 60_000) },
      { customerId: 'client_unknown', meterId: 'meter_api', quantity: '7', at: new Date(window.getTime() + 60_000) },
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
      { taskQueue, workflowId: `test-meter-errors-${randomUUID()}`, args: [input], workflowExecutionTimeout: '1 minute' },
    );
    // Stripe answered both calls: the push itself succeeded.
    expect(result.windows[0]).toMatchObject({ completed: 2, failed: 0 });

    // Stripe validates after the ingestion delay (300 ms here): a fast sync can finish before it has passed.
    const delivery = await eventually(
      async () => {
        await emulator.settleIngestion();
        return emulator.errorReports()[0];
      },
      { timeoutMs: 10_000, intervalMs: 100, what: "Stripe's error report to be delivered" },
    );
    expect(delivery).toMatchObject({ type: 'v1.billing.meter.error_report_triggered', status: 200 });
    const marked = await eventually(
      async () => {
        const current = await rows(tenant);
        return current.some((row) => row.stripe_error_report_id !== null) ? current : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'the rejected row to be marked' },
    );
    const [heldRow, rejectedRow] = marked;
    expect(heldRow).toMatchObject({ customer_id: 'client_held', sync_status: 'completed', stripe_error_report_id: null });
    expect(rejectedRow).toMatchObject({
      customer_id: 'client_unknown',
      sync_status: 'failed',
      stripe_error_report_id: delivery?.eventId,
      next_attempt_at: null,
    });
    expect(rejectedRow?.error_message).toBe(
      `stripe rejected: meter_event_customer_not_found: No customer \`cus_unknown${suffix}\` was found for the event with identifier \`${rejectedRow?.identifier}\`.`,
    );
    expect(await reports(tenant)).toEqual([
      {
        stripe_event_id: delivery?.eventId,
        event_type: 'v1.billing.meter.error_report_triggered',
        stripe_meter_id: `mtr_errors${suffix}`,
        sample_count: 1,
        matched_rows: 1,
        error_codes: ['meter_event_customer_not_found'],
      },
    ]);
    expect(await metrics()).toMatch(
      /stripe_meter_error_reports_total\{event_type="v1.billing.meter.error_report_triggered",result="marked",service="sync-worker"\} 1/,
    );

    // The same report again: Stripe redelivers the webhook (same event id), and Kafka redelivers the message.
    const object = buildMeterErrorReport(
      `mtr_errors${suffix}`,
      [
        {
          accountId: 'acct',
          meterId: `mtr_errors${suffix}`,
          eventName: 'api_calls',
          identifier: rejectedRow?.identifier ?? '',
          code: 'meter_event_customer_not_found',
          message: 'redelivered',
          acceptedAtMs: Date.now(),
        },
      ],
      Date.now(),
    );
    const redelivered = await sendStripeWebhook({
      url: endpoint(tenant),
      secret: secrets.get(tenant),
      id: delivery?.eventId,
      type: 'v1.billing.meter.error_report_triggered',
      object,
    });
    expect(redelivered.status).toBe(200);
    expect(JSON.parse(redelivered.body)).toMatchObject({ outcome: 'duplicate' });
    const message = stripeMeterErrorReportFromStripeEvent(tenant, redelivered.event as unknown as StripeEventLike);
    if (!message) throw new Error('the redelivered event is not a meter error report');
    const publisher = new KafkaPublisher(createKafkaClient({ clientId: 'meter-errors-redeliver', brokers: env.KAFKA_BROKERS.split(',') }));
    await publisher.publish(TOPIC, [encodeStripeMeterErrorReport(message)]);
    await publisher.disconnect();
    await eventually(async () => ((await metrics()).match(/result="duplicate",service="sync-worker"\} 1/) ? true : undefined), {
      timeoutMs: 30_000,
      what: 'the redelivered report to be consumed',
    });
    expect(await rows(tenant)).toEqual(marked);
    expect(await reports(tenant)).toHaveLength(1);
  }, 120_000);

  it('a report delivered to another tenant’s endpoint naming this tenant’s identifier touches no row of this tenant, and is still recorded there', async () => {
    const before = await rows(tenant);
    const named = before.find((row) => row.customer_id === 'client_held');
    expect(named).toBeDefined();
    await harness.seedTenant(otherTenant, { apiKey: testApiKey('meter_errors_other') });
    await seedWebhookSecret(otherTenant);
    const eventId = `evt_${randomUUID().replaceAll('-', '').slice(0, 24)}`;
    const delivery = await sendStripeWebhook({
      url: endpoint(otherTenant),
      secret: secrets.get(otherTenant),
      id: eventId,
      type: 'v1.billing.meter.no_meter_found',
      object: buildMeterErrorReport(
        null,
        [
          {
            accountId: 'acct',
            meterId: null,
            eventName: 'api_calls',
            identifier: named?.identifier ?? '',
            code: 'no_meter',
            message: 'No active meter was found for event name api_calls.',
            acceptedAtMs: Date.now(),
          },
        ],
        Date.now(),
      ),
    });
    expect(delivery.status).toBe(200);
    const recorded = await eventually(async () => ((await reports(otherTenant)).length === 1 ? reports(otherTenant) : undefined), {
      timeoutMs: 30_000,
      what: 'the other tenant’s report to be recorded',
    });
    expect(recorded).toEqual([
      expect.objectContaining({ stripe_event_id: eventId, event_type: 'v1.billing.meter.no_meter_found', stripe_meter_id: null, matched_rows: 0 }),
    ]);
    expect(await rows(tenant)).toEqual(before);
    expect(await metrics()).toMatch(/event_type="v1.billing.meter.no_meter_found",result="unmatched",service="sync-worker"\} 1/);
  }, 60_000);
});
