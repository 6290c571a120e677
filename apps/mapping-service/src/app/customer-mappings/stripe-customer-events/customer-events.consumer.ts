import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { QueryFailedError } from 'typeorm';
import {
  KAFKA_CLIENT,
  KafkaConsumerRunner,
  KafkaMessageConsumer,
  KafkaPublisher,
  readStripeCustomerEvent,
  RejectedStripeCustomerEventError,
  type ConsumedMessage,
} from '@flexsync/kafka';
import { MetricsRegistry } from '@flexsync/observability';
import { MappingServiceConfig } from '../../mapping-service.config';
import { CustomerMappingMetrics } from '../customer-mapping.metrics';
import { ApplyStripeCustomerEvent } from './apply-stripe-customer-event';

/**
 * Consumes `stripe.customer.events` into customer mappings. Offsets are committed after the database transaction;
 * undecodable messages and events the database refuses for good go to the dead-letter topic; other database
 * failures are retried in place.
 * Start-up does not wait for Kafka: the API serves while the consumer keeps trying to join.
 */
@Injectable()
export class CustomerEventsConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(CustomerEventsConsumer.name);
  private readonly runner = new KafkaConsumerRunner('customer events consumer', () => this.createConsumer());

  constructor(
    @Inject(KAFKA_CLIENT) private readonly kafka: Kafka,
    @Inject(KafkaPublisher) private readonly publisher: KafkaPublisher,
    @Inject(MetricsRegistry) private readonly registry: MetricsRegistry,
    @Inject(MappingServiceConfig) private readonly config: MappingServiceConfig,
    @Inject(ApplyStripeCustomerEvent) private readonly applyEvent: ApplyStripeCustomerEvent,
    @Inject(CustomerMappingMetrics) private readonly mappingMetrics: CustomerMappingMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.CUSTOMER_EVENTS_CONSUMER_ENABLED) return;
    await this.runner.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.runner.stop();
  }

  private createConsumer(): KafkaMessageConsumer {
    return new KafkaMessageConsumer(this.kafka, {
      groupId: this.config.KAFKA_CUSTOMER_EVENTS_GROUP_ID,
      topics: [this.config.KAFKA_CUSTOMER_EVENTS_TOPIC],
      deadLetterTopic: this.config.KAFKA_CUSTOMER_EVENTS_DLQ_TOPIC,
      deadLetterPublisher: this.publisher,
      partitionsConsumedConcurrently: this.config.KAFKA_CONSUMER_CONCURRENCY,
      sessionTimeoutMs: this.config.KAFKA_CONSUMER_SESSION_TIMEOUT_MS,
      retryInitialDelayMs: this.config.KAFKA_CONSUMER_RETRY_INITIAL_MS,
      retryMaxDelayMs: this.config.KAFKA_CONSUMER_RETRY_MAX_MS,
      metrics: this.registry,
      handler: (message) => this.handle(message),
    });
  }

  private async handle(message: ConsumedMessage): Promise<void> {
    try {
      const event = readStripeCustomerEvent(message, {
        nowMs: Date.now(),
        maxFutureSkewSeconds: this.config.KAFKA_CUSTOMER_EVENTS_MAX_FUTURE_SKEW_SECONDS,
      });
      await this.applyEvent.execute(event);
    } catch (error) {
      throw this.refusal(message, error);
    }
  }

  /** The error to hand the consumer: a permanent refusal (dead-lettered) is counted and logged here, anything else is retried. */
  private refusal(message: ConsumedMessage, error: unknown): unknown {
    let rejected: RejectedStripeCustomerEventError | undefined;
    if (error instanceof RejectedStripeCustomerEventError) rejected = error;
    const refusal = permanentDatabaseRefusal(error);
    // Retrying a value the database will never accept would block the partition forever.
    if (refusal)
      rejected = new RejectedStripeCustomerEventError('database_refused', `the database refused the event: ${refusal}`, { cause: error });
    if (!rejected) return error;
    this.mappingMetrics.rejected(rejected.rejection);
    this.logger.warn(
      {
        ...claimedScope(message),
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
        rejection: rejected.rejection,
        reason: rejected.reason,
      },
      'stripe customer event rejected',
    );
    return rejected;
  }
}

/** What the delivery claims about its tenant (from the headers, unverified): enough to find the producer that sent it. */
function claimedScope(message: ConsumedMessage): Record<string, string | undefined> {
  return {
    tenant_id: message.headers['tenant-id'],
    environment_id: message.headers['environment-id'],
    stripe_event_id: message.headers['stripe-event-id'],
  };
}

/**
 * Postgres errors no retry can fix: invalid data (class 22, e.g. a NUL character in metadata) and integrity rules
 * other than a unique-key race (not-null, check, foreign key). Connection and lock errors stay transient.
 */
function permanentDatabaseRefusal(error: unknown): string | undefined {
  if (!(error instanceof QueryFailedError)) return undefined;
  const code = (error.driverError as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return undefined;
  return code.startsWith('22') || ['23502', '23503', '23514'].includes(code) ? `SQLSTATE ${code}` : undefined;
}
