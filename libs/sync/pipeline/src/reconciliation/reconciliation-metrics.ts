import { Counter, type Registry } from 'prom-client';

/**
 * The worker's reconciliation counters. The alerting gauges (drift, unknown outcomes, window lag per tenant) are read
 * from Postgres by the orchestrator at scrape time, so every replica agrees and none shows a stale value.
 */
export class ReconciliationMetrics {
  readonly runs: Counter<'trigger' | 'result'>;
  readonly cells: Counter<'status'>;
  readonly unknownSettled: Counter<'outcome'>;

  constructor(registry: Registry) {
    this.runs = new Counter({
      name: 'stripe_sync_reconciliations_total',
      help: 'Reconciliation runs against Stripe meter event summaries, by trigger (api, daily, hourly) and result',
      labelNames: ['trigger', 'result'],
      registers: [registry],
    });
    this.cells = new Counter({
      name: 'stripe_sync_reconciliation_cells_total',
      help: 'Customer × meter × window cells judged by reconciliation, by verdict (match, drift, pending, unknown_outcome)',
      labelNames: ['status'],
      registers: [registry],
    });
    this.unknownSettled = new Counter({
      name: 'stripe_sync_unknown_outcomes_settled_total',
      help: 'Unknown-outcome pushes settled from Stripe totals: counted (completed) or reidentified (re-sent once under a new identifier)',
      labelNames: ['outcome'],
      registers: [registry],
    });
  }
}
