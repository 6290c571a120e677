import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { EncryptionKeyring, generateKeyringEntry, SecretBox } from '@flexsync/crypto';
import { createKafkaClient, ensureTopics } from '@flexsync/kafka';
import { loadConfig } from '@flexsync/runtime';
import { stackEnv, uniqueTenant, type TestTenant } from '@flexsync/testing';
import { WebhookIngestConfig } from '../webhook-ingest.config';
import { createWebhookIngestHttp } from '../webhook-ingest.http';
import { PurgeWebhookPayloads } from './purge-webhook-payloads/purge-webhook-payloads.use-case';

const env = stackEnv();
const KEY_ID = 'k1';
const keyEntry = generateKeyringEntry(KEY_ID);
const secretBox = new SecretBox(EncryptionKeyring.parse(keyEntry, KEY_ID));
const GLOBAL_SECRET = `whsec_global_${randomUUID().replace(/-/g, '')}`;
const TOPIC = `test.webhook-ingest.binding.${randomUUID().slice(0, 8)}`;
const ACCOUNT = 'acct_bindingTenant01';
const RETENTION_SECONDS = 3600;

function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `evt_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: 'cus_binding', object: 'customer', email: 'person@example.com', metadata: { flexprice_customer_id: 'c1' } } },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: 'customer.created',
    ...overrides,
  };
}

function sign(payload: string, secret: string): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: Math.floor(Date.now() / 1000) });
}

async function startApp(extra: Record<string, string> = {}): Promise<INestApplication> {
  const config = loadConfig('webhook-ingest', WebhookIngestConfig, {
    DATABASE_URL: env.DATABASE_URL,
    KAFKA_BROKERS: env.KAFKA_BROKERS,
    KAFKA_CUSTOMER_EVENTS_TOPIC: TOPIC,
    // Set, but not development and not explicitly allowed: it must not verify anything.
    STRIPE_WEBHOOK_SECRET: GLOBAL_SECRET,
    NODE_ENV: 'production',
    FLEXSYNC_ENCRYPTION_KEYS: keyEntry,
    FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: KEY_ID,
    WEBHOOK_PAYLOAD_RETENTION_SECONDS: String(RETENTION_SECONDS),
    LOG_LEVEL: 'silent',
    ...extra,
  });
  const app = await createWebhookIngestHttp(config);
  await app.init();
  return app;
}

describe('webhook deliveries bound to the tenant (real Postgres and Kafka)', () => {
  let app: INestApplication;
  let dataSource: DataSource;
  const tenant = uniqueTenant('wh_bound');
  const secret = `whsec_bound_${randomUUID().replace(/-/g, '')}`;
  const withoutSecret = uniqueTenant('wh_bound_nosecret');

  async function seedConfig(scope: TestTenant, webhookSecret: string | null): Promise<void> {
    const apiKey = secretBox.seal(['sk', 'test', 'bindingkey000000000'].join('_'), { ...scope, field: 'api_key' });
    const sealed = webhookSecret ? secretBox.seal(webhookSecret, { ...scope, field: 'webhook_secret' }) : null;
    await dataSource.query(
      `INSERT INTO stripe_tenant_configs (tenant_id, environment_id, api_key_ciphertext, api_key_key_id, api_key_masked,
                                          webhook_secret_ciphertext, webhook_secret_key_id, livemode, stripe_account_id)
       VALUES ($1, $2, $3, $4, 'sk_test_…0000', $5, $6, false, $7)`,
      [scope.tenantId, scope.environmentId, apiKey.ciphertext, apiKey.keyId, sealed?.ciphertext ?? null, sealed?.keyId ?? null, ACCOUNT],
    );
  }

  function post(scope: TestTenant, payload: string, signature: string, server = app): request.Test {
    return request(server.getHttpServer())
      .post(`/webhooks/stripe/${scope.tenantId}/${scope.environmentId}`)
      .set('Content-Type', 'application/json')
      .set('Stripe-Signature', signature)
      .send(payload);
  }

  async function inboxCount(scope: TestTenant, eventId: string): Promise<number> {
    const rows: { n: number }[] = await dataSource.query(
      `SELECT count(*)::int AS n FROM stripe_webhook_events WHERE tenant_id = $1 AND environment_id = $2 AND stripe_event_id = $3`,
      [scope.tenantId, scope.environmentId, eventId],
    );
    return rows[0].n;
  }

  beforeAll(async () => {
    await ensureTopics(createKafkaClient({ clientId: 'binding-setup', brokers: env.KAFKA_BROKERS.split(',') }), [
      { topic: TOPIC, numPartitions: 1 },
    ]);
    app = await startApp();
    dataSource = app.get(DataSource);
    await seedConfig(tenant, secret);
    await seedConfig(withoutSecret, null);
  });

  afterAll(async () => {
    // The row inserted unpublished must not reach another spec's relay (the outbox is shared by every tenant).
    await dataSource?.query(
      `UPDATE stripe_webhook_events SET published_at = now() WHERE tenant_id = $1 AND environment_id = $2 AND published_at IS NULL`,
      [tenant.tenantId, tenant.environmentId],
    );
    await app?.close();
  });

  it('refuses a livemode delivery to a test-mode tenant, records nothing, and counts it', async () => {
    const live = event({ livemode: true });
    const payload = JSON.stringify(live);
    const response = await post(tenant, payload, sign(payload, secret)).expect(400);
    expect(response.body).toMatchObject({ code: 'REQUEST.INVALID', details: [{ field: 'livemode', reason: expect.any(String) }] });
    expect(await inboxCount(tenant, live.id as string)).toBe(0);
    const metrics = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/stripe_webhooks_rejected_total\{reason="livemode_mismatch",service="webhook-ingest"\} [1-9]/);
  });

  it("refuses a delivery naming another Stripe account, and accepts one naming the tenant's own", async () => {
    const foreign = event({ account: 'acct_someoneElse999' });
    const foreignPayload = JSON.stringify(foreign);
    const refused = await post(tenant, foreignPayload, sign(foreignPayload, secret)).expect(400);
    expect(refused.body).toMatchObject({ details: [{ field: 'account' }] });
    expect(await inboxCount(tenant, foreign.id as string)).toBe(0);

    const own = event({ account: ACCOUNT });
    const ownPayload = JSON.stringify(own);
    await post(tenant, ownPayload, sign(ownPayload, secret)).expect(200);
    expect(await inboxCount(tenant, own.id as string)).toBe(1);
    const metrics = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/stripe_webhooks_rejected_total\{reason="account_mismatch",service="webhook-ingest"\} [1-9]/);
  });

  it('answers an unknown tenant exactly as a known tenant with a bad signature', async () => {
    const payload = JSON.stringify(event());
    const forged = sign(payload, `whsec_forged_${randomUUID()}`);
    const answers = [
      await post(tenant, payload, forged),
      await post(uniqueTenant('wh_nobody'), payload, forged),
      await post({ tenantId: tenant.tenantId, environmentId: 'env_nope' }, payload, forged),
      await post({ tenantId: 't'.repeat(300), environmentId: 'env' }, payload, forged),
    ];
    const shape = (response: request.Response) => ({
      status: response.status,
      body: response.body,
      type: response.headers['content-type'],
    });
    for (const answer of answers) expect(shape(answer)).toEqual(shape(answers[0]));
    expect(answers[0].status).toBe(400);
    expect(answers[0].body).toEqual({
      code: 'WEBHOOK.INVALID_SIGNATURE',
      message: 'the Stripe-Signature header does not verify for this payload',
    });
  });

  it("refuses a delivery to a tenant whose row holds another tenant's sealed webhook secret (503, nothing recorded)", async () => {
    const victim = uniqueTenant('wh_bound_victim');
    await seedConfig(victim, `whsec_victim_${randomUUID().replace(/-/g, '')}`);
    await dataSource.query(
      `UPDATE stripe_tenant_configs AS victim
          SET webhook_secret_ciphertext = source.webhook_secret_ciphertext, webhook_secret_key_id = source.webhook_secret_key_id
         FROM stripe_tenant_configs AS source
        WHERE victim.tenant_id = $1 AND victim.environment_id = $2 AND source.tenant_id = $3 AND source.environment_id = $4`,
      [victim.tenantId, victim.environmentId, tenant.tenantId, tenant.environmentId],
    );
    const delivery = event();
    const payload = JSON.stringify(delivery);
    const response = await post(victim, payload, sign(payload, secret)).expect(503);
    expect(response.text).not.toContain(secret);
    expect(await inboxCount(victim, delivery.id as string)).toBe(0);
  });

  it('does not verify with the shared global secret outside development', async () => {
    const delivery = event();
    const payload = JSON.stringify(delivery);
    await post(withoutSecret, payload, sign(payload, GLOBAL_SECRET)).expect(400);
    expect(await inboxCount(withoutSecret, delivery.id as string)).toBe(0);
  });

  it('labels event types outside the allow-list as other', async () => {
    const odd = event({ type: `made_up.${randomUUID().slice(0, 8)}`, data: { object: { id: 'x_1', object: 'thing' } } });
    const payload = JSON.stringify(odd);
    await post(tenant, payload, sign(payload, secret)).expect(200);
    const metrics = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(metrics.text).not.toContain(odd.type as string);
    expect(metrics.text).toMatch(/stripe_webhooks_unhandled_total\{event_type="other",service="webhook-ingest"\} [1-9]/);
  });

  it('purges personal data past the retention and keeps dedupe by event id', async () => {
    const old = event();
    const young = event();
    const unpublished = event();
    const insert = (e: Record<string, unknown>, publishedAgo: string | null, receivedAgo: string) =>
      dataSource.query(
        `INSERT INTO stripe_webhook_events (tenant_id, environment_id, stripe_event_id, event_type, stripe_created, payload, received_at, published_at)
         VALUES ($1, $2, $3, $4, $5, $6, now() - $7::interval, ${publishedAgo ? 'now() - $8::interval' : 'NULL'})`,
        [
          tenant.tenantId,
          tenant.environmentId,
          e.id,
          e.type,
          e.created,
          JSON.stringify(e),
          receivedAgo,
          ...(publishedAgo ? [publishedAgo] : []),
        ],
      );
    await insert(old, '2 hours', '2 hours');
    await insert(young, '10 minutes', '10 minutes');
    await insert(unpublished, null, '2 hours');

    // One run purges one batch across all tenants; the shared test database may hold older rows of other specs, so
    // run it as the schedule would, until a run finds nothing more to purge.
    const purge = app.get(PurgeWebhookPayloads);
    let purged = 0;
    for (let run = await purge.execute(); run.purged > 0; run = await purge.execute()) purged += run.purged;
    expect(purged).toBeGreaterThanOrEqual(1);

    const rows: { stripe_event_id: string; payload: unknown; payload_purged_at: Date | null }[] = await dataSource.query(
      `SELECT stripe_event_id, payload, payload_purged_at FROM stripe_webhook_events WHERE tenant_id = $1 AND environment_id = $2 AND stripe_event_id = ANY($3)`,
      [tenant.tenantId, tenant.environmentId, [old.id, young.id, unpublished.id]],
    );
    const byId = new Map(rows.map((row) => [row.stripe_event_id, row]));
    expect(byId.get(old.id as string)).toMatchObject({ payload: null, payload_purged_at: expect.any(Date) });
    expect(JSON.stringify(byId.get(old.id as string))).not.toContain('person@example.com');
    expect(byId.get(young.id as string)?.payload).not.toBeNull();
    expect(byId.get(unpublished.id as string)?.payload).not.toBeNull();

    // Stripe redelivers the purged event: still recognised as already received, still one row.
    const payload = JSON.stringify(old);
    const again = await post(tenant, payload, sign(payload, secret)).expect(200);
    expect(again.body).toEqual({ received: true, event_id: old.id, outcome: 'duplicate' });
    expect(await inboxCount(tenant, old.id as string)).toBe(1);
    const metrics = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/stripe_webhook_payloads_purged_total\{service="webhook-ingest"\} [1-9]/);
  });

  it('limits failed deliveries per source address, then answers 429 without looking anything up', async () => {
    const limited = await startApp({ WEBHOOK_FAILURES_PER_MINUTE_PER_SOURCE: '3' });
    try {
      const payload = JSON.stringify(event());
      const forged = sign(payload, `whsec_forged_${randomUUID()}`);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1) statuses.push((await post(uniqueTenant('wh_scan'), payload, forged, limited)).status);
      expect(statuses).toEqual([400, 400, 400, 429, 429]);
    } finally {
      await limited.close();
    }
  });
});
