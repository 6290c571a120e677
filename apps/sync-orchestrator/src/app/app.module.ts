import { DynamicModule, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { Client } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { AuthModule, authOptionsFrom } from '@flexsync/auth';
import { HealthController, ObservabilityModule, readinessChecksProvider } from '@flexsync/observability';
import {
  CircuitBreakerStore,
  ManualSyncRunStore,
  MeterMappingStore,
  PersistenceModule,
  postgresCheck,
  StripeConfigStore,
  SyncBatchStore,
} from '@flexsync/persistence';
import { ReconciliationReportStore, SyncCoverageStore } from '@flexsync/sync-pipeline';
import { connectTemporalClient, temporalCheck, temporalSecurityFrom } from '@flexsync/temporal';
import { SyncCoverageController } from './coverage/sync-coverage.controller';
import { HourlySyncSchedule } from './schedule/hourly-sync.schedule';
import { LedgerMetrics } from './metrics/ledger.metrics';
import { ManualSyncController } from './manual-sync/manual-sync.controller';
import { ManualSyncRuns } from './manual-sync/manual-sync-runs';
import { ManualSyncRunsController } from './manual-sync/manual-sync-runs.controller';
import { DailyReconciliationSchedule } from './reconciliation/daily-reconciliation.schedule';
import { ReconciliationController } from './reconciliation/reconciliation.controller';
import { ReconciliationGauges } from './reconciliation/reconciliation.metrics';
import { ReconciliationRangeReader } from './reconciliation/reconciliation-range';
import { StartReconciliation } from './reconciliation/start-reconciliation.use-case';
import { StartManualSync } from './manual-sync/start-manual-sync.use-case';
import { ManualSyncAdmission } from './shared/manual-sync-admission';
import { TenantSyncSettingsReader } from './shared/sync-settings';
import { SyncWorkflowStarter } from './shared/sync-workflow-starter';
import { TEMPORAL_CLIENT } from './shared/temporal-client.token';
import { SyncBatchReader } from './sync-status/sync-batch.reader';
import { SyncStatusController } from './sync-status/sync-status.controller';
import { SyncOrchestratorConfig } from './sync-orchestrator.config';

@Module({})
export class SyncOrchestratorModule implements OnApplicationShutdown {
  constructor(@Inject(TEMPORAL_CLIENT) private readonly temporal: Client) {}

  static register(config: SyncOrchestratorConfig): DynamicModule {
    return {
      module: SyncOrchestratorModule,
      imports: [
        PersistenceModule.forRoot(config.DATABASE_URL),
        ObservabilityModule.forService('sync-orchestrator', config),
        AuthModule.forRoot(authOptionsFrom(config)),
      ],
      controllers: [
        HealthController,
        ManualSyncController,
        ManualSyncRunsController,
        SyncStatusController,
        SyncCoverageController,
        ReconciliationController,
      ],
      providers: [
        readinessChecksProvider({
          inject: [getDataSourceToken(), TEMPORAL_CLIENT],
          useFactory: (dataSource: DataSource, temporal: Client) => [postgresCheck(dataSource), temporalCheck(temporal)],
        }),
        { provide: SyncOrchestratorConfig, useValue: config },
        {
          provide: TEMPORAL_CLIENT,
          useFactory: () =>
            connectTemporalClient({
              address: config.TEMPORAL_ADDRESS,
              namespace: config.TEMPORAL_NAMESPACE,
              ...temporalSecurityFrom(config),
            }),
        },
        { provide: StripeConfigStore, inject: [getDataSourceToken()], useFactory: (dataSource: DataSource) => new StripeConfigStore(dataSource) },
        { provide: SyncBatchStore, inject: [getDataSourceToken()], useFactory: (dataSource: DataSource) => new SyncBatchStore(dataSource) },
        { provide: CircuitBreakerStore, inject: [getDataSourceToken()], useFactory: (dataSource: DataSource) => new CircuitBreakerStore(dataSource) },
        { provide: MeterMappingStore, inject: [getDataSourceToken()], useFactory: (dataSource: DataSource) => new MeterMappingStore(dataSource) },
        { provide: ManualSyncRunStore, inject: [getDataSourceToken()], useFactory: (dataSource: DataSource) => new ManualSyncRunStore(dataSource) },
        TenantSyncSettingsReader,
        SyncWorkflowStarter,
        ManualSyncAdmission,
        StartManualSync,
        ManualSyncRuns,
        SyncBatchReader,
        HourlySyncSchedule,
        {
          provide: SyncCoverageStore,
          inject: [getDataSourceToken()],
          useFactory: (dataSource: DataSource) => new SyncCoverageStore(dataSource),
        },
        LedgerMetrics,
        {
          provide: ReconciliationReportStore,
          inject: [getDataSourceToken()],
          useFactory: (dataSource: DataSource) => new ReconciliationReportStore(dataSource),
        },
        ReconciliationRangeReader,
        StartReconciliation,
        DailyReconciliationSchedule,
        ReconciliationGauges,
      ],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.temporal.connection.close();
  }
}
