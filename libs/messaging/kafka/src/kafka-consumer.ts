import { Logger } from '@nestjs/common';
import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { Registry } from 'prom-client';
import { describeError, PoisonMessageError } from './errors';
import type { KafkaPublisher } from './kafka-publisher';
import { consumerMetrics, type ConsumerMetrics } from './kafka-metrics';

export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  timestamp: string;
}

export type MessageHandler = (message: ConsumedMessage) => Promise<void>;

export interface KafkaMessageConsumerOptions {
  groupId: string;
  topics: string[];
  /** Must be idempotent: a message is redelivered after a crash between the handler's write and the commit. */
  handler: MessageHandler;
  deadLetterTopic: string;
  deadLetterPublisher: KafkaPublisher;
  fromBeginning?: boolean;
  partitionsConsumedConcurrently?: number;
  retryInitialDelayMs?: number;
  retryMaxDelayMs?: number;
  sessionTimeoutMs?: number;
  /** Longest a fetch waits for new messages; also bounds how long `stop()` waits for an idle fetch. */
  maxWaitTimeMs?: number;
  metrics?: Registry;
}

/** Headers added to a dead-lettered message; the original key, value and headers are kept as they were. */
export const DEAD_LETTER_HEADERS = {
  reason: 'dlq-reason',
  topic: 'dlq-original-topic',
  partition: 'dlq-original-partition',
  offset: 'dlq-original-offset',
  group: 'dlq-consumer-group',
  failedAt: 'dlq-failed-at',
} as const;

type BatchContext = Pick<EachBatchPayload, 'heartbeat' | 'isRunning' | 'isStale'>;

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) result[name] = last.toString();
  }
  return result;
}

/**
 * At-least-once consumption with per-message commits: the offset is committed only after the handler returned
 * (its database write is durable). Transient failures are retried in place with capped exponential backoff,
 * keeping per-partition order; a `PoisonMessageError` sends the message to the dead-letter topic with its reason,
 * then the offset moves on.
 */
export class KafkaMessageConsumer {
  private readonly logger: Logger;
  private readonly consumer: Consumer;
  private readonly metrics: ConsumerMetrics;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private stopping = false;
  private readonly sleepers = new Set<() => void>();

  constructor(
    kafka: Kafka,
    private readonly options: KafkaMessageConsumerOptions,
  ) {
    this.logger = new Logger(`KafkaConsumer:${options.groupId}`);
    this.initialDelayMs = options.retryInitialDelayMs ?? 200;
    this.maxDelayMs = options.retryMaxDelayMs ?? 10_000;
    this.metrics = consumerMetrics(options.metrics ?? new Registry());
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.min(3000, Math.floor((options.sessionTimeoutMs ?? 30_000) / 3)),
      allowAutoTopicCreation: true,
      maxWaitTimeInMs: options.maxWaitTimeMs ?? 1000,
      // A crash of the run loop restarts it from the last committed offset instead of leaving the service consuming nothing.
      retry: { retries: 10, initialRetryTime: 300, maxRetryTime: 10_000, restartOnFailure: async () => !this.stopping },
    });
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      this.logger.warn(
        { group: options.groupId, error: describeError(event.payload.error), restart: event.payload.restart },
        'kafka consumer crashed',
      );
    });
  }

  async start(): Promise<void> {
    this.stopping = false;
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.options.topics, fromBeginning: this.options.fromBeginning ?? true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.consumeBatch(payload),
    });
    this.logger.log({ group: this.options.groupId, topics: this.options.topics }, 'kafka consumer started');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    for (const wake of this.sleepers) wake();
    await this.consumer.disconnect();
  }

  private async consumeBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat } = payload;
    const labels = { group: this.options.groupId, topic: batch.topic };
    const first = batch.messages[0];
    if (first) this.setLag(batch.topic, batch.partition, batch.highWatermark, first.offset);
    for (const message of batch.messages) {
      if (!this.canContinue(payload)) return;
      const started = process.hrtime.bigint();
      const outcome = await this.handleWithRetry(this.toConsumed(batch.topic, batch.partition, message), payload);
      if (outcome === 'aborted') return;
      const next = (BigInt(message.offset) + 1n).toString();
      resolveOffset(message.offset);
      await this.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }]);
      this.metrics.messages.inc({ ...labels, outcome });
      this.metrics.duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      this.setLag(batch.topic, batch.partition, batch.highWatermark, next);
      await heartbeat();
    }
  }

  private async handleWithRetry(message: ConsumedMessage, context: BatchContext): Promise<'processed' | 'dead_lettered' | 'aborted'> {
    let poison: PoisonMessageError | undefined;
    for (let attempt = 1; ; attempt += 1) {
      if (!this.canContinue(context)) return 'aborted';
      try {
        if (poison) {
          await this.deadLetter(message, poison.reason);
          return 'dead_lettered';
        }
        await this.options.handler(message);
        return 'processed';
      } catch (error) {
        if (!poison && error instanceof PoisonMessageError) {
          poison = error;
          this.logger.warn(
            {
              group: this.options.groupId,
              topic: message.topic,
              partition: message.partition,
              offset: message.offset,
              reason: error.reason,
            },
            'poison message: sending to dead-letter topic',
          );
          attempt = 0;
          continue;
        }
        this.metrics.retries.inc({ group: this.options.groupId, topic: message.topic });
        const delayMs = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** Math.min(attempt - 1, 16));
        this.logger.warn(
          {
            group: this.options.groupId,
            topic: message.topic,
            partition: message.partition,
            offset: message.offset,
            attempt,
            delay_ms: delayMs,
            error: describeError(error),
          },
          poison ? 'dead-letter publish failed; retrying' : 'message handling failed; retrying',
        );
        await context.heartbeat();
        await this.sleep(delayMs);
      }
    }
  }

  private async deadLetter(message: ConsumedMessage, reason: string): Promise<void> {
    await this.options.deadLetterPublisher.publish(this.options.deadLetterTopic, [
      {
        key: message.key ?? '',
        value: message.value ?? Buffer.alloc(0),
        headers: {
          ...message.headers,
          [DEAD_LETTER_HEADERS.reason]: reason,
          [DEAD_LETTER_HEADERS.topic]: message.topic,
          [DEAD_LETTER_HEADERS.partition]: String(message.partition),
          [DEAD_LETTER_HEADERS.offset]: message.offset,
          [DEAD_LETTER_HEADERS.group]: this.options.groupId,
          [DEAD_LETTER_HEADERS.failedAt]: new Date().toISOString(),
        },
      },
    ]);
  }

  private canContinue(context: BatchContext): boolean {
    return !this.stopping && context.isRunning() && !context.isStale();
  }

  private setLag(topic: string, partition: number, highWatermark: string, nextOffset: string): void {
    const lag = BigInt(highWatermark) - BigInt(nextOffset);
    this.metrics.lag.set({ group: this.options.groupId, topic, partition: String(partition) }, Number(lag > 0n ? lag : 0n));
  }

  private toConsumed(topic: string, partition: number, message: KafkaMessage): ConsumedMessage {
    return {
      topic,
      partition,
      offset: message.offset,
      key: message.key ? message.key.toString() : null,
      value: message.value,
      headers: headersToStrings(message.headers),
      timestamp: message.timestamp,
    };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}
