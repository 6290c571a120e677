import { Logger } from '@nestjs/common';
import { Partitioners, type IHeaders, type Kafka, type Producer } from 'kafkajs';
import { withTimeout } from '@flexsync/runtime';
import { describeError, KafkaUnavailableError } from './errors';

export interface OutgoingMessage {
  key: string;
  value: Buffer | string;
  headers?: Record<string, string>;
}

export interface KafkaPublisherOptions {
  /** Upper bound for one publish (connect + send + acks); past it the caller gets `KafkaUnavailableError`. */
  publishTimeoutMs?: number;
}

/**
 * Publishes with `acks=all` and a hard deadline. It connects lazily and reconnects after a failure, so a service
 * can start while the broker is down and recover when it comes back.
 */
export class KafkaPublisher {
  private readonly logger = new Logger(KafkaPublisher.name);
  private readonly producer: Producer;
  private readonly publishTimeoutMs: number;
  private connecting: Promise<void> | undefined;

  constructor(kafka: Kafka, options: KafkaPublisherOptions = {}) {
    this.publishTimeoutMs = options.publishTimeoutMs ?? 3000;
    this.producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: true,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    });
  }

  async connect(): Promise<void> {
    this.connecting ??= this.producer.connect().catch((error: unknown) => {
      this.connecting = undefined;
      throw error;
    });
    await this.connecting;
  }

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const send = async (): Promise<void> => {
      await this.connect();
      await this.producer.send({
        topic,
        acks: -1,
        timeout: this.publishTimeoutMs,
        messages: messages.map((m) => ({ key: m.key, value: m.value, headers: m.headers as IHeaders | undefined })),
      });
    };
    try {
      await withTimeout(send(), this.publishTimeoutMs, `kafka publish to ${topic}`);
    } catch (error) {
      this.logger.warn({ topic, count: messages.length, error: describeError(error) }, 'kafka publish failed');
      throw new KafkaUnavailableError(`could not publish to ${topic}: ${describeError(error)}`, { cause: error });
    }
  }

  async disconnect(): Promise<void> {
    const connecting = this.connecting;
    this.connecting = undefined;
    if (!connecting) return;
    await connecting.catch(() => undefined);
    await this.producer.disconnect();
  }
}
