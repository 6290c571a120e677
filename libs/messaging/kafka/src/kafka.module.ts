import { DynamicModule, Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { describeError } from './errors';
import { kafkaCheck, type KafkaCheck } from './kafka-check';
import { createKafkaClient, type KafkaClientOptions } from './kafka-client';
import { kafkaSecurityFrom, type KafkaSecurityFields } from './kafka-env';
import { KafkaPublisher } from './kafka-publisher';

export const KAFKA_CLIENT = Symbol('KAFKA_CLIENT');
export const KAFKA_READINESS_CHECK = Symbol('KAFKA_READINESS_CHECK');

export interface KafkaModuleOptions extends KafkaClientOptions {
  publishTimeoutMs?: number;
  readinessTimeoutMs?: number;
}

/** The Kafka settings of a service's validated config. */
export interface KafkaSettings extends KafkaSecurityFields {
  KAFKA_CLIENT_ID: string;
  KAFKA_BROKERS: string[];
  KAFKA_PUBLISH_TIMEOUT_MS: number;
  HEALTH_CHECK_TIMEOUT_MS: number;
}

/** Connects the shared producer at start (without failing start-up if the broker is down) and closes it last. */
@Injectable()
class KafkaConnections implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Kafka');

  constructor(
    @Inject(KafkaPublisher) private readonly publisher: KafkaPublisher,
    @Inject(KAFKA_READINESS_CHECK) private readonly check: KafkaCheck,
  ) {}

  onApplicationBootstrap(): void {
    this.publisher.connect().catch((error: unknown) => {
      this.logger.warn({ error: describeError(error) }, 'kafka producer not connected at start; it will connect on first publish');
    });
  }

  // Runs after every module's onModuleDestroy, so consumers (which dead-letter through this producer) have stopped.
  async onApplicationShutdown(): Promise<void> {
    await this.publisher.disconnect();
    await this.check.close();
  }
}

/** One kafkajs client per service, its producer, and the `kafka` readiness probe. */
@Module({})
export class KafkaModule {
  /** `forRoot` from a service's validated config. */
  static forService(config: KafkaSettings): DynamicModule {
    return KafkaModule.forRoot({
      clientId: config.KAFKA_CLIENT_ID,
      brokers: config.KAFKA_BROKERS,
      ...kafkaSecurityFrom(config),
      publishTimeoutMs: config.KAFKA_PUBLISH_TIMEOUT_MS,
      readinessTimeoutMs: config.HEALTH_CHECK_TIMEOUT_MS,
    });
  }

  static forRoot(options: KafkaModuleOptions): DynamicModule {
    return {
      module: KafkaModule,
      global: true,
      providers: [
        { provide: KAFKA_CLIENT, useFactory: () => createKafkaClient(options) },
        {
          provide: KafkaPublisher,
          inject: [KAFKA_CLIENT],
          useFactory: (kafka: Kafka) => new KafkaPublisher(kafka, { publishTimeoutMs: options.publishTimeoutMs }),
        },
        {
          provide: KAFKA_READINESS_CHECK,
          inject: [KAFKA_CLIENT],
          useFactory: (kafka: Kafka) => kafkaCheck(kafka, { timeoutMs: options.readinessTimeoutMs }),
        },
        KafkaConnections,
      ],
      exports: [KAFKA_CLIENT, KafkaPublisher, KAFKA_READINESS_CHECK],
    };
  }
}
