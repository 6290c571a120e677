import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CircuitState } from '@flexsync/persistence';

export type AggregateResult = 'new' | 'correction' | 'unchanged' | 'skipped';
export type StripeCallResult =
  | 'ok'
  | 'duplicate'
  | 'auth'
  | 'rate_limited'
  | 'conflict'
  | 'invalid_request'
  | 'server'
  | 'network'
  | 'unexpected';

const CIRCUIT_STATE_VALUE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

/**
 * The sync pipeline's Prometheus metrics. Labels carry outcomes and, for the breaker gauge, tenant and environment
 * ids; never a key, a customer or an identifier.
 */
export class SyncPipelineMetrics {
  /** Playbook §9: `stripe_sync_batches_total{status="failed"}`. */
  readonly batches: Counter<'status'>;
  readonly aggregates: Counter<'result'>;
  readonly stripeCalls: Counter<'result'>;
  readonly pushDuration: Histogram<'result'>;
  readonly rateLimiterWait: Histogram;
  readonly circuitState: Gauge<'tenant_id' | 'environment_id'>;
  /** v2 meter event stream: events accepted (validating), failed, settled to completed after the validation period. */
  readonly streamEvents: Counter<'outcome'>;

  constructor(registry: Registry) {
    this.batches = new Counter({
      name: 'stripe_sync_batches_total',
      help: 'Ledger rows (pushes) by status they entered: pending when armed, completed or failed when tracked',
      labelNames: ['status'],
      registers: [registry],
    });
    // Every status exists from the start at 0: `increase()` cannot see a series whose first sample is already 1,
    // so the first failure after a restart would never fire the failed-batches alert.
    for (const status of ['pending', 'completed', 'failed']) this.batches.inc({ status }, 0);
    this.aggregates = new Counter({
      name: 'stripe_sync_aggregates_total',
      help: 'ClickHouse aggregates (customer, meter, event_type per window) reconciled with the ledger, by result',
      labelNames: ['result'],
      registers: [registry],
    });
    this.stripeCalls = new Counter({
      name: 'stripe_sync_stripe_calls_total',
      help: 'Meter event calls to Stripe, by result (each retry counts)',
      labelNames: ['result'],
      registers: [registry],
    });
    this.pushDuration = new Histogram({
      name: 'stripe_sync_push_duration_seconds',
      help: 'Duration of one meter event call to Stripe (rate-limiter wait excluded)',
      labelNames: ['result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
      registers: [registry],
    });
    this.rateLimiterWait = new Histogram({
      name: 'stripe_sync_rate_limiter_wait_seconds',
      help: "Time a meter event call waited for its Stripe account's token bucket before going out",
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.streamEvents = new Counter({
      name: 'stripe_sync_stream_events_total',
      help: 'Meter events sent through the v2 meter event stream, by outcome: accepted (validating), failed, settled (completed)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    for (const outcome of ['accepted', 'failed', 'settled']) this.streamEvents.inc({ outcome }, 0);
    this.circuitState = new Gauge({
      name: 'stripe_sync_circuit_state',
      help: 'Stripe circuit breaker per tenant and environment: 0 closed, 1 half-open, 2 open',
      labelNames: ['tenant_id', 'environment_id'],
      registers: [registry],
    });
  }

  setCircuitState(scope: { tenantId: string; environmentId: string }, state: CircuitState): void {
    this.circuitState.set({ tenant_id: scope.tenantId, environment_id: scope.environmentId }, CIRCUIT_STATE_VALUE[state]);
  }
}
