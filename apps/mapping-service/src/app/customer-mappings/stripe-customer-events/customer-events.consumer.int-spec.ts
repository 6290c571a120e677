import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  createKafkaClient,
  DEAD_LETTER_HEADERS,
  encodeStripeCustomerEvent,
  ensureTopics,
  KafkaMessageConsumer,
  KafkaPublisher,
  STRIPE_CUSTOMER_EVENT_SCHEMA_VERSION,
  type ConsumedMessage,
  type StripeCustomerEventMessage,
  type StripeCustomerEventType,
} from '@flexsync/kafka';
import { FLEXPRICE_ID_RULE, loadConfig } from '@flexsync/runtime';
import { eventually, stackEnv, uniqueTenant, type TestTenant } from '@flexsync/testing';
import { MappingServiceConfig } from '../../mapping-service.config';
import { createMappingServiceHttp } from '../../mapping-service.http';
import { generateKeyringEntry } from '@flexsync/crypto';

const env = stackEnv();
const suffix = randomUUID().slice(0, 8);
const TOPIC = `test.mapping.customer-events.${suffix}`;
const DLQ = `${TOPIC}.dlq`;
const GROUP = `mapping-consumer-int-spec-${suffix}`;

interface Row {
  customer_id: string | null;
  status: string;
  source: string;
  last_event_created: string | null;
  metadata: { last_event_id?: string; unmatched_reason?: string; released_customer_id?: string } | null;
}

describe('Stripe customer events consumer (real Kafka and Postgres)', () => {
  let app: INestApplication;
  let dataSource: DataSource;
  const kafka = createKafkaClient({ clientId: 'mapping-consumer-int-spec', brokers: env.KAFKA_BROKERS.split(',') });
  const producer = new KafkaPublisher(kafka);
  const deadLetters: ConsumedMessage[] = [];
  let dlqReader: KafkaMessageConsumer;
  let clock = 1_764_000_000;

  function message(
    tenant: TestTenant,
    type: StripeCustomerEventType,
    customerId: string,
    metadata: Record<string, string>,
    created = (clock += 10),
  ): StripeCustomerEventMessage {
    return {
      schema_version: STRIPE_CUSTOMER_EVENT_SCHEMA_VERSION,
      tenant_id: tenant.tenantId,
      environment_id: tenant.environmentId,
      stripe_event_id: `evt_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
      event_type: type,
      stripe_created: created,
      livemode: false,
      customer: { id: customerId, metadata, deleted: type === 'customer.deleted' },
    };
  }

  async function send(...messages: StripeCustomerEventMessage[]): Promise<void> {
    await producer.publish(TOPIC, messages.map(encodeStripeCustomerEvent));
  }

  async function rows(tenant: TestTenant, providerCustomerId: string): Promise<Row[]> {
    return dataSource.query(
      `SELECT customer_id, status, source, last_event_created, metadata FROM customer_integration_mappings
       WHERE tenant_id = $1 AND environment_id = $2 AND provider_type = 'stripe' AND provider_customer_id = $3`,
      [tenant.tenantId, tenant.environmentId, providerCustomerId],
    );
  }

  /** Resolves once the service's consumer group has committed every message of the topic (nothing left to apply). */
  async function drained(): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await eventually(
        async () => {
          const ends = await admin.fetchTopicOffsets(TOPIC);
          const [committed] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
          const done = ends.every(
            (end) => committed.partitions.find((p) => p.partition === end.partition)?.offset === end.high || end.high === '0',
          );
          return done ? true : undefined;
        },
        { timeoutMs: 15_000, what: 'consumer to commit every message' },
      );
    } finally {
      await admin.disconnect();
    }
  }

  async function rowWhen(tenant: TestTenant, providerCustomerId: string, ready: (row: Row) => boolean): Promise<Row> {
    return eventually(
      async () => {
        const found = await rows(tenant, providerCustomerId);
        return found.length === 1 && ready(found[0]) ? found[0] : undefined;
      },
      { timeoutMs: 15_000, what: `mapping of ${providerCustomerId}` },
    );
  }

  beforeAll(async () => {
    await ensureTopics(kafka, [
      { topic: TOPIC, numPartitions: 3 },
      { topic: DLQ, numPartitions: 1 },
    ]);
    const config = loadConfig('mapping-service', MappingServiceConfig, {
      DATABASE_URL: env.DATABASE_URL,
      KAFKA_BROKERS: env.KAFKA_BROKERS,
      FLEXSYNC_ENCRYPTION_KEYS: generateKeyringEntry('k1'),
      FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: 'k1',
      AUTH_JWT_SECRET: `mapping-consumer-int-spec-${randomUUID()}`,
      AUTH_JWT_ISSUER: 'flexsync-tests',
      AUTH_JWT_AUDIENCE: 'flexsync-api',
      KAFKA_CUSTOMER_EVENTS_TOPIC: TOPIC,
      KAFKA_CUSTOMER_EVENTS_DLQ_TOPIC: DLQ,
      KAFKA_CUSTOMER_EVENTS_GROUP_ID: GROUP,
      LOG_LEVEL: 'warn',
    });
    app = await createMappingServiceHttp(config);
    await app.init();
    dataSource = app.get(DataSource);
    dlqReader = new KafkaMessageConsumer(kafka, {
      groupId: `mapping-consumer-int-spec-dlq-${suffix}`,
      topics: [DLQ],
      deadLetterTopic: `${DLQ}.unused`,
      deadLetterPublisher: producer,
      handler: async (m) => {
        deadLetters.push(m);
      },
    });
    await dlqReader.start();
  });

  afterAll(async () => {
    await dlqReader?.stop();
    await app?.close();
    await producer.disconnect();
  });

  it('maps a Stripe customer to the FlexPrice customer named in its flexprice_customer_id metadata', async () => {
    const tenant = uniqueTenant('consumer_created');
    const created = message(tenant, 'customer.created', 'cus_created', { flexprice_customer_id: 'client_123', plan: 'pro' });
    await send(created);
    const row = await rowWhen(tenant, 'cus_created', () => true);
    expect(row).toMatchObject({
      customer_id: 'client_123',
      status: 'mapped',
      source: 'webhook',
      last_event_created: String(created.stripe_created),
    });
    expect(row.metadata?.last_event_id).toBe(created.stripe_event_id);
  });

  it('records a Stripe customer without the metadata key as unmatched, with the reason, instead of dropping it', async () => {
    const tenant = uniqueTenant('consumer_unmatched');
    await send(message(tenant, 'customer.created', 'cus_nometa', { plan: 'pro' }));
    const row = await rowWhen(tenant, 'cus_nometa', () => true);
    expect(row).toMatchObject({ customer_id: null, status: 'unmatched' });
    expect(row.metadata?.unmatched_reason).toBe('the Stripe customer has no flexprice_customer_id metadata');
  });

  it('ends with exactly one correct row when customer.created arrives three times and after the newer customer.updated', async () => {
    const tenant = uniqueTenant('consumer_order');
    const created = message(tenant, 'customer.created', 'cus_order', { flexprice_customer_id: 'client_old' });
    const updated = message(tenant, 'customer.updated', 'cus_order', { flexprice_customer_id: 'client_new' });
    await send(updated, created, created, created);
    await drained();
    const row = await rowWhen(tenant, 'cus_order', () => true);
    expect(row).toMatchObject({ customer_id: 'client_new', status: 'mapped', last_event_created: String(updated.stripe_created) });
    expect(await rows(tenant, 'cus_order')).toHaveLength(1);
  });

  it('follows customer.updated when the metadata names another FlexPrice customer, and marks customer.deleted for good', async () => {
    const tenant = uniqueTenant('consumer_lifecycle');
    await send(
      message(tenant, 'customer.created', 'cus_life', { flexprice_customer_id: 'client_a' }),
      message(tenant, 'customer.updated', 'cus_life', { flexprice_customer_id: 'client_b' }),
    );
    await rowWhen(tenant, 'cus_life', (r) => r.customer_id === 'client_b');
    const deleted = message(tenant, 'customer.deleted', 'cus_life', { flexprice_customer_id: 'client_b' });
    await send(deleted, message(tenant, 'customer.updated', 'cus_life', { flexprice_customer_id: 'client_c' }));
    await drained();
    const row = await rowWhen(tenant, 'cus_life', () => true);
    expect(row).toMatchObject({ customer_id: 'client_b', status: 'deleted' });
    expect(row.metadata?.last_event_id).toBe(deleted.stripe_event_id);
  });

  it('records a second Stripe customer claiming a mapped FlexPrice customer as unmatched, but lets it take over from a deleted one', async () => {
    const tenant = uniqueTenant('consumer_conflict');
    await send(message(tenant, 'customer.created', 'cus_first', { flexprice_customer_id: 'client_shared' }));
    await rowWhen(tenant, 'cus_first', () => true);
    await send(message(tenant, 'customer.created', 'cus_second', { flexprice_customer_id: 'client_shared' }));
    const second = await rowWhen(tenant, 'cus_second', () => true);
    expect(second).toMatchObject({ customer_id: null, status: 'unmatched' });
    expect(second.metadata?.unmatched_reason).toBe('FlexPrice customer client_shared is already mapped to Stripe customer cus_first');

    await send(message(tenant, 'customer.deleted', 'cus_first', { flexprice_customer_id: 'client_shared' }));
    await rowWhen(tenant, 'cus_first', (r) => r.status === 'deleted');
    await send(message(tenant, 'customer.created', 'cus_third', { flexprice_customer_id: 'client_shared' }));
    const third = await rowWhen(tenant, 'cus_third', () => true);
    expect(third).toMatchObject({ customer_id: 'client_shared', status: 'mapped' });
    const first = await rowWhen(tenant, 'cus_first', () => true);
    expect(first).toMatchObject({ customer_id: null, status: 'deleted' });
    expect(first.metadata?.released_customer_id).toBe('client_shared');
  });

  it('sends a poison message to the dead-letter topic with its reason and keeps consuming', async () => {
    const tenant = uniqueTenant('consumer_poison');
    await producer.publish(TOPIC, [
      { key: `${tenant.tenantId}:${tenant.environmentId}:cus_poison`, value: '{"schema_version": 1, "tenant_id": ' },
      {
        key: `${tenant.tenantId}:${tenant.environmentId}:cus_poison`,
        value: JSON.stringify({ ...message(tenant, 'customer.created', 'cus_poison', {}), schema_version: 99 }),
      },
    ]);
    await send(message(tenant, 'customer.created', 'cus_after_poison', { flexprice_customer_id: 'client_after' }));
    await rowWhen(tenant, 'cus_after_poison', (r) => r.customer_id === 'client_after');
    const dead = await eventually(async () => {
      const mine = deadLetters.filter((m) => m.key?.startsWith(tenant.tenantId));
      return mine.length === 2 ? mine : undefined;
    });
    expect(dead.map((m) => m.headers[DEAD_LETTER_HEADERS.reason]).sort()).toEqual([
      'message body is not valid JSON',
      'unsupported schema_version 99',
    ]);
    expect(dead[0].headers[DEAD_LETTER_HEADERS.topic]).toBe(TOPIC);
    expect(await rows(tenant, 'cus_poison')).toHaveLength(0);
  });

  it("dead-letters a message for tenant B written with tenant A's key, and applies nothing for either tenant", async () => {
    const tenantA = uniqueTenant('consumer_key_a');
    const tenantB = uniqueTenant('consumer_key_b');
    const forB = message(tenantB, 'customer.created', 'cus_spoofed', { flexprice_customer_id: 'client_spoofed' });
    const encoded = encodeStripeCustomerEvent(forB);
    await producer.publish(TOPIC, [{ ...encoded, key: `${tenantA.tenantId}:${tenantA.environmentId}:cus_spoofed` }]);
    await send(message(tenantB, 'customer.created', 'cus_after_spoof', { flexprice_customer_id: 'client_after_spoof' }));
    await rowWhen(tenantB, 'cus_after_spoof', (r) => r.customer_id === 'client_after_spoof');
    const dead = await eventually(async () =>
      deadLetters.find((m) => m.key === `${tenantA.tenantId}:${tenantA.environmentId}:cus_spoofed`),
    );
    expect(dead.headers[DEAD_LETTER_HEADERS.reason]).toBe("message key does not match the envelope's tenant_id:environment_id:customer.id");
    expect(await rows(tenantB, 'cus_spoofed')).toHaveLength(0);
    expect(await rows(tenantA, 'cus_spoofed')).toHaveLength(0);
  });

  it('dead-letters a message whose tenant-id header names another tenant than its envelope', async () => {
    const tenantA = uniqueTenant('consumer_header_a');
    const tenantB = uniqueTenant('consumer_header_b');
    const encoded = encodeStripeCustomerEvent(
      message(tenantB, 'customer.created', 'cus_header', { flexprice_customer_id: 'client_header' }),
    );
    await producer.publish(TOPIC, [{ ...encoded, headers: { ...encoded.headers, 'tenant-id': tenantA.tenantId } }]);
    const dead = await eventually(async () => deadLetters.find((m) => m.key === `${tenantB.tenantId}:${tenantB.environmentId}:cus_header`));
    expect(dead.headers[DEAD_LETTER_HEADERS.reason]).toBe('header tenant-id does not match the envelope');
    await drained();
    expect(await rows(tenantB, 'cus_header')).toHaveLength(0);
  });

  it('dead-letters ids the API would refuse and a created timestamp far in the future, so no mapping can be frozen', async () => {
    const tenant = uniqueTenant('consumer_fields');
    const future = message(
      tenant,
      'customer.created',
      'cus_future',
      { flexprice_customer_id: 'client_future' },
      Math.floor(Date.now() / 1000) + 3600,
    );
    const badTenant = { ...message(tenant, 'customer.created', 'cus_bad_tenant', {}), tenant_id: "tenant' OR 1=1" };
    const badCustomer = message(tenant, 'customer.created', 'cus with space', { flexprice_customer_id: 'client_space' });
    await send(future, badTenant, badCustomer);
    await send(message(tenant, 'customer.updated', 'cus_future', { flexprice_customer_id: 'client_now' }, Math.floor(Date.now() / 1000)));
    const row = await rowWhen(tenant, 'cus_future', (r) => r.customer_id === 'client_now');
    expect(row.status).toBe('mapped');
    const reasons = await eventually(async () => {
      const mine = deadLetters.filter((m) => m.key?.includes(tenant.environmentId));
      return mine.length === 3 ? mine.map((m) => m.headers[DEAD_LETTER_HEADERS.reason]).sort() : undefined;
    });
    expect(reasons).toEqual([
      'customer.id must be 1-255 visible ASCII characters without spaces',
      'stripe_created is more than 300 s in the future',
      `tenant_id must be ${FLEXPRICE_ID_RULE}`,
    ]);
    expect(await rows(tenant, 'cus with space')).toHaveLength(0);
  });

  it('reports applied events by outcome, consumer lag and dead letters on /metrics', async () => {
    const metrics = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(metrics.text).toMatch(
      /customer_mapping_events_total\{event_type="customer\.created",outcome="mapped",service="mapping-service"\} \d+/,
    );
    expect(metrics.text).toMatch(
      /customer_mapping_events_total\{event_type="customer\.created",outcome="skipped_stale",service="mapping-service"\} [1-9]/,
    );
    expect(metrics.text).toContain(`kafka_consumer_lag{group="${GROUP}",topic="${TOPIC}"`);
    expect(metrics.text).toMatch(
      new RegExp(
        `kafka_consumer_messages_total\\{group="${GROUP}",topic="${TOPIC}",outcome="dead_lettered",service="mapping-service"\\} [1-9]`,
      ),
    );
    for (const reason of ['key_mismatch', 'header_mismatch', 'invalid_field', 'future_created']) {
      expect(metrics.text).toMatch(
        new RegExp(`customer_mapping_events_rejected_total\\{reason="${reason}",service="mapping-service"\\} [1-9]`),
      );
    }
    const ready = await request(app.getHttpServer()).get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({ details: { postgres: { status: 'up' }, kafka: { status: 'up' } } });
  });

  it('dead-letters an event the database refuses for good (a NUL character in metadata) instead of retrying it forever', async () => {
    const tenant = uniqueTenant('consumer_refused');
    await send(
      message(tenant, 'customer.created', 'cus_nul', { flexprice_customer_id: 'client_nul', note: 'a\u0000b' }),
      message(tenant, 'customer.created', 'cus_after_nul', { flexprice_customer_id: 'client_after_nul' }),
    );
    await rowWhen(tenant, 'cus_after_nul', (r) => r.customer_id === 'client_after_nul');
    const dead = await eventually(async () => deadLetters.find((m) => m.key === `${tenant.tenantId}:${tenant.environmentId}:cus_nul`));
    expect(dead.headers[DEAD_LETTER_HEADERS.reason]).toMatch(/^the database refused the event: SQLSTATE 22/);
    expect(await rows(tenant, 'cus_nul')).toHaveLength(0);
  });
});
