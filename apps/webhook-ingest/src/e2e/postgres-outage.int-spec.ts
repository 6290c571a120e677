import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { EncryptionKeyring, generateKeyringEntry, SecretBox } from '@flexsync/crypto';
import { createKafkaClient, ensureTopics } from '@flexsync/kafka';
import { loadConfig } from '@flexsync/runtime';
import { buildCustomerObject, sendStripeWebhook, type StripeWebhookResult } from '@flexsync/stripe-emulator';
import { eventually, REPO_ROOT, stackEnv, uniqueTenant } from '@flexsync/testing';
import { WebhookIngestConfig } from '../app/webhook-ingest.config';
import { createWebhookIngestHttp } from '../app/webhook-ingest.http';

/**
 * webhook-ingest answers 2xx only for what is durable: with Postgres down a delivery gets 503 (Stripe retries), even
 * though its signing secret is cached and Kafka is up; once Postgres is back the retry is recorded and published.
 * Stops and starts the stack's Postgres, so it restores it whatever happens.
 */
const run = promisify(execFile);
const env = stackEnv();
const suffix = randomUUID().slice(0, 8);
const TOPIC = `test.e2e.pg-outage.${suffix}`;
const KEY_ID = 'pgoutage';
const keyEntry = generateKeyringEntry(KEY_ID);
const secretBox = new SecretBox(EncryptionKeyring.parse(keyEntry, KEY_ID));
const WEBHOOK_SECRET = `whsec_pgoutage_${randomUUID().replace(/-/g, '')}`;

async function stack(command: 'stop-service' | 'start-service'): Promise<void> {
  await run('bash', [join(REPO_ROOT, 'tools/stack/stack.sh'), command, 'postgres'], { cwd: REPO_ROOT, timeout: 120_000 });
}

describe('Postgres outage during webhook delivery (end to end)', () => {
  let app: INestApplication;
  let baseUrl: string;
  let dataSource: DataSource;
  let postgresStopped = false;
  const tenant = uniqueTenant('e2e_pg_outage');
  const now = (): number => Math.floor(Date.now() / 1000);

  function deliver(id: string, customer: string): Promise<StripeWebhookResult> {
    return sendStripeWebhook({
      url: `${baseUrl}/webhooks/stripe/${tenant.tenantId}/${tenant.environmentId}`,
      secret: WEBHOOK_SECRET,
      type: 'customer.created',
      id,
      created: now(),
      object: buildCustomerObject({ id: customer, metadata: { flexprice_customer_id: `client_${customer}` } }),
      timeoutMs: 15_000,
    });
  }

  async function inbox(eventId: string): Promise<{ published_at: Date | null } | undefined> {
    const rows: { published_at: Date | null }[] = await dataSource.query(
      `SELECT published_at FROM stripe_webhook_events WHERE tenant_id = $1 AND environment_id = $2 AND stripe_event_id = $3`,
      [tenant.tenantId, tenant.environmentId, eventId],
    );
    return rows[0];
  }

  beforeAll(async () => {
    await ensureTopics(createKafkaClient({ clientId: 'pg-outage-setup', brokers: env.KAFKA_BROKERS.split(',') }), [
      { topic: TOPIC, numPartitions: 1 },
    ]);
    const config = loadConfig('webhook-ingest', WebhookIngestConfig, {
      DATABASE_URL: env.DATABASE_URL,
      KAFKA_BROKERS: env.KAFKA_BROKERS,
      KAFKA_CUSTOMER_EVENTS_TOPIC: TOPIC,
      HEALTH_CHECK_TIMEOUT_MS: '1000',
      FLEXSYNC_ENCRYPTION_KEYS: keyEntry,
      FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: KEY_ID,
      LOG_LEVEL: 'error',
    });
    app = await createWebhookIngestHttp(config);
    await app.listen(0, '127.0.0.1');
    baseUrl = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    dataSource = app.get(DataSource);
    const apiKey = secretBox.seal(['sk', 'test', 'pgoutage00000000000000'].join('_'), { ...tenant, field: 'api_key' });
    const secret = secretBox.seal(WEBHOOK_SECRET, { ...tenant, field: 'webhook_secret' });
    await dataSource.query(
      `INSERT INTO stripe_tenant_configs (tenant_id, environment_id, api_key_ciphertext, api_key_key_id, api_key_masked, webhook_secret_ciphertext, webhook_secret_key_id)
       VALUES ($1, $2, $3, $4, 'sk_test_…0000', $5, $6)`,
      [tenant.tenantId, tenant.environmentId, apiKey.ciphertext, apiKey.keyId, secret.ciphertext, secret.keyId],
    );
  });

  afterAll(async () => {
    if (postgresStopped) await stack('start-service');
    await app?.close();
  });

  it('answers 503 while Postgres is down (nothing is accepted that is not durable), and records and publishes the retry once it is back', async () => {
    // Warms the signing-secret cache, so the outage is met at the inbox write, not at the secret lookup.
    expect((await deliver(`evt_pgwarm_${suffix}`, 'cus_pg_warm')).status).toBe(200);

    postgresStopped = true;
    await stack('stop-service');
    const eventId = `evt_pgdown_${suffix}`;
    const refused = await deliver(eventId, 'cus_pg_down');
    expect({ status: refused.status, code: (JSON.parse(refused.body) as { code?: string }).code }).toEqual({
      status: 503,
      code: 'WEBHOOK.UNAVAILABLE',
    });
    expect((await fetch(`${baseUrl}/health/ready`)).status).toBe(503);

    await stack('start-service');
    postgresStopped = false;
    // Once the database answers again: the refused delivery left no row (it was never acknowledged as accepted).
    const afterOutage = await eventually(
      async () =>
        inbox(eventId).then(
          (row) => ({ row }),
          () => undefined,
        ),
      {
        timeoutMs: 30_000,
        what: 'Postgres answering again',
      },
    );
    expect(afterOutage.row).toBeUndefined();

    const retry = await eventually(
      async () => {
        const result = await deliver(eventId, 'cus_pg_down');
        return result.status === 200 ? result : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'the retry to be accepted' },
    );
    expect(JSON.parse(retry.body)).toEqual({ received: true, event_id: eventId, outcome: 'recorded' });
    await eventually(async () => ((await inbox(eventId))?.published_at ? true : undefined), {
      timeoutMs: 15_000,
      what: 'the retried event published',
    });
  });
});
