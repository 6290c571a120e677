import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Pool } from 'pg';
import { EncryptionKeyring, generateKeyringEntry, SecretBox } from '@flexsync/crypto';
import { createKafkaClient, ensureTopics } from '@flexsync/kafka';
import { loadConfig } from '@flexsync/runtime';
import { buildCustomerObject, sendStripeWebhook, type StripeWebhookResult } from '@flexsync/stripe-emulator';
import { freePort, eventually, REPO_ROOT, stackEnv, uniqueTenant, type TestTenant } from '@flexsync/testing';
import { WebhookIngestConfig } from '../app/webhook-ingest.config';
import { createWebhookIngestHttp } from '../app/webhook-ingest.http';

/**
 * End to end on the real stack: Stripe-signed webhooks (the emulator's sender) → webhook-ingest (in process) →
 * Kafka → mapping-service (a real child process, so it can be SIGKILLed) → customer_integration_mappings.
 */
const env = stackEnv();
const suffix = randomUUID().slice(0, 8);
const TOPIC = `test.e2e.customer-events.${suffix}`;
const KEY_ID = 'e2e';
const keyEntry = generateKeyringEntry(KEY_ID);
const secretBox = new SecretBox(EncryptionKeyring.parse(keyEntry, KEY_ID));
const WEBHOOK_SECRET = `whsec_e2e_${randomUUID().replace(/-/g, '')}`;

interface MappingRow {
  provider_customer_id: string;
  customer_id: string | null;
  status: string;
  last_event_id: string | null;
}

/** mapping-service as its own OS process, started from source the way `npm start` does. */
class MappingServiceProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  readonly output: string[] = [];

  constructor(
    private readonly port: number,
    private readonly extraEnv: Record<string, string>,
  ) {}

  async start(): Promise<number> {
    const started = Date.now();
    const child = spawn(process.execPath, [join(REPO_ROOT, 'tools/dev/run-ts.js'), join(REPO_ROOT, 'apps/mapping-service/src/main.ts')], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: String(this.port), HOST: '127.0.0.1', ...this.extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        this.output.push(...chunk.toString().split('\n').filter(Boolean));
        this.output.splice(0, Math.max(0, this.output.length - 300));
      });
    }
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`mapping-service exited: ${this.output.slice(-5).join('\n')}`);
        const response = await fetch(`http://127.0.0.1:${this.port}/health/ready`).catch(() => undefined);
        return response?.status === 200 ? true : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 200, what: 'mapping-service ready' },
    );
    return Date.now() - started;
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    this.child?.kill(signal);
    await this.exited;
    this.child = undefined;
  }
}

describe('Stripe customer webhooks → Kafka → customer mappings (end to end)', () => {
  let webhookIngest: INestApplication;
  let baseUrl: string;
  let mappingService: MappingServiceProcess;
  const pool = new Pool({ connectionString: env.DATABASE_URL, max: 2 });
  const tenant = uniqueTenant('e2e_flow');
  const timings: Record<string, number> = {};

  function deliver(
    input: { type: string; id: string; created: number; customer: string; metadata?: Record<string, string> },
    options: { to?: TestTenant; secret?: string; signatureTimestamp?: number } = {},
  ): Promise<StripeWebhookResult> {
    const to = options.to ?? tenant;
    return sendStripeWebhook({
      url: `${baseUrl}/webhooks/stripe/${to.tenantId}/${to.environmentId}`,
      secret: options.secret ?? WEBHOOK_SECRET,
      signatureTimestamp: options.signatureTimestamp,
      type: input.type,
      id: input.id,
      created: input.created,
      object: buildCustomerObject({ id: input.customer, email: 'e2e@example.com', metadata: input.metadata ?? {} }),
    });
  }

  async function mappings(providerCustomerIds?: string[]): Promise<MappingRow[]> {
    const { rows } = await pool.query<MappingRow>(
      `SELECT provider_customer_id, customer_id, status, metadata->>'last_event_id' AS last_event_id
       FROM customer_integration_mappings
       WHERE tenant_id = $1 AND environment_id = $2 AND provider_type = 'stripe' ${providerCustomerIds ? 'AND provider_customer_id = ANY($3)' : ''}`,
      providerCustomerIds ? [tenant.tenantId, tenant.environmentId, providerCustomerIds] : [tenant.tenantId, tenant.environmentId],
    );
    return rows;
  }

  const eventId = (): string => `evt_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
  const now = (): number => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    await ensureTopics(createKafkaClient({ clientId: 'e2e-setup', brokers: env.KAFKA_BROKERS.split(',') }), [
      { topic: TOPIC, numPartitions: 3 },
    ]);
    const apiKey = secretBox.seal(['sk', 'test', 'e2e000000000000000000'].join('_'), { ...tenant, field: 'api_key' });
    const webhookSecret = secretBox.seal(WEBHOOK_SECRET, { ...tenant, field: 'webhook_secret' });
    await pool.query(
      `INSERT INTO stripe_tenant_configs (tenant_id, environment_id, api_key_ciphertext, api_key_key_id, api_key_masked, webhook_secret_ciphertext, webhook_secret_key_id)
       VALUES ($1, $2, $3, $4, 'sk_test_…0000', $5, $6)`,
      [tenant.tenantId, tenant.environmentId, apiKey.ciphertext, apiKey.keyId, webhookSecret.ciphertext, webhookSecret.keyId],
    );

    const config = loadConfig('webhook-ingest', WebhookIngestConfig, {
      DATABASE_URL: env.DATABASE_URL,
      KAFKA_BROKERS: env.KAFKA_BROKERS,
      KAFKA_CUSTOMER_EVENTS_TOPIC: TOPIC,
      FLEXSYNC_ENCRYPTION_KEYS: keyEntry,
      FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: KEY_ID,
      LOG_LEVEL: 'warn',
    });
    webhookIngest = await createWebhookIngestHttp(config);
    await webhookIngest.listen(0, '127.0.0.1');
    baseUrl = await webhookIngest.getUrl();
    baseUrl = baseUrl.replace('[::1]', '127.0.0.1');

    mappingService = new MappingServiceProcess(await freePort(), {
      DATABASE_URL: env.DATABASE_URL,
      KAFKA_BROKERS: env.KAFKA_BROKERS,
      KAFKA_CUSTOMER_EVENTS_TOPIC: TOPIC,
      KAFKA_CUSTOMER_EVENTS_DLQ_TOPIC: `${TOPIC}.dlq`,
      KAFKA_CUSTOMER_EVENTS_GROUP_ID: `e2e-mapping-service-${suffix}`,
      FLEXSYNC_ENCRYPTION_KEYS: keyEntry,
      FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: KEY_ID,
      // The killed process never leaves the group; the broker hands its partitions on after this long.
      KAFKA_CONSUMER_SESSION_TIMEOUT_MS: '6000',
      AUTH_JWT_SECRET: `e2e-${randomUUID()}-${randomUUID()}`,
      AUTH_JWT_ISSUER: 'flexsync-e2e',
      AUTH_JWT_AUDIENCE: 'flexsync-api',
      LOG_LEVEL: 'info',
    });
    timings.mapping_service_boot_ms = await mappingService.start();
  });

  afterAll(async () => {
    await mappingService?.kill('SIGTERM');
    await webhookIngest?.close();
    await pool.end();
    process.stdout.write(`e2e timings: ${JSON.stringify(timings)}\n`);
  });

  it('maps a customer within seconds of a signed customer.created being answered 200', async () => {
    const started = Date.now();
    const result = await deliver({
      type: 'customer.created',
      id: eventId(),
      created: now(),
      customer: 'cus_e2e_first',
      metadata: { flexprice_customer_id: 'client_123' },
    });
    timings.webhook_response_ms = Date.now() - started;
    expect(result.status).toBe(200);
    const [row] = await eventually(
      async () => {
        const found = await mappings(['cus_e2e_first']);
        return found.length === 1 ? found : undefined;
      },
      { timeoutMs: 5000, intervalMs: 25, what: 'mapping row' },
    );
    timings.webhook_to_mapping_ms = Date.now() - started;
    expect(row).toEqual({
      provider_customer_id: 'cus_e2e_first',
      customer_id: 'client_123',
      status: 'mapped',
      last_event_id: result.event.id,
    });
  });

  it('ends with one correct row when customer.created is delivered three times around a newer customer.updated', async () => {
    const t = now() - 60;
    const created = {
      type: 'customer.created',
      id: eventId(),
      created: t,
      customer: 'cus_e2e_order',
      metadata: { flexprice_customer_id: 'client_before' },
    };
    const updated = {
      type: 'customer.updated',
      id: eventId(),
      created: t + 5,
      customer: 'cus_e2e_order',
      metadata: { flexprice_customer_id: 'client_after' },
    };
    const statuses: number[] = [];
    for (const delivery of [created, updated, created, created]) statuses.push((await deliver(delivery)).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    const row = await eventually(async () => {
      const found = await mappings(['cus_e2e_order']);
      return found.length === 1 && found[0].last_event_id === updated.id ? found[0] : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await mappings(['cus_e2e_order'])).toEqual([
      { provider_customer_id: 'cus_e2e_order', customer_id: 'client_after', status: 'mapped', last_event_id: updated.id },
    ]);
    expect(row.customer_id).toBe('client_after');
    const { rows } = await pool.query(
      `SELECT count(*)::int AS n FROM stripe_webhook_events WHERE tenant_id = $1 AND environment_id = $2 AND stripe_event_id = $3`,
      [tenant.tenantId, tenant.environmentId, created.id],
    );
    expect(rows[0].n).toBe(1);
  });

  it('answers 400 to a bad signature, a stale timestamp and an unknown tenant alike (no tenant enumeration), and maps nothing for them', async () => {
    const base = { type: 'customer.created', created: now(), metadata: { flexprice_customer_id: 'client_rejected' } };
    const bad = await deliver({ ...base, id: eventId(), customer: 'cus_e2e_badsig' }, { secret: 'whsec_not_the_right_one' });
    const stale = await deliver({ ...base, id: eventId(), customer: 'cus_e2e_stale' }, { signatureTimestamp: now() - 301 });
    const unknown = await deliver({ ...base, id: eventId(), customer: 'cus_e2e_unknown' }, { to: uniqueTenant('e2e_nobody') });
    expect([bad.status, stale.status, unknown.status]).toEqual([400, 400, 400]);
    expect(unknown.body).toEqual(bad.body);
    const probe = await deliver({ ...base, id: eventId(), customer: 'cus_e2e_probe', metadata: { flexprice_customer_id: 'client_probe' } });
    expect(probe.status).toBe(200);
    await eventually(async () => ((await mappings(['cus_e2e_probe'])).length === 1 ? true : undefined));
    expect(await mappings(['cus_e2e_badsig', 'cus_e2e_stale', 'cus_e2e_unknown'])).toEqual([]);
  });

  it('applies every event exactly once when the consumer is SIGKILLed mid-stream and restarted', async () => {
    const customers = Array.from({ length: 40 }, (_, i) => `cus_e2e_kill_${String(i).padStart(2, '0')}`);
    const t = now() - 120;
    const finalEvent = new Map<string, string>();
    let delivered = 0;
    let killedAt = -1;
    let rowsAtKill = -1;
    const sendAll = (async () => {
      for (const [i, customer] of customers.entries()) {
        const created = {
          type: 'customer.created',
          id: eventId(),
          created: t,
          customer,
          metadata: { flexprice_customer_id: `client_kill_${i}_v1` },
        };
        const updated = {
          type: 'customer.updated',
          id: eventId(),
          created: t + 1,
          customer,
          metadata: { flexprice_customer_id: `client_kill_${i}_v2` },
        };
        finalEvent.set(customer, updated.id);
        for (const delivery of [created, updated]) {
          const result = await deliver(delivery);
          if (result.status !== 200) throw new Error(`delivery ${delivery.id} answered ${result.status}`);
          delivered += 1;
        }
      }
    })();

    await eventually(async () => ((await mappings(customers)).length >= 8 ? true : undefined), { timeoutMs: 15_000, intervalMs: 20 });
    await mappingService.kill('SIGKILL');
    killedAt = delivered;
    rowsAtKill = (await mappings(customers)).length;
    await sendAll;
    const restartStarted = Date.now();
    timings.mapping_service_restart_ms = await mappingService.start();

    const rows = await eventually(
      async () => {
        const found = await mappings(customers);
        return found.length === customers.length && found.every((row) => row.last_event_id === finalEvent.get(row.provider_customer_id))
          ? found
          : undefined;
      },
      { timeoutMs: 25_000, what: 'every customer at its final event' },
    ).catch((error: unknown) => {
      process.stdout.write(`mapping-service output:\n${mappingService.output.slice(-40).join('\n')}\n`);
      throw error;
    });
    timings.catch_up_after_restart_ms = Date.now() - restartStarted;
    expect(killedAt).toBeLessThan(customers.length * 2);
    expect(rowsAtKill).toBeLessThan(customers.length);
    expect(rows).toHaveLength(customers.length);
    for (const row of rows) {
      const index = Number(row.provider_customer_id.slice(-2));
      expect(row).toMatchObject({ customer_id: `client_kill_${index}_v2`, status: 'mapped' });
    }
    const { rows: dupes } = await pool.query(
      `SELECT provider_customer_id FROM customer_integration_mappings WHERE tenant_id = $1 AND environment_id = $2 GROUP BY provider_customer_id HAVING count(*) > 1`,
      [tenant.tenantId, tenant.environmentId],
    );
    expect(dupes).toEqual([]);
    timings.killed_after_deliveries = killedAt;
    timings.rows_at_kill = rowsAtKill;
  });
});
