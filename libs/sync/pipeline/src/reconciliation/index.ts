import { MappingReader } from '../ledger/mappings';
import { StripeAccountDirectory } from '../push/stripe-accounts';
import type { SyncPipelineDependencies } from '../sync-pipeline';
import { ReconcileTenantActivity } from './reconcile-tenant.activity';
import { createUsageSources, TenantUsageReader } from '../usage-source/usage-sources';
import { ReconciliationMetrics } from './reconciliation-metrics';
import { ReconciliationReportStore } from './reconciliation-report.store';
import { ReconciliationService, type ReconciliationSettings } from './reconciliation-service';

export * from './ledger-deliveries';
export * from './reconcile-tenant.activity';
export * from './reconciliation-cells';
export * from './reconciliation-metrics';
export * from './reconciliation-report.store';
export * from './reconciliation-service';
export * from './stripe-meter-totals';

/** Stripe's summaries trail an accepted meter event by a few minutes; until then a cell is `pending`, not drift. */
export const DEFAULT_RECONCILIATION_INGESTION_LAG_SECONDS = 600;

type ReconciliationDependencies = Omit<SyncPipelineDependencies, 'settings'> & {
  stripe: SyncPipelineDependencies['settings']['stripe'];
  reconciliation: ReconciliationSettings;
  usage?: SyncPipelineDependencies['settings']['usage'];
};

/** A reconciliation service over the pipeline's connections, counting into `deps.registry` (or `metrics`). */
export function createReconciliationService(deps: ReconciliationDependencies, metrics?: ReconciliationMetrics): ReconciliationService {
  return new ReconciliationService(
    deps.db,
    new TenantUsageReader(createUsageSources(deps.db, deps.clickhouse, deps.usage)),
    new MappingReader(deps.db),
    new StripeAccountDirectory(deps.db, deps.secretBox, deps.stripe),
    deps.reconciliation,
    deps.logger,
    metrics ?? new ReconciliationMetrics(deps.registry),
  );
}

/** `ReconcileTenantActivity` with its service and report store, one set of counters for both. */
export function createReconcileTenantActivity(deps: ReconciliationDependencies): ReconcileTenantActivity {
  const metrics = new ReconciliationMetrics(deps.registry);
  return new ReconcileTenantActivity(
    createReconciliationService(deps, metrics),
    new ReconciliationReportStore(deps.db),
    metrics,
    deps.logger,
  );
}
