import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EncryptionKeyring, generateKeyringEntry, SecretBox } from '@flexsync/crypto';
import { createKafkaClient, ensureTopics } from '@flexsync/kafka';
import { loadConfig } from '@flexsync/runtime';
import { buildCustomerObject, sendStripeWebhook, type StripeWebhookResult } from '@flexsync/stripe-emulator';
import { freePort, eventually, REPO_ROOT, stackEnv, uniqueTenant } from '@flexsync/testing';
import { WebhookIngestConfig } from '../app/webhook-ingest.config';
import { createWebhookIngestHttp } from '../app/webhook-ingest.http';

/**
 * The broker goes away while Stripe is delivering: webhook-ingest still answers 200 once each event is durable in the
 * inbox (a Kafka outage costs delay, not retries), and once the broker is back the outbox relay publishes every
 * recorded event, in order per customer, and mapping-service applies each exactly once.
 * Stops and starts the shared stack's Kafka, so it is kept short and restores the broker whatever happens.
 */
const run = promisify(execFile);
const env = stackEnv();
const suffix = randomUUID().slice(0, 8);
const TOPIC = `test.e2e.outage.${suffix}`;
const KEY_ID = 'outage';
const keyEntry = generateKeyringEntry(KEY_ID);
const secretBox = new SecretBox(EncryptionKeyring.parse(keyEntry, KEY_ID));
const WEBHOOK_SECRET = `whsec_outage_${randomUUID().replace(/-/g, '')}`;

/** mapping-service as its own process (as deployed), consuming through the outage. */
async function startMappingService(port: number, extraEnv: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'tools/dev/run-ts.js'), join(REPO_ROOT, 'apps/mapping-service/src/main.ts')], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: String(port), HOST: '127.0.0.1', ...extraEnv },
    stdio: 'ignore',
  });
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`mapping-service exited with ${child.exitCode}`);
      const response = await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
      return response?.status === 200 ? true : undefined;
    },
    { timeoutMs: 45_000, intervalMs: 200, what: 'mapping-service ready' },
  );
  return child;
}

async function stack(command: 'stop-service' | 'start-service'): Promise<number> {
  const started = Date.now();
  await run('bash', [join(REPO_ROOT, 'tools/stack/stack.sh'), command, 'kafka'], { cwd: REPO_ROOT, timeout: 120_000 });
  return Date.now() - started;
}

describe('Kafka outage during webhook delivery (end to end)', () => {
  let webhookIngest: INestApplication;
  let mappingService: ChildProcess | undefined;
  let baseUrl: string;
  let mappingUrl: string;
  let dataSource: DataSource;
  let kafkaStopped = false;
  const tenant = uniqueTenant('e2e_outage');
  const timings: Record<string, number> = {};
  const now = (): number => Math.floor(Date.now() / 1000);

  interface Delivery {
    id: string;
    customer: string;
    flexpriceCustomer: string;
    created: number;
    type?: 'customer.created' | 'customer.updated' | 'customer.deleted';
  }

  function deliver(event: Delivery): Promise<StripeWebhookResult> {
    return sendStripeWebhook({
      url: `${baseUrl}/webhooks/stripe/${tenant.tenantId}/${tenant.environmentId}`,
      secret: WEBHOOK_SECRET,
      type: event.type ?? 'customer.created',
      id: event.id,
      created: event.created,
      object: buildCustomerObject({ id: event.customer, metadata: { flexprice_customer_id: event.flexpriceCustomer } }),
      timeoutMs: 15_000,
    });
  }

  async function mappedCustomer(providerCustomerId: string): Promise<string | undefined> {
    const rows: { customer_id: string }[] = await dataSource.query(
      `SELECT customer_id FROM customer_integration_mappings WHERE tenant_id = $1 AND environment_id = $2 AND provider_type = 'stripe' AND provider_customer_id = $3`,
      [tenant.tenantId, tenant.environmentId, providerCustomerId],
    );
    return rows[0]?.customer_id;
  }

  /** `customer_mapping_events_total` of the mapping-service process, by `event_type/outcome`. */
  async function appliedCounts(): Promise<Record<string, number>> {
    const text = await (await fetch(`${mappingUrl}/metrics`)).text();
    const counts: Record<string, number> = {};
    for (const match of text.matchAll(/^customer_mapping_events_total\{([^}]*)\} (\d+)$/gm)) {
      const type = /event_type="([^"]+)"/.exec(match[1])?.[1];
      const outcome = /outcome="([^"]+)"/.exec(match[1])?.[1];
      counts[`${type}/${outcome}`] = Number(match[2]);
    }
    return counts;
  }

  async function inbox(
    eventId: string,
  ): Promise<{ published_at: Date | null; publish_attempts: number; last_publish_error: string | null } | undefined> {
    const rows: { published_at: Date | null; publish_attempts: number; last_publish_error: string | null }[] = await dataSource.query(
      `SELECT published_at, publish_attempts, last_publish_error FROM stripe_webhook_events WHERE tenant_id = $1 AND environment_id = $2 AND stripe_event_id = $3`,
      [tenant.tenantId, tenant.environmentId, eventId],
    );
    return rows[0];
  }

  beforeAll(async () => {
    await ensureTopics(createKafkaClient({ clientId: 'outage-setup', brokers: env.KAFKA_BROKERS.split(',') }), [
      { topic: TOPIC, numPartitions: 3 },
    ]);
    const webhookConfig = loadConfig('webhook-ingest', WebhookIngestConfig, {
      DATABASE_URL: env.DATABASE_URL,
      KAFKA_BROKERS: env.KAFKA_BROKERS,
      KAFKA_CUSTOMER_EVENTS_TOPIC: TOPIC,
      KAFKA_PUBLISH_TIMEOUT_MS: '2000',
      OUTBOX_RELAY_INTERVAL_MS: '500',
      HEALTH_CHECK_TIMEOUT_MS: '1000',
      FLEXSYNC_ENCRYPTION_KEYS: keyEntry,
      FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: KEY_ID,
      LOG_LEVEL: 'error',
    });
    // The outbox is one for every tenant: whatever another spec left unpublished in the shared test database would be
    // relayed to this spec's topic and applied by its mapping-service, inflating the applied counts asserted below.
    const setup = await new DataSource({ type: 'postgres', url: env.DATABASE_URL }).initialize();
    await setup.query(`UPDATE stripe_webhook_events SET published_at = now() WHERE published_at IS NULL`);
    await setup.destroy();
    webhookIngest = await createWebhookIngestHttp(webhookConfig);
    await webhookIngest.listen(0, '127.0.0.1');
    baseUrl = (await webhookIngest.getUrl()).replace('[::1]', '127.0.0.1');
    dataSource = webhookIngest.get(DataSource);

    const mappingPort = await freePort();
    mappingUrl = `http://127.0.0.1:${mappingPort}`;
    mappingService = await startMappingService(mappingPort, {
      DATABASE_URL: env.DATABASE_URL,
      KAFKA_BROKERS: env.KAFKA_BROKERS,
      KAFKA_CUSTOMER_EVENTS_TOPIC: TOPIC,
      KAFKA_CUSTOMER_EVENTS_DLQ_TOPIC: `${TOPIC}.dlq`,
      KAFKA_CUSTOMER_EVENTS_GROUP_ID: `e2e-outage-${suffix}`,
      FLEXSYNC_ENCRYPTION_KEYS: keyEntry,
      FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: KEY_ID,
      KAFKA_CONSUMER_SESSION_TIMEOUT_MS: '6000',
      AUTH_JWT_SECRET: `outage-${randomUUID()}-${randomUUID()}`,
      AUTH_JWT_ISSUER: 'flexsync-e2e',
      AUTH_JWT_AUDIENCE: 'flexsync-api',
      LOG_LEVEL: 'error',
    });

    const apiKey = secretBox.seal(['sk', 'test', 'outage0000000000000000'].join('_'), { ...tenant, field: 'api_key' });
    const secret = secretBox.seal(WEBHOOK_SECRET, { ...tenant, field: 'webhook_secret' });
    await dataSource.query(
      `INSERT INTO stripe_tenant_configs (tenant_id, environment_id, api_key_ciphertext, api_key_key_id, api_key_masked, webhook_secret_ciphertext, webhook_secret_key_id)
       VALUES ($1, $2, $3, $4, 'sk_test_…0000', $5, $6)`,
      [tenant.tenantId, tenant.environmentId, apiKey.ciphertext, apiKey.keyId, secret.ciphertext, secret.keyId],
    );
  });

  afterAll(async () => {
    if (kafkaStopped) await stack('start-service');
    if (mappingService && mappingService.exitCode === null) {
      const exited = new Promise((resolve) => mappingService?.once('exit', resolve));
      mappingService.kill('SIGTERM');
      await exited;
    }
    await webhookIngest?.close();
    process.stdout.write(`kafka outage timings: ${JSON.stringify(timings)}\n`);
  });

  it('answers 200 while the broker is down once each event is recorded, then publishes and applies every one exactly once, in order per customer', async () => {
    const warmup = { id: `evt_warm_${suffix}`, customer: 'cus_outage_warm', flexpriceCustomer: 'client_warm', created: now() };
    expect((await deliver(warmup)).status).toBe(200);
    await eventually(async () => (await mappedCustomer('cus_outage_warm')) ?? undefined);

    kafkaStopped = true;
    timings.kafka_stop_ms = await stack('stop-service');

    const retried = { id: `evt_retried_${suffix}`, customer: 'cus_outage_retried', flexpriceCustomer: 'client_retried', created: now() };
    const neverRetried = {
      id: `evt_relayed_${suffix}`,
      customer: 'cus_outage_relayed',
      flexpriceCustomer: 'client_relayed',
      created: now(),
    };
    // One customer's life within one second: only the order of delivery says which state is the last.
    const lifecycleCreated = now();
    const lifecycle: Delivery[] = (['customer.created', 'customer.updated', 'customer.deleted'] as const).map((type, index) => ({
      id: `evt_life${index}_${suffix}`,
      customer: 'cus_outage_lifecycle',
      flexpriceCustomer: 'client_lifecycle',
      created: lifecycleCreated,
      type,
    }));

    const started = Date.now();
    const accepted = await deliver(retried);
    timings.answer_while_kafka_down_ms = Date.now() - started;
    expect({ status: accepted.status, body: JSON.parse(accepted.body) }).toEqual({
      status: 200,
      body: { received: true, event_id: retried.id, outcome: 'recorded' },
    });
    expect((await deliver(neverRetried)).status).toBe(200);
    for (const event of lifecycle) expect((await deliver(event)).status).toBe(200);
    // Stripe redelivers (it may, at least once): still 200, still one row.
    expect(JSON.parse((await deliver(retried)).body)).toMatchObject({ outcome: 'duplicate' });

    for (const id of [retried.id, neverRetried.id, ...lifecycle.map((e) => e.id)]) {
      expect({ id, row: await inbox(id) }).toMatchObject({ id, row: { published_at: null } });
    }
    // The relay has tried (and failed) meanwhile, and says so on the row.
    await eventually(async () => ((await inbox(retried.id))?.last_publish_error ? true : undefined), {
      timeoutMs: 20_000,
      what: 'a failed relay attempt recorded',
    });
    expect((await inbox(retried.id))?.last_publish_error).toContain('could not publish');
    // The inbox/outbox covers the outage: both services stay ready (no pod restarts, no lost traffic) and say
    // Kafka is degraded, in the body and in the gauge.
    for (const [service, url] of [
      ['webhook-ingest', baseUrl],
      ['mapping-service', mappingUrl],
    ]) {
      const ready = await fetch(`${url}/health/ready`);
      expect({ service, status: ready.status }).toEqual({ service, status: 200 });
      expect(await ready.json()).toMatchObject({
        status: 'degraded',
        info: { postgres: { status: 'up' } },
        degraded: { kafka: { status: 'degraded', message: expect.any(String) } },
      });
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/^health_dependency_up\{[^}]*dependency="kafka"[^}]*\} 0$/m);
      expect(metrics).toMatch(/^health_dependency_up\{[^}]*dependency="postgres"[^}]*\} 1$/m);
    }
    // The outbox's depth and age are visible while it waits.
    const waiting = await (await fetch(`${baseUrl}/metrics`)).text();
    expect(Number(/^stripe_webhook_outbox_unpublished\{[^}]*\} (\d+)$/m.exec(waiting)?.[1])).toBeGreaterThanOrEqual(5);
    expect(Number(/^stripe_webhook_outbox_oldest_age_seconds\{[^}]*\} ([\d.]+)$/m.exec(waiting)?.[1])).toBeGreaterThan(0);

    timings.kafka_start_ms = await stack('start-service');
    kafkaStopped = false;
    const back = Date.now();

    expect(await eventually(async () => mappedCustomer('cus_outage_retried'), { timeoutMs: 30_000, what: 'retried event mapped' })).toBe(
      'client_retried',
    );
    expect(await eventually(async () => mappedCustomer('cus_outage_relayed'), { timeoutMs: 30_000, what: 'relayed event mapped' })).toBe(
      'client_relayed',
    );
    timings.both_mapped_after_broker_back_ms = Date.now() - back;
    for (const id of [retried.id, neverRetried.id, ...lifecycle.map((e) => e.id)]) {
      expect({ id, published: (await inbox(id))?.published_at != null }).toEqual({ id, published: true });
    }

    // Applied exactly once each, in delivery order: created → mapped, updated → mapped, deleted → deleted. The three
    // share one `created` second, so an out-of-order publish would be skipped (stale or deleted) and never applied:
    // one of these applied counts would fall short.
    const expectedApplied = {
      'customer.created/mapped': 4,
      'customer.updated/mapped': 1,
      'customer.deleted/deleted': 1,
    };
    const applied = await eventually(
      async () => {
        const counts = await appliedCounts();
        return counts['customer.deleted/deleted'] === 1 ? counts : undefined;
      },
      { timeoutMs: 30_000, what: 'the lifecycle applied' },
    );
    // A publish the broker wrote but did not acknowledge in time is sent again (at least once); the consumer skips the
    // copy: as a duplicate, or, for the lifecycle's `created` arriving again after its `deleted`, as deleted.
    const appliedOnce = Object.fromEntries(Object.entries(applied).filter(([key]) => !key.includes('/skipped_')));
    expect(appliedOnce).toEqual(expectedApplied);

    const lifecycleRow: { status: string; metadata: { last_event_id?: string } }[] = await dataSource.query(
      `SELECT status, metadata FROM customer_integration_mappings
        WHERE tenant_id = $1 AND environment_id = $2 AND provider_type = 'stripe' AND provider_customer_id = 'cus_outage_lifecycle'`,
      [tenant.tenantId, tenant.environmentId],
    );
    expect(lifecycleRow.map((row) => ({ status: row.status, last: row.metadata.last_event_id }))).toEqual([
      { status: 'deleted', last: lifecycle[2].id },
    ]);
  });
});
