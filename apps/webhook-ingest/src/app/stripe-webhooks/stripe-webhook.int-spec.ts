import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { EncryptionKeyring, generateKeyringEntry, SecretBox } from '@flexsync/crypto';
import {
  createKafkaClient,
  ensureTopics,
  KafkaMessageConsumer,
  KafkaPublisher,
  STRIPE_CUSTOMER_EVENT_SCHEMA_VERSION,
  type ConsumedMessage,
  type StripeCustomerEventMessage,
} from '@flexsync/kafka';
import { loadConfig } from '@flexsync/runtime';
import { eventually, stackEnv, uniqueTenant, type TestTenant } from '@flexsync/testing';
import { WebhookIngestConfig } from '../webhook-ingest.config';
import { createWebhookIngestHttp } from '../webhook-ingest.http';

const env = stackEnv();
const KEY_ID = 'k1';
const keyEntry = generateKeyringEntry(KEY_ID);
const secretBox = new SecretBox(EncryptionKeyring.parse(keyEntry, KEY_ID));
const GLOBAL_SECRET = `whsec_global_${randomUUID().replace(/-/g, '')}`;
const suffix = randomUUID().slice(0, 8);
const TOPIC = `test.webhook-ingest.customer-events.${suffix}`;

function customerEvent(
  type: string,
  customer: { id: string; metadata?: Record<string, string> },
  overrides: { id?: string; created?: number } = {},
): Record<string, unknown> {
  return {
    id: overrides.id ?? `evt_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
    object: 'event',
    api_version: '2026-10-28.endive',
    created: overrides.created ?? Math.floor(Date.now() / 1000),
    data: { object: { id: customer.id, object: 'customer', email: 'someone@example.com', metadata: customer.metadata ?? {} } },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}

function sign(payload: string, secret: string, timestamp = Math.floor(Date.now() / 1000)): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
}

describe('POST /webhooks/stripe/:tenant_id/:environment_id (real Postgres and Kafka)', () => {
  let app: INestApplication;
  let dataSource: DataSource;
  const kafka = createKafkaClient({ clientId: 'webhook-ingest-int-spec', brokers: env.KAFKA_BROKERS.split(',') });
  const deadLetters = new KafkaPublisher(kafka);
  const published: ConsumedMessage[] = [];
  let reader: KafkaMessageConsumer;

  const withOwnSecret = uniqueTenant('wh_own');
  const ownSecret = `whsec_own_${randomUUID().replace(/-/g, '')}`;
  const withGlobalSecret = uniqueTenant('wh_global');

  async function seedConfig(tenant: TestTenant, webhookSecret: string | null): Promise<void> {
    const apiKey = secretBox.seal(['sk', 'test', 'notarealkey0000000000'].join('_'), { ...tenant, field: 'api_key' });
    const sealed = webhookSecret ? secretBox.seal(webhookSecret, { ...tenant, field: 'webhook_secret' }) : null;
    await dataSource.query(
      `INSERT INTO stripe_tenant_configs (tenant_id, environment_id, api_key_ciphertext, api_key_key_id, api_key_masked, webhook_secret_ciphertext, webhook_secret_key_id)
       VALUES ($1, $2, $3, $4, 'sk_test_…0000', $5, $6)
       ON CONFLICT (tenant_id, environment_id) DO UPDATE SET webhook_secret_ciphertext = EXCLUDED.webhook_secret_ciphertext, webhook_secret_key_id = EXCLUDED.webhook_secret_key_id`,
      [tenant.tenantId, tenant.environmentId, apiKey.ciphertext, apiKey.keyId, sealed?.ciphertext ?? null, sealed?.keyId ?? null],
    );
  }

  function post(tenant: TestTenant, payload: string, signature?: string): request.Test {
    const call = request(app.getHttpServer())
      .post(`/webhooks/stripe/${tenant.tenantId}/${tenant.environmentId}`)
      .set('Content-Type', 'application/json; charset=utf-8');
    if (signature !== undefined) call.set('Stripe-Signature', signature);
    return call.send(payload);
  }

  async function inboxRows(
    tenant: TestTenant,
    eventId?: string,
  ): Promise<{ stripe_event_id: string; published_at: Date | null; publish_attempts: number }[]> {
    return dataSource.query(
      `SELECT stripe_event_id, published_at, publish_attempts FROM stripe_webhook_events WHERE tenant_id = $1 AND environment_id = $2 ${eventId ? 'AND stripe_event_id = $3' : ''}`,
      eventId ? [tenant.tenantId, tenant.environmentId, eventId] : [tenant.tenantId, tenant.environmentId],
    );
  }

  function messagesFor(eventId: string): StripeCustomerEventMessage[] {
    return published
      .map((m) => JSON.parse(m.value?.toString() ?? '{}') as StripeCustomerEventMessage)
      .filter((m) => m.stripe_event_id === eventId);
  }

  beforeAll(async () => {
    await ensureTopics(kafka, [{ topic: TOPIC, numPartitions: 3 }]);
    const config = loadConfig('webhook-ingest', WebhookIngestConfig, {
      DATABASE_URL: env.DATABASE_URL,
      KAFKA_BROKERS: env.KAFKA_BROKERS,
      KAFKA_CUSTOMER_EVENTS_TOPIC: TOPIC,
      STRIPE_WEBHOOK_SECRET: GLOBAL_SECRET,
      // These tests cover the shared secret's behaviour; outside development it needs this explicit opt-in.
      STRIPE_WEBHOOK_GLOBAL_SECRET_ALLOWED: 'true',
      // The rotation test re-signs at once; production waits WEBHOOK_SECRET_REREAD_MIN_INTERVAL_MS between re-reads.
      WEBHOOK_SECRET_REREAD_MIN_INTERVAL_MS: '0',
      FLEXSYNC_ENCRYPTION_KEYS: keyEntry,
      FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: KEY_ID,
      HTTP_BODY_LIMIT_BYTES: String(64 * 1024),
      OUTBOX_RELAY_INTERVAL_MS: '200',
      LOG_LEVEL: 'warn',
    });
    app = await createWebhookIngestHttp(config);
    await app.init();
    dataSource = app.get(DataSource);
    await seedConfig(withOwnSecret, ownSecret);
    await seedConfig(withGlobalSecret, null);

    reader = new KafkaMessageConsumer(kafka, {
      groupId: `webhook-ingest-int-spec-${suffix}`,
      topics: [TOPIC],
      deadLetterTopic: `${TOPIC}.dlq`,
      deadLetterPublisher: deadLetters,
      handler: async (message) => {
        published.push(message);
      },
    });
    await reader.start();
  });

  afterAll(async () => {
    await reader?.stop();
    await deadLetters.disconnect();
    await app?.close();
  });

  it('answers 200 once a signed customer.created is recorded, then publishes it keyed by tenant:environment:customer', async () => {
    const event = customerEvent('customer.created', { id: 'cus_created1', metadata: { flexprice_customer_id: 'client_123' } });
    const payload = JSON.stringify(event, null, 2);

    const response = await post(withOwnSecret, payload, sign(payload, ownSecret)).expect(200);

    expect(response.body).toEqual({ received: true, event_id: event.id, outcome: 'recorded' });
    expect(await inboxRows(withOwnSecret, event.id as string)).toHaveLength(1);
    const [message] = await eventually(async () => {
      const found = messagesFor(event.id as string);
      return found.length > 0 ? found : undefined;
    });
    expect(message).toEqual({
      schema_version: STRIPE_CUSTOMER_EVENT_SCHEMA_VERSION,
      tenant_id: withOwnSecret.tenantId,
      environment_id: withOwnSecret.environmentId,
      stripe_event_id: event.id,
      event_type: 'customer.created',
      stripe_created: event.created,
      livemode: false,
      customer: { id: 'cus_created1', metadata: { flexprice_customer_id: 'client_123' }, deleted: false },
    });
    const raw = published.find((m) => m.headers['stripe-event-id'] === event.id);
    expect(raw?.key).toBe(`${withOwnSecret.tenantId}:${withOwnSecret.environmentId}:cus_created1`);
    const [row] = await eventually(async () => {
      const rows = await inboxRows(withOwnSecret, event.id as string);
      return rows[0]?.published_at ? rows : undefined;
    });
    expect(row.publish_attempts).toBe(1);
  });

  it("publishes one customer's created, updated and deleted in the order their deliveries were answered", async () => {
    const created = Math.floor(Date.now() / 1000);
    const customer = { id: 'cus_lifecycle', metadata: { flexprice_customer_id: 'client_lifecycle' } };
    const events = ['customer.created', 'customer.updated', 'customer.deleted'].map((type) => customerEvent(type, customer, { created }));
    for (const event of events) {
      const payload = JSON.stringify(event);
      await post(withOwnSecret, payload, sign(payload, ownSecret)).expect(200);
    }
    const key = `${withOwnSecret.tenantId}:${withOwnSecret.environmentId}:cus_lifecycle`;
    const order = await eventually(async () => {
      const seen = published.filter((m) => m.key === key).map((m) => m.headers['stripe-event-id']);
      return seen.length >= 3 ? seen : undefined;
    });
    expect(order).toEqual(events.map((event) => event.id));
  });

  it('answers 200 to every redelivery of an event but records and publishes it once', async () => {
    const event = customerEvent('customer.created', { id: 'cus_dup', metadata: { flexprice_customer_id: 'client_dup' } });
    const payload = JSON.stringify(event);
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const response = await post(withOwnSecret, payload, sign(payload, ownSecret)).expect(200);
      outcomes.push((response.body as { outcome: string }).outcome);
    }
    expect(outcomes).toEqual(['recorded', 'duplicate', 'duplicate']);
    expect(await inboxRows(withOwnSecret, event.id as string)).toHaveLength(1);
    await eventually(async () => (messagesFor(event.id as string).length > 0 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(messagesFor(event.id as string)).toHaveLength(1);
  });

  it('records a burst of concurrent deliveries (written together) once each, the same event sent twice in it included', async () => {
    const events = Array.from({ length: 12 }, (_, i) =>
      customerEvent('customer.created', { id: `cus_burst${i}`, metadata: { flexprice_customer_id: `client_burst${i}` } }),
    );
    const deliveries = [...events, events[0], events[5]].map((event) => JSON.stringify(event));
    const responses = await Promise.all(deliveries.map((payload) => post(withOwnSecret, payload, sign(payload, ownSecret))));
    expect(responses.map((response) => response.status)).toEqual(deliveries.map(() => 200));
    const outcomes = new Map<string, string[]>();
    for (const response of responses) {
      const body = response.body as { event_id: string; outcome: string };
      outcomes.set(body.event_id, [...(outcomes.get(body.event_id) ?? []), body.outcome].sort());
    }
    expect(outcomes.get(events[0].id as string)).toEqual(['duplicate', 'recorded']);
    expect(outcomes.get(events[5].id as string)).toEqual(['duplicate', 'recorded']);
    for (const event of events) {
      expect({ id: event.id, rows: (await inboxRows(withOwnSecret, event.id as string)).length }).toEqual({ id: event.id, rows: 1 });
    }
    await eventually(async () => (events.every((event) => messagesFor(event.id as string).length > 0) ? true : undefined));
  });

  it('verifies with the global STRIPE_WEBHOOK_SECRET when the tenant has no secret of its own, and only then', async () => {
    const event = customerEvent('customer.updated', { id: 'cus_global', metadata: {} });
    const payload = JSON.stringify(event);
    await post(withGlobalSecret, payload, sign(payload, GLOBAL_SECRET)).expect(200);
    await post(withOwnSecret, payload, sign(payload, GLOBAL_SECRET)).expect(400);
  });

  it('refuses a delivery signed with the global secret that was already recorded for another tenant (a replay), and records nothing', async () => {
    const other = uniqueTenant('wh_global_other');
    await seedConfig(other, null);
    const event = customerEvent('customer.created', { id: 'cus_replayed', metadata: { flexprice_customer_id: 'client_replayed' } });
    const payload = JSON.stringify(event);
    const signature = sign(payload, GLOBAL_SECRET);
    await post(withGlobalSecret, payload, signature).expect(200);
    const replay = await post(other, payload, signature).expect(400);
    expect(replay.body.code).toBe('WEBHOOK.INVALID_SIGNATURE');
    const recorded: unknown[] = await dataSource.query(
      `SELECT 1 FROM stripe_webhook_events WHERE tenant_id = $1 AND environment_id = $2 AND stripe_event_id = $3`,
      [other.tenantId, other.environmentId, event.id],
    );
    expect(recorded).toHaveLength(0);
    await post(withGlobalSecret, payload, signature).expect(200);
  });

  it('accepts a delivery signed with the old and the new secret while a secret is rolled, and a secret changed since it was cached', async () => {
    const event = customerEvent('customer.updated', { id: 'cus_roll', metadata: {} });
    const payload = JSON.stringify(event);
    const timestamp = Math.floor(Date.now() / 1000);
    const both = `${sign(payload, 'whsec_some_old_secret_value', timestamp)},v1=${sign(payload, ownSecret, timestamp).split('v1=')[1]}`;
    await post(withOwnSecret, payload, both).expect(200);

    const rotating = uniqueTenant('wh_rotate');
    await seedConfig(rotating, 'whsec_first_secret_value_000');
    const first = JSON.stringify(customerEvent('customer.updated', { id: 'cus_rot1' }));
    await post(rotating, first, sign(first, 'whsec_first_secret_value_000')).expect(200);
    await seedConfig(rotating, 'whsec_second_secret_value_00');
    const second = JSON.stringify(customerEvent('customer.updated', { id: 'cus_rot2' }));
    await post(rotating, second, sign(second, 'whsec_second_secret_value_00')).expect(200);
  });

  it('rejects a bad signature, a missing signature and a tampered body with 400 and records nothing', async () => {
    const event = customerEvent('customer.created', { id: 'cus_bad', metadata: { flexprice_customer_id: 'client_bad' } });
    const payload = JSON.stringify(event);

    const bad = await post(withOwnSecret, payload, sign(payload, 'whsec_wrong_secret_value')).expect(400);
    const missing = await post(withOwnSecret, payload).expect(400);
    const tampered = await post(withOwnSecret, payload.replace('client_bad', 'client_evil'), sign(payload, ownSecret)).expect(400);
    const garbage = await post(withOwnSecret, payload, 't=abc,v1=zz').expect(400);

    for (const response of [bad, missing, tampered, garbage]) {
      expect(response.body).toEqual({
        code: 'WEBHOOK.INVALID_SIGNATURE',
        message: 'the Stripe-Signature header does not verify for this payload',
      });
    }
    expect(await inboxRows(withOwnSecret, event.id as string)).toHaveLength(0);
  });

  it('rejects a correctly signed delivery whose timestamp is older than 300 seconds with the same 400', async () => {
    const event = customerEvent('customer.created', { id: 'cus_stale' });
    const payload = JSON.stringify(event);
    const stale = await post(withOwnSecret, payload, sign(payload, ownSecret, Math.floor(Date.now() / 1000) - 301)).expect(400);
    expect(stale.body).toEqual({
      code: 'WEBHOOK.INVALID_SIGNATURE',
      message: 'the Stripe-Signature header does not verify for this payload',
    });
    await post(withOwnSecret, payload, sign(payload, ownSecret, Math.floor(Date.now() / 1000) - 290)).expect(200);
  });

  it('answers an unknown tenant, an unknown environment of a known tenant and an impossible id as a bad signature', async () => {
    const payload = JSON.stringify(customerEvent('customer.created', { id: 'cus_404' }));
    const signature = sign(payload, GLOBAL_SECRET);
    const unknown = await post(uniqueTenant('wh_nobody'), payload, signature).expect(400);
    const otherEnv = await post({ tenantId: withOwnSecret.tenantId, environmentId: 'env_nope' }, payload, signature).expect(400);
    const impossible = await request(app.getHttpServer())
      .post(`/webhooks/stripe/${'t'.repeat(300)}/env`)
      .set('Content-Type', 'application/json')
      .set('Stripe-Signature', signature)
      .send(payload)
      .expect(400);
    for (const response of [unknown, otherEnv, impossible]) {
      expect(response.body).toEqual({
        code: 'WEBHOOK.INVALID_SIGNATURE',
        message: 'the Stripe-Signature header does not verify for this payload',
      });
    }
  });

  it('answers 200 to verified event types it does not handle, counts them, and records nothing', async () => {
    const event = customerEvent('invoice.paid', { id: 'cus_x' });
    event.data = { object: { id: 'in_1', object: 'invoice' } };
    const payload = JSON.stringify(event);
    const response = await post(withOwnSecret, payload, sign(payload, ownSecret)).expect(200);
    expect(response.body).toEqual({ received: true, event_id: event.id, outcome: 'ignored' });
    expect(await inboxRows(withOwnSecret, event.id as string)).toHaveLength(0);
    const metrics = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/stripe_webhooks_unhandled_total\{event_type="invoice\.paid",service="webhook-ingest"\} [1-9]/);
  });

  it.each([
    ['malformed JSON', '{"id": "evt_1", ', 'REQUEST.MALFORMED_JSON'],
    ['an oversized body', JSON.stringify({ padding: 'x'.repeat(70 * 1024) }), 'REQUEST.BODY_TOO_LARGE'],
    ['a signed body that is not a Stripe event', JSON.stringify({ hello: 'world' }), 'REQUEST.INVALID'],
    [
      'a signed customer event without a customer object',
      JSON.stringify({ ...customerEvent('customer.created', { id: 'c' }), data: { object: 'nope' } }),
      'REQUEST.INVALID',
    ],
  ])('answers 400 (never 500) to %s', async (_label, payload, code) => {
    const response = await post(withOwnSecret, payload, sign(payload, ownSecret)).expect(400);
    expect((response.body as { code: string }).code).toBe(code);
  });

  it('answers an unsigned body that is not JSON as a bad signature: nothing is parsed before the signature verified', async () => {
    const payload = '{"id": "evt_1", ';
    const response = await post(withOwnSecret, payload, sign(payload, 'whsec_not_the_tenants_secret')).expect(400);
    expect((response.body as { code: string }).code).toBe('WEBHOOK.INVALID_SIGNATURE');
  });

  it('publishes an event that was recorded but never published (the outbox relay)', async () => {
    const event = customerEvent('customer.updated', { id: 'cus_orphan', metadata: { flexprice_customer_id: 'client_orphan' } });
    await dataSource.query(
      `INSERT INTO stripe_webhook_events (tenant_id, environment_id, stripe_event_id, event_type, stripe_created, payload, received_at)
       VALUES ($1, $2, $3, $4, $5, $6, now() - interval '5 seconds')`,
      [withOwnSecret.tenantId, withOwnSecret.environmentId, event.id, event.type, event.created, JSON.stringify(event)],
    );
    const [message] = await eventually(
      async () => {
        const found = messagesFor(event.id as string);
        return found.length > 0 ? found : undefined;
      },
      { timeoutMs: 10_000, what: 'relayed message' },
    );
    expect(message.customer).toEqual({ id: 'cus_orphan', metadata: { flexprice_customer_id: 'client_orphan' }, deleted: false });
    const [row] = await eventually(async () => {
      const rows = await inboxRows(withOwnSecret, event.id as string);
      return rows[0]?.published_at ? rows : undefined;
    });
    expect(row.publish_attempts).toBe(1);
  });

  it('exposes received, verified, rejected and published counts and the outbox depth and age on /metrics, and reports ready', async () => {
    const metrics = await request(app.getHttpServer()).get('/metrics').expect(200);
    for (const name of [
      'stripe_webhooks_received_total',
      'stripe_webhooks_verified_total{event_type="customer.created"',
      'stripe_webhooks_rejected_total{reason="invalid_signature"',
      'stripe_webhooks_rejected_total{reason="stale_timestamp"',
      'stripe_webhooks_rejected_total{reason="unknown_endpoint"',
      'stripe_webhooks_rejected_total{reason="missing_signature"',
      'stripe_webhooks_published_total{via="relay"',
      'stripe_webhooks_duplicates_total',
      'stripe_webhook_outbox_unpublished',
      'stripe_webhook_outbox_oldest_age_seconds',
      'stripe_webhook_outbox_relay_batch_size_bucket',
      'stripe_webhook_inbox_batch_size_bucket',
    ]) {
      expect(metrics.text).toContain(name);
    }
    // The route is served below Express, yet counted with every other route under its template.
    expect(metrics.text).toMatch(
      /http_requests_total\{method="POST",route="\/webhooks\/stripe\/:tenant_id\/:environment_id",status="200",service="webhook-ingest"\} [1-9]/,
    );
    expect(metrics.text).toMatch(
      /http_requests_total\{method="POST",route="\/webhooks\/stripe\/:tenant_id\/:environment_id",status="400",service="webhook-ingest"\} [1-9]/,
    );
    expect(metrics.text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/webhooks\/stripe\/:tenant_id\/:environment_id"[^}]*\} [1-9]/);
    const ready = await request(app.getHttpServer()).get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({ status: 'ok', details: { postgres: { status: 'up' }, kafka: { status: 'up' } } });
  });

  it('describes the webhook route in its OpenAPI document', async () => {
    const document = (await request(app.getHttpServer()).get('/docs-json').expect(200)).body as {
      paths: Record<string, { post?: { responses: Record<string, unknown> } }>;
    };
    expect(Object.keys(document.paths['/webhooks/stripe/{tenant_id}/{environment_id}']?.post?.responses ?? {}).sort()).toEqual([
      '200',
      '400',
      '429',
      '503',
    ]);
  });

  it('answers other methods on the webhook path as an unknown route (404), and serves the path with a query string or a trailing slash', async () => {
    await request(app.getHttpServer()).get(`/webhooks/stripe/${withOwnSecret.tenantId}/${withOwnSecret.environmentId}`).expect(404);
    const event = customerEvent('customer.updated', { id: 'cus_paths', metadata: {} });
    const payload = JSON.stringify(event);
    await request(app.getHttpServer())
      .post(`/webhooks/stripe/${withOwnSecret.tenantId}/${withOwnSecret.environmentId}/?source=stripe`)
      .set('Content-Type', 'application/json')
      .set('Stripe-Signature', sign(payload, ownSecret))
      .send(payload)
      .expect(200);
  });
});
