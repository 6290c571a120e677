import { randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { eventually, stackEnv } from '@flexsync/testing';
import {
  createKafkaClient,
  DEAD_LETTER_HEADERS,
  ensureTopics,
  kafkaCheck,
  KafkaMessageConsumer,
  KafkaPublisher,
  PoisonMessageError,
  type ConsumedMessage,
} from './index';

const env = stackEnv();
const brokers = env.KAFKA_BROKERS.split(',');

function names(label: string): { topic: string; dlq: string; group: string } {
  const suffix = randomUUID().slice(0, 8);
  return { topic: `test.kafka.${label}.${suffix}`, dlq: `test.kafka.${label}.${suffix}.dlq`, group: `test-kafka-${label}-${suffix}` };
}

describe('@flexsync/kafka on the real broker', () => {
  const kafka = createKafkaClient({ clientId: 'kafka-int-spec', brokers });
  const publisher = new KafkaPublisher(kafka, { publishTimeoutMs: 5000 });
  const consumers: KafkaMessageConsumer[] = [];

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.stop()));
  });

  afterAll(async () => {
    await publisher.disconnect();
  });

  it('delivers published messages to a consumer in per-key order with key, value and headers intact', async () => {
    const { topic, dlq, group } = names('order');
    await ensureTopics(kafka, [
      { topic, numPartitions: 3 },
      { topic: dlq, numPartitions: 1 },
    ]);
    const received: ConsumedMessage[] = [];
    const consumer = new KafkaMessageConsumer(kafka, {
      groupId: group,
      topics: [topic],
      deadLetterTopic: dlq,
      deadLetterPublisher: publisher,
      handler: async (message) => {
        received.push(message);
      },
    });
    consumers.push(consumer);
    await consumer.start();

    const messages = Array.from({ length: 30 }, (_, i) => ({
      key: `key-${i % 3}`,
      value: JSON.stringify({ seq: i }),
      headers: { 'event-type': 'test' },
    }));
    await publisher.publish(topic, messages);

    await eventually(async () => (received.length >= 30 ? true : undefined), { timeoutMs: 20_000, what: '30 messages' });
    expect(received).toHaveLength(30);
    for (const key of ['key-0', 'key-1', 'key-2']) {
      const seqs = received.filter((m) => m.key === key).map((m) => (JSON.parse(m.value?.toString() ?? '{}') as { seq: number }).seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(seqs).toHaveLength(10);
    }
    expect(received[0].headers['event-type']).toBe('test');
  });

  it('retries a transient failure in place and commits only after the handler succeeds', async () => {
    const { topic, dlq, group } = names('retry');
    await ensureTopics(kafka, [
      { topic, numPartitions: 1 },
      { topic: dlq, numPartitions: 1 },
    ]);
    const metrics = new Registry();
    let calls = 0;
    const applied: string[] = [];
    const consumer = new KafkaMessageConsumer(kafka, {
      groupId: group,
      topics: [topic],
      deadLetterTopic: dlq,
      deadLetterPublisher: publisher,
      retryInitialDelayMs: 50,
      metrics,
      handler: async (message) => {
        calls += 1;
        if (calls <= 2) throw new Error('database unavailable');
        applied.push(message.value?.toString() ?? '');
      },
    });
    consumers.push(consumer);
    await consumer.start();
    await publisher.publish(topic, [
      { key: 'a', value: 'first' },
      { key: 'a', value: 'second' },
    ]);

    await eventually(async () => (applied.length === 2 ? true : undefined), { timeoutMs: 20_000, what: 'both messages applied' });
    expect(applied).toEqual(['first', 'second']);
    expect(calls).toBe(4);

    const admin = kafka.admin();
    await admin.connect();
    try {
      const committed = await eventually(async () => {
        const [offsets] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
        return offsets.partitions[0].offset === '2' ? offsets.partitions[0].offset : undefined;
      });
      expect(committed).toBe('2');
    } finally {
      await admin.disconnect();
    }
    const text = await metrics.metrics();
    expect(text).toMatch(new RegExp(`kafka_consumer_retries_total\\{group="${group}",topic="${topic.replace(/\./g, '\\.')}"\\} 2`));
    expect(text).toMatch(new RegExp(`kafka_consumer_lag\\{group="${group}",topic="${topic.replace(/\./g, '\\.')}",partition="0"\\} 0`));
  });

  it('sends a poison message to the dead-letter topic with its reason and goes on with the next one', async () => {
    const { topic, dlq, group } = names('poison');
    await ensureTopics(kafka, [
      { topic, numPartitions: 1 },
      { topic: dlq, numPartitions: 1 },
    ]);
    const applied: string[] = [];
    const consumer = new KafkaMessageConsumer(kafka, {
      groupId: group,
      topics: [topic],
      deadLetterTopic: dlq,
      deadLetterPublisher: publisher,
      handler: async (message) => {
        const value = message.value?.toString() ?? '';
        if (value === 'garbage') throw new PoisonMessageError('message body is not valid JSON');
        applied.push(value);
      },
    });
    consumers.push(consumer);
    await consumer.start();

    const dead: ConsumedMessage[] = [];
    const dlqReader = new KafkaMessageConsumer(kafka, {
      groupId: `${group}-dlq-reader`,
      topics: [dlq],
      deadLetterTopic: `${dlq}.unused`,
      deadLetterPublisher: publisher,
      handler: async (message) => {
        dead.push(message);
      },
    });
    consumers.push(dlqReader);
    await dlqReader.start();

    await publisher.publish(topic, [
      { key: 'k', value: 'garbage', headers: { 'event-type': 'x' } },
      { key: 'k', value: 'good' },
    ]);

    await eventually(async () => (applied.length === 1 && dead.length === 1 ? true : undefined), {
      timeoutMs: 20_000,
      what: 'dead letter and good message',
    });
    expect(applied).toEqual(['good']);
    expect(dead[0].value?.toString()).toBe('garbage');
    expect(dead[0].key).toBe('k');
    expect(dead[0].headers[DEAD_LETTER_HEADERS.reason]).toBe('message body is not valid JSON');
    expect(dead[0].headers[DEAD_LETTER_HEADERS.topic]).toBe(topic);
    expect(dead[0].headers[DEAD_LETTER_HEADERS.offset]).toBe('0');
    expect(dead[0].headers['event-type']).toBe('x');
  });

  it('resumes after a restart from the last committed offset, without skipping or replaying committed messages', async () => {
    const { topic, dlq, group } = names('restart');
    await ensureTopics(kafka, [
      { topic, numPartitions: 1 },
      { topic: dlq, numPartitions: 1 },
    ]);
    const seen: string[] = [];
    const options = {
      groupId: group,
      topics: [topic],
      deadLetterTopic: dlq,
      deadLetterPublisher: publisher,
      handler: async (message: ConsumedMessage) => {
        seen.push(message.value?.toString() ?? '');
      },
    };
    const first = new KafkaMessageConsumer(kafka, options);
    await first.start();
    await publisher.publish(topic, [{ key: 'r', value: 'one' }]);
    await eventually(async () => (seen.length === 1 ? true : undefined), { timeoutMs: 20_000, what: 'first message' });
    await first.stop();

    await publisher.publish(topic, [{ key: 'r', value: 'two' }]);
    const second = new KafkaMessageConsumer(kafka, options);
    consumers.push(second);
    await second.start();
    await eventually(async () => (seen.length === 2 ? true : undefined), { timeoutMs: 20_000, what: 'second message' });
    expect(seen).toEqual(['one', 'two']);
  });

  it('kafkaCheck answers with the broker count when the broker is reachable and fails fast when it is not', async () => {
    const check = kafkaCheck(kafka, { timeoutMs: 3000 });
    try {
      await expect(check.probe()).resolves.toEqual({ brokers: 1 });
      expect(check.name).toBe('kafka');
    } finally {
      await check.close();
    }

    const nowhere = kafkaCheck(createKafkaClient({ clientId: 'kafka-int-spec-down', brokers: ['127.0.0.1:1'] }), { timeoutMs: 1500 });
    const started = Date.now();
    await expect(nowhere.probe()).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(3000);
    await nowhere.close();
  });

  it('publish fails with KafkaUnavailableError within its deadline when no broker answers', async () => {
    const unreachable = new KafkaPublisher(createKafkaClient({ clientId: 'kafka-int-spec-down', brokers: ['127.0.0.1:1'] }), {
      publishTimeoutMs: 1500,
    });
    const started = Date.now();
    await expect(unreachable.publish('anything', [{ key: 'k', value: 'v' }])).rejects.toMatchObject({ name: 'KafkaUnavailableError' });
    expect(Date.now() - started).toBeLessThan(3000);
    await unreachable.disconnect();
  });
});
