import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Returns the metric already registered under `name`, or registers the one `create` builds (several consumers may share a registry). */
function shared<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

export interface ConsumerMetrics {
  messages: Counter<'group' | 'topic' | 'outcome'>;
  retries: Counter<'group' | 'topic'>;
  lag: Gauge<'group' | 'topic' | 'partition'>;
  duration: Histogram<'group' | 'topic'>;
}

export function consumerMetrics(registry: Registry): ConsumerMetrics {
  return {
    messages: shared(
      registry,
      'kafka_consumer_messages_total',
      () =>
        new Counter({
          name: 'kafka_consumer_messages_total',
          help: 'Messages finished by the consumer: outcome=processed (handler succeeded, offset committed) or dead_lettered.',
          labelNames: ['group', 'topic', 'outcome'],
          registers: [registry],
        }),
    ),
    retries: shared(
      registry,
      'kafka_consumer_retries_total',
      () =>
        new Counter({
          name: 'kafka_consumer_retries_total',
          help: 'Transient handler failures that were retried (the offset stays uncommitted meanwhile).',
          labelNames: ['group', 'topic'],
          registers: [registry],
        }),
    ),
    lag: shared(
      registry,
      'kafka_consumer_lag',
      () =>
        new Gauge({
          name: 'kafka_consumer_lag',
          help: 'Messages in the partition after the last committed offset (high watermark - committed offset).',
          labelNames: ['group', 'topic', 'partition'],
          registers: [registry],
        }),
    ),
    duration: shared(
      registry,
      'kafka_consumer_message_duration_seconds',
      () =>
        new Histogram({
          name: 'kafka_consumer_message_duration_seconds',
          help: 'Time from taking a message to committing its offset, retries included.',
          labelNames: ['group', 'topic'],
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
          registers: [registry],
        }),
    ),
  };
}
