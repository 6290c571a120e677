import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import pino from 'pino';
import { DataSource } from 'typeorm';
import { ClickHouseClient, clickHouseCheck, clickHouseCredentialsFrom, createClickHouseClient } from '@flexsync/clickhouse';
import { secretBoxFrom } from '@flexsync/crypto';
import { KAFKA_READINESS_CHECK, KafkaModule, type KafkaCheck } from '@flexsync/kafka';
import {
  degradedWhenDown,
  HealthController,
  MetricsRegistry,
  ObservabilityModule,
  readinessChecksProvider,
  REDACTED_LOG_PATHS,
  redactingPinoOptions,
} from '@flexsync/observability';
import { PersistenceModule, postgresCheck } from '@flexsync/persistence';
import { createSyncPipeline } from '@flexsync/sync-pipeline';
import { MeterErrorReportsConsumer } from './meter-error-reports/meter-error-reports.consumer';
import { syncPipelineSettings } from './sync-pipeline.settings';
import { SYNC_ACTIVITIES, SyncWorkerRunner } from './sync-worker.runner';
import { SyncWorkerConfig } from './sync-worker.config';

const SERVICE = 'sync-worker';
const CLICKHOUSE = Symbol('CLICKHOUSE');

@Module({})
export class SyncWorkerModule implements OnApplicationShutdown {
  constructor(@Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient) {}

  static register(config: SyncWorkerConfig): DynamicModule {
    return {
      module: SyncWorkerModule,
      imports: [PersistenceModule.forRoot(config.DATABASE_URL), ObservabilityModule.forService(SERVICE, config), KafkaModule.forService(config)],
      controllers: [HealthController],
      providers: [
        readinessChecksProvider({
          inject: [getDataSourceToken(), CLICKHOUSE, SyncWorkerRunner, KAFKA_READINESS_CHECK],
          // Kafka down only degrades: error reports wait in webhook-ingest's outbox and on the topic until the consumer is back.
          useFactory: (dataSource: DataSource, clickhouse: ClickHouseClient, runner: SyncWorkerRunner, kafka: KafkaCheck) => [
            postgresCheck(dataSource),
            clickHouseCheck(clickhouse),
            runner.readinessCheck(),
            degradedWhenDown(kafka),
          ],
        }),
        { provide: SyncWorkerConfig, useValue: config },
        {
          provide: CLICKHOUSE,
          useFactory: () =>
            createClickHouseClient({
              url: config.CLICKHOUSE_URL,
              database: config.CLICKHOUSE_DATABASE,
              ...clickHouseCredentialsFrom(config),
            }),
        },
        {
          provide: SYNC_ACTIVITIES,
          inject: [getDataSourceToken(), CLICKHOUSE, MetricsRegistry],
          useFactory: async (db: DataSource, clickhouse: ClickHouseClient, registry: MetricsRegistry) => {
            const pipeline = createSyncPipeline({
              db,
              clickhouse,
              secretBox: secretBoxFrom(config),
              registry,
              // Activities log outside any HTTP request, as JSON lines in the same shape and with the same redaction.
              logger: pino({
                level: config.LOG_LEVEL,
                base: { service: SERVICE, component: 'sync-pipeline' },
                redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' },
                ...redactingPinoOptions(),
              }),
              settings: syncPipelineSettings(config),
            });
            // A default source that cannot be read (e.g. its table does not exist) stops the worker here, naming it.
            await pipeline.usageSources.verifyDefault();
            return pipeline.activities;
          },
        },
        SyncWorkerRunner,
        MeterErrorReportsConsumer,
      ],
      exports: [CLICKHOUSE, SyncWorkerRunner],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.clickhouse.close();
  }
}
