import { MappingReader } from '../ledger/mappings';
import { StripeAccountDirectory } from '../push/stripe-accounts';
import type { SyncPipelineDependencies } from '../sync-pipeline';
import { createUsageSources, TenantUsageReader } from '../usage-source/usage-sources';
import { ReconciliationMetrics } from './reconciliation-metrics';
import { ReconciliationService, type ReconciliationSettings } from './reconciliation-service';

export * from './ledger-deliveries';
export * from './reconciliation-cells';
export * from './reconciliation-metrics';
export * from './reconciliation-service';
export * from './stripe-meter-totals';

/** A reconciliation service over the pipeline's connections, with its gauges in `deps.registry`. */
export function createReconciliationService(
  deps: Omit<SyncPipelineDependencies, 'settings'> & {
    stripe: SyncPipelineDependencies['settings']['stripe'];
    reconciliation: ReconciliationSettings;
    usage?: SyncPipelineDependencies['settings']['usage'];
  },
): ReconciliationService {
  return new ReconciliationService(
    deps.db,
    new TenantUsageReader(createUsageSources(deps.db, deps.clickhouse, deps.usage)),
    new MappingReader(deps.db),
    new StripeAccountDirectory(deps.db, deps.secretBox, deps.stripe),
    deps.reconciliation,
    deps.logger,
    new ReconciliationMetrics(deps.registry),
  );
}
