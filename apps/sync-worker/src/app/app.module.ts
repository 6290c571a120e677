import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ClickHouseClient, clickHouseCheck, createClickHouseClient, EventsProcessedStore } from '@flexsync/clickhouse';
import { HealthController, ObservabilityModule, readinessChecksProvider } from '@flexsync/observability';
import { PersistenceModule, postgresCheck } from '@flexsync/persistence';
import { AggregateEventsActivity, bindSyncActivities } from '@flexsync/sync-pipeline';
import { SYNC_ACTIVITIES, SyncWorkerRunner } from './sync-worker.runner';
import { SyncWorkerConfig } from './sync-worker.config';

const CLICKHOUSE = Symbol('CLICKHOUSE');

@Module({})
export class SyncWorkerModule implements OnApplicationShutdown {
  constructor(@Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient) {}

  static register(config: SyncWorkerConfig): DynamicModule {
    return {
      module: SyncWorkerModule,
      imports: [
        PersistenceModule.forRoot(config.DATABASE_URL),
        ObservabilityModule.forRoot({
          service: 'sync-worker',
          logLevel: config.LOG_LEVEL,
          healthCheckTimeoutMs: config.HEALTH_CHECK_TIMEOUT_MS,
        }),
      ],
      controllers: [HealthController],
      providers: [
        readinessChecksProvider({
          inject: [getDataSourceToken(), CLICKHOUSE, SyncWorkerRunner],
          useFactory: (dataSource: DataSource, clickhouse: ClickHouseClient, runner: SyncWorkerRunner) => [
            postgresCheck(dataSource),
            clickHouseCheck(clickhouse),
            runner.readinessCheck(),
          ],
        }),
        { provide: SyncWorkerConfig, useValue: config },
        {
          provide: CLICKHOUSE,
          useFactory: () => createClickHouseClient({ url: config.CLICKHOUSE_URL, database: config.CLICKHOUSE_DATABASE }),
        },
        { provide: EventsProcessedStore, inject: [CLICKHOUSE], useFactory: (client: ClickHouseClient) => new EventsProcessedStore(client) },
        {
          provide: AggregateEventsActivity,
          inject: [EventsProcessedStore],
          useFactory: (store: EventsProcessedStore) => new AggregateEventsActivity(store),
        },
        { provide: SYNC_ACTIVITIES, inject: [AggregateEventsActivity], useFactory: bindSyncActivities },
        SyncWorkerRunner,
      ],
      exports: [CLICKHOUSE, SyncWorkerRunner],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.clickhouse.close();
  }
}
