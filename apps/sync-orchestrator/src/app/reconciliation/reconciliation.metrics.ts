import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { PinoLogger } from 'nestjs-pino';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { MetricsRegistry } from '@flexsync/observability';
import { SyncBatchStore, SyncWindowStore, type TenantFigure } from '@flexsync/persistence';
import { ReconciliationReportStore } from '@flexsync/sync-pipeline';
import { SyncOrchestratorConfig } from '../sync-orchestrator.config';

/**
 * The gauges the reconciliation alerts fire on, read from Postgres at every scrape (durable, the same on every
 * replica): drift per tenant (Σ |Stripe − ClickHouse| over its current drift cells), unknown outcomes per tenant
 * (ledger rows Stripe's totals have not settled), and window lag per tenant (seconds since its oldest closed window not yet
 * delivered closed, 0 when all are). Each labels at most STRIPE_SYNC_METRICS_MAX_TENANTS tenant environments, the
 * worst first; a tenant without drift or unknown rows has no series. A failed read leaves the gauge empty for that
 * scrape (no stale value). Each figure is read from the store of the table it is about: reconciliation cells
 * (`ReconciliationReportStore`), the ledger (`SyncBatchStore`), sync windows (`SyncWindowStore`).
 */
@Injectable()
export class ReconciliationGauges {
  constructor(
    @Inject(MetricsRegistry) registry: MetricsRegistry,
    private readonly store: ReconciliationReportStore,
    @Inject(SyncBatchStore) private readonly batches: SyncBatchStore,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: SyncOrchestratorConfig,
    private readonly logger: PinoLogger,
  ) {
    logger.setContext(ReconciliationGauges.name);
    const limit = (): number => this.config.STRIPE_SYNC_METRICS_MAX_TENANTS;
    const windows = new SyncWindowStore();
    const gauge = (name: string, help: string, read: () => Promise<TenantFigure[]>): void => {
      const figures = (): Promise<TenantFigure[] | undefined> => this.read(name, read);
      new Gauge({
        name,
        help,
        labelNames: ['tenant_id', 'environment_id'],
        registers: [registry],
        async collect() {
          this.reset();
          for (const row of (await figures()) ?? []) {
            this.set({ tenant_id: row.tenant_id, environment_id: row.environment_id }, Number(row.value));
          }
        },
      });
    };
    gauge(
      'stripe_sync_drift_units',
      'Per tenant environment: Σ |Stripe − ClickHouse| in Stripe units over its current drift cells (capped label set, largest first)',
      () => this.store.driftByTenant(limit()),
    );
    gauge(
      'stripe_sync_unknown_outcomes',
      'Per tenant environment: ledger rows whose outcome Stripe’s totals have not settled yet (capped label set, most first)',
      () => this.batches.unknownOutcomesByTenant(limit()),
    );
    gauge(
      'stripe_sync_window_lag_seconds',
      'Per enabled tenant environment: seconds since its oldest closed window not yet delivered closed; 0 when all are (capped label set, stalest first)',
      () => windows.deliveryLagByTenant(this.dataSource.manager, limit()),
    );
  }

  private async read(what: string, work: () => Promise<TenantFigure[]>): Promise<TenantFigure[] | undefined> {
    try {
      return await work();
    } catch (error) {
      this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, `metrics: could not read ${what}`);
      return undefined;
    }
  }
}
