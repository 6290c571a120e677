import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import supertest from 'supertest';
import { createKafkaClient, ensureTopics } from '@flexsync/kafka';
import { loadConfig } from '@flexsync/runtime';
import { stackEnv } from '@flexsync/testing';
import { MappingServiceConfig } from '../../mapping-service.config';
import { createMappingServiceHttp } from '../../mapping-service.http';
import { generateKeyringEntry } from '@flexsync/crypto';

describe('kafka_dead_letter_depth', () => {
  const env = stackEnv();
  const suffix = randomUUID().slice(0, 8);
  const DLQ = `test.dlq-depth.${suffix}.dlq`;
  const kafka = createKafkaClient({ clientId: 'dlq-depth-spec', brokers: env.KAFKA_BROKERS.split(',') });
  let app: INestApplication;

  beforeAll(async () => {
    await ensureTopics(kafka, [{ topic: DLQ, numPartitions: 2 }]);
    const config = loadConfig('mapping-service', MappingServiceConfig, {
      DATABASE_URL: env.DATABASE_URL,
      KAFKA_BROKERS: env.KAFKA_BROKERS,
      FLEXSYNC_ENCRYPTION_KEYS: generateKeyringEntry('k1'),
      FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: 'k1',
      AUTH_JWT_SECRET: `dlq-depth-spec-${randomUUID()}`,
      AUTH_JWT_ISSUER: 'flexsync-tests',
      AUTH_JWT_AUDIENCE: 'flexsync-api',
      KAFKA_CUSTOMER_EVENTS_TOPIC: `test.dlq-depth.${suffix}`,
      KAFKA_CUSTOMER_EVENTS_DLQ_TOPIC: DLQ,
      CUSTOMER_EVENTS_CONSUMER_ENABLED: 'false',
      LOG_LEVEL: 'silent',
    });
    app = await createMappingServiceHttp(config);
    await app.init();
  });

  afterAll(async () => {
    await app.close();
  });

  async function depth(): Promise<string | undefined> {
    const text = (await supertest(app.getHttpServer()).get('/metrics').expect(200)).text;
    return text.split('\n').find((line) => line.startsWith('kafka_dead_letter_depth{') && line.includes(`topic="${DLQ}"`));
  }

  it('counts the messages held in the dead-letter topic, across partitions, read from the broker', async () => {
    expect(await depth()).toMatch(/ 0$/);
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({
        topic: DLQ,
        messages: [
          { key: 'a', value: 'x', partition: 0 },
          { key: 'b', value: 'y', partition: 1 },
          { key: 'c', value: 'z', partition: 1 },
        ],
      });
    } finally {
      await producer.disconnect();
    }
    expect(await depth()).toMatch(/ 3$/);
  });
});
