import { Gauge, type Registry } from 'prom-client';

/**
 * Gauges an alert fires on (drift ≠ 0, unknown outcomes > 0). Labels are the tenant and environment only: one
 * series per enabled tenant+environment, never per customer, meter or window.
 */
export class ReconciliationMetrics {
  readonly driftUnits: Gauge<'tenant_id' | 'environment_id'>;
  readonly unknownOutcomes: Gauge<'tenant_id' | 'environment_id'>;

  constructor(registry: Registry) {
    this.driftUnits = new Gauge({
      name: 'stripe_sync_drift_units',
      help: 'Σ |Stripe − ClickHouse| in Stripe units over the drift cells of the last reconciliation of the tenant+environment',
      labelNames: ['tenant_id', 'environment_id'],
      registers: [registry],
    });
    this.unknownOutcomes = new Gauge({
      name: 'stripe_sync_unknown_outcomes',
      help: 'Ledger rows left in an unknown outcome after the last reconciliation of the tenant+environment',
      labelNames: ['tenant_id', 'environment_id'],
      registers: [registry],
    });
  }
}
