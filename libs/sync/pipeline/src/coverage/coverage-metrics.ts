import { Counter, Gauge, Registry } from 'prom-client';
import type { TenantScope } from '@flexsync/persistence';

/** Coverage metrics of the scheduled sync. Only tenants with windows beyond Stripe's limit get a series, so alerts name them. */
export class CoverageMetrics {
  readonly beyondLimit: Gauge<'tenant_id' | 'environment_id'>;
  readonly windowsPlanned: Counter;
  readonly windowsRecorded: Counter<'delivered'>;
  readonly lateRowsBeyondLimit: Counter<'tenant_id' | 'environment_id'>;
  readonly lateWindows: Counter;

  constructor(registry: Registry) {
    this.beyondLimit = new Gauge({
      name: 'stripe_sync_windows_beyond_limit',
      help: "Closed windows never fully delivered that are now older than Stripe's age limit (less the margin): no longer sent, reported",
      labelNames: ['tenant_id', 'environment_id'],
      registers: [registry],
    });
    this.windowsPlanned = new Counter({
      name: 'stripe_sync_coverage_windows_planned_total',
      help: 'Windows the scheduler planned to sync (undelivered ones and the look-back)',
      registers: [registry],
    });
    this.windowsRecorded = new Counter({
      name: 'stripe_sync_coverage_windows_recorded_total',
      help: 'Windows recorded after a run pushed them, by whether they were then fully delivered',
      labelNames: ['delivered'],
      registers: [registry],
    });
    this.lateRowsBeyondLimit = new Counter({
      name: 'stripe_sync_late_usage_beyond_limit_rows_total',
      help: 'Rows ingested after their window was synced whose window is older than Stripe accepts: reported, never sent',
      labelNames: ['tenant_id', 'environment_id'],
      registers: [registry],
    });
    this.lateWindows = new Counter({
      name: 'stripe_sync_late_usage_windows_total',
      help: 'Event-time windows found holding rows ingested since the last run (re-aggregated until delivered again)',
      registers: [registry],
    });
  }

  reportBeyondLimit(scope: TenantScope, count: number): void {
    const labels = { tenant_id: scope.tenantId, environment_id: scope.environmentId };
    if (count > 0) this.beyondLimit.set(labels, count);
    else this.beyondLimit.remove(labels);
  }
}
