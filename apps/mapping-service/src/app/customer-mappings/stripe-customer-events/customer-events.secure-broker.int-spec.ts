import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes, type Kafka } from 'kafkajs';
import {
  createKafkaClient,
  customerEventsAcls,
  encodeStripeCustomerEvent,
  ensureTopics,
  KafkaPublisher,
  STRIPE_CUSTOMER_EVENT_SCHEMA_VERSION,
  type StripeCustomerEventMessage,
} from '@flexsync/kafka';
import { loadConfig } from '@flexsync/runtime';
import { eventually, REPO_ROOT, stackEnv, uniqueTenant } from '@flexsync/testing';
import { MappingServiceConfig } from '../../mapping-service.config';
import { createMappingServiceHttp } from '../../mapping-service.http';
import { generateKeyringEntry } from '@flexsync/crypto';

const run = promisify(execFile);
const env = stackEnv();
const suffix = randomUUID().slice(0, 8);
const TOPIC = `test.secure.customer-events.${suffix}`;
const DLQ = `${TOPIC}.dlq`;
const GROUP = `mapping-secure-int-spec-${suffix}`;

interface SecureBroker {
  brokers: string[];
  passwords: Record<'admin' | 'webhook-ingest' | 'mapping-service', string>;
}

/** Starts the stack's optional SCRAM + ACL broker (idempotent) and reads its address and principals' passwords. */
async function secureBroker(): Promise<SecureBroker> {
  const stack = join(REPO_ROOT, 'tools/stack/stack.sh');
  await run('bash', [stack, 'kafka-secure', 'up'], { cwd: REPO_ROOT, timeout: 180_000 });
  const { stdout } = await run('bash', [stack, 'kafka-secure', 'env'], { cwd: REPO_ROOT });
  const vars = Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  return {
    brokers: vars.KAFKA_SECURE_BROKERS.split(','),
    passwords: {
      admin: vars.KAFKA_SECURE_PASSWORD_ADMIN,
      'webhook-ingest': vars.KAFKA_SECURE_PASSWORD_WEBHOOK_INGEST,
      'mapping-service': vars.KAFKA_SECURE_PASSWORD_MAPPING_SERVICE,
    },
  };
}

function causeChain(error: unknown): string {
  const parts: string[] = [];
  for (let current = error; current instanceof Error; current = (current as { cause?: unknown }).cause) {
    parts.push(`${current.name}: ${current.message} ${(current as { type?: string }).type ?? ''}`);
  }
  return parts.join(' <- ');
}

describe('customer events on a broker with SCRAM-SHA-512 and ACLs', () => {
  let broker: SecureBroker;
  let app: INestApplication;
  let dataSource: DataSource;
  const clients: { publisher?: KafkaPublisher }[] = [];

  function client(user: keyof SecureBroker['passwords'], password = broker.passwords[user]): Kafka {
    return createKafkaClient({
      clientId: `secure-int-spec-${user}`,
      brokers: broker.brokers,
      sasl: { mechanism: 'scram-sha-512', username: user, password },
    });
  }

  function publisher(user: keyof SecureBroker['passwords'], password?: string): KafkaPublisher {
    const created = new KafkaPublisher(client(user, password), { publishTimeoutMs: 8000 });
    clients.push({ publisher: created });
    return created;
  }

  beforeAll(async () => {
    broker = await secureBroker();
    const admin = client('admin');
    await ensureTopics(admin, [
      { topic: TOPIC, numPartitions: 1 },
      { topic: DLQ, numPartitions: 1 },
    ]);
    const adminClient = admin.admin();
    await adminClient.connect();
    try {
      await adminClient.createAcls({
        acl: customerEventsAcls({
          webhookIngest: 'User:webhook-ingest',
          mappingService: 'User:mapping-service',
          mappingGroupId: GROUP,
          topic: TOPIC,
          deadLetterTopic: DLQ,
        }),
      });
    } finally {
      await adminClient.disconnect();
    }
    const config = loadConfig('mapping-service', MappingServiceConfig, {
      DATABASE_URL: env.DATABASE_URL,
      KAFKA_BROKERS: broker.brokers.join(','),
      FLEXSYNC_ENCRYPTION_KEYS: generateKeyringEntry('k1'),
      FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: 'k1',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'mapping-service',
      KAFKA_SASL_PASSWORD: broker.passwords['mapping-service'],
      AUTH_JWT_SECRET: `mapping-secure-int-spec-${randomUUID()}`,
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
  }, 240_000);

  afterAll(async () => {
    for (const { publisher: p } of clients) await p?.disconnect();
    await app?.close();
  });

  it("lets webhook-ingest's principal write the topic and mapping-service (authenticated as itself) consume it", async () => {
    const tenant = uniqueTenant('secure_write');
    const message: StripeCustomerEventMessage = {
      schema_version: STRIPE_CUSTOMER_EVENT_SCHEMA_VERSION,
      tenant_id: tenant.tenantId,
      environment_id: tenant.environmentId,
      stripe_event_id: `evt_${suffix}`,
      event_type: 'customer.created',
      stripe_created: Math.floor(Date.now() / 1000),
      livemode: false,
      customer: { id: 'cus_secure', metadata: { flexprice_customer_id: 'client_secure' }, deleted: false },
    };
    await publisher('webhook-ingest').publish(TOPIC, [encodeStripeCustomerEvent(message)]);
    const row = await eventually(
      async () => {
        const found: { customer_id: string }[] = await dataSource.query(
          `SELECT customer_id FROM customer_integration_mappings WHERE tenant_id = $1 AND environment_id = $2 AND provider_customer_id = 'cus_secure'`,
          [tenant.tenantId, tenant.environmentId],
        );
        return found[0];
      },
      { timeoutMs: 45_000, what: 'mapping written from the secure broker' },
    );
    expect(row.customer_id).toBe('client_secure');
  });

  it("refuses mapping-service's own producer a write to the topic with an authorization error", async () => {
    const error = await app
      .get(KafkaPublisher)
      .publish(TOPIC, [{ key: 'k', value: 'forged' }])
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeDefined();
    expect(causeChain(error)).toMatch(/TOPIC_AUTHORIZATION_FAILED|not authorized/i);
  });

  it("refuses webhook-ingest's principal a read of the topic, and a wrong password altogether", async () => {
    // A group of its own, so the refusal comes from the topic's ACLs and not from a group it may not join.
    const probeGroup = `${GROUP}-probe`;
    const adminClient = client('admin').admin();
    await adminClient.connect();
    await adminClient.createAcls({
      acl: [
        {
          principal: 'User:webhook-ingest',
          host: '*',
          resourceType: AclResourceTypes.GROUP,
          resourceName: probeGroup,
          resourcePatternType: ResourcePatternTypes.LITERAL,
          operation: AclOperationTypes.READ,
          permissionType: AclPermissionTypes.ALLOW,
        },
      ],
    });
    await adminClient.disconnect();
    const consumer = client('webhook-ingest').consumer({ groupId: probeGroup, retry: { retries: 0, restartOnFailure: async () => false } });
    const crashed = new Promise<unknown>((resolve) => consumer.on(consumer.events.CRASH, (event) => resolve(event.payload.error)));
    let received = 0;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
      await consumer.run({
        eachMessage: async () => {
          received += 1;
        },
      });
      expect(causeChain(await crashed)).toMatch(/TOPIC_AUTHORIZATION_FAILED|not authorized to access topics/i);
      expect(received).toBe(0);
    } finally {
      await consumer.disconnect();
    }

    const error = await publisher('webhook-ingest', 'not-the-password')
      .publish(TOPIC, [{ key: 'k', value: 'v' }])
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(causeChain(error)).toMatch(/SASL SCRAM SHA512 authentication failed|authentication failed/i);
  });
});
