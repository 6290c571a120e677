import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { Client } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { HealthController, ObservabilityModule, readinessChecksProvider } from '@flexsync/observability';
import { PersistenceModule, postgresCheck } from '@flexsync/persistence';
import { connectTemporalClient, temporalCheck } from '@flexsync/temporal';
import { SyncOrchestratorConfig } from './sync-orchestrator.config';

export const TEMPORAL_CLIENT = Symbol('TEMPORAL_CLIENT');

@Module({})
export class SyncOrchestratorModule implements OnApplicationShutdown {
  constructor(@Inject(TEMPORAL_CLIENT) private readonly temporal: Client) {}

  static register(config: SyncOrchestratorConfig): DynamicModule {
    return {
      module: SyncOrchestratorModule,
      imports: [
        PersistenceModule.forRoot(config.DATABASE_URL),
        ObservabilityModule.forRoot({
          service: 'sync-orchestrator',
          logLevel: config.LOG_LEVEL,
          healthCheckTimeoutMs: config.HEALTH_CHECK_TIMEOUT_MS,
        }),
      ],
      controllers: [HealthController],
      providers: [
        readinessChecksProvider({
          inject: [getDataSourceToken(), TEMPORAL_CLIENT],
          useFactory: (dataSource: DataSource, temporal: Client) => [postgresCheck(dataSource), temporalCheck(temporal)],
        }),
        { provide: SyncOrchestratorConfig, useValue: config },
        {
          provide: TEMPORAL_CLIENT,
          useFactory: () => connectTemporalClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE }),
        },
      ],
      exports: [TEMPORAL_CLIENT],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.temporal.connection.close();
  }
}
