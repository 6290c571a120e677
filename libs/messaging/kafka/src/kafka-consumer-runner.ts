import { Logger } from '@nestjs/common';
import { describeError } from './errors';
import type { KafkaMessageConsumer } from './kafka-consumer';

/** How long a service waits before trying again to join its consumer group when Kafka did not answer. */
export const CONSUMER_START_RETRY_MS = 2000;

/**
 * Runs a service's Kafka consumer without making start-up wait for Kafka: `start` tries to join the group once and,
 * while Kafka does not answer, tries again every `retryMs` (a fresh consumer each time) until it joins or `stop` is
 * called. `stop` ends the retries and stops the running consumer; a message in flight is not committed and comes back.
 */
export class KafkaConsumerRunner {
  private readonly logger: Logger;
  private consumer: KafkaMessageConsumer | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(
    /** Names the consumer in the log line of a failed start (`customer events consumer`). */
    private readonly name: string,
    private readonly create: () => KafkaMessageConsumer,
    private readonly retryMs = CONSUMER_START_RETRY_MS,
  ) {
    this.logger = new Logger(`KafkaConsumerRunner:${name}`);
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.attempt();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.stop();
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    const consumer = this.create();
    this.consumer = consumer;
    try {
      await consumer.start();
    } catch (error) {
      this.logger.warn({ error: describeError(error), retry_in_ms: this.retryMs }, `${this.name} could not start; retrying`);
      this.consumer = undefined;
      await consumer.stop().catch(() => undefined);
      if (!this.stopped) {
        this.retryTimer = setTimeout(() => {
          void this.attempt();
        }, this.retryMs);
      }
    }
  }
}
