import type { DataSource } from 'typeorm';
import { CircuitBreakerStore, type TenantScope } from '@flexsync/persistence';
import type { SyncPipelineMetrics } from '../sync-metrics';

/** What a page of pushes may do. */
export type CircuitGate =
  | { state: 'closed' }
  /** Half-open: this page may send one probe push; its result closes or re-opens the circuit. */
  | { state: 'probe' }
  /** Open: fail fast without calling Stripe. */
  | { state: 'open'; message: string };

/**
 * Per tenant+environment breaker (`stripe_circuit_breakers`, through {@link CircuitBreakerStore}). Stripe refusing
 * the key (401/403) opens it, so a bad key is not hammered with every pending push; after the cool-down one page gets
 * to probe (half-open), and the next answer that is not an auth failure closes it.
 */
export class StripeCircuitBreakers {
  private readonly store: CircuitBreakerStore;

  constructor(
    db: DataSource,
    private readonly cooldownSeconds: number,
    private readonly metrics: SyncPipelineMetrics,
  ) {
    this.store = new CircuitBreakerStore(db);
  }

  async gate(scope: TenantScope): Promise<CircuitGate> {
    if (await this.store.claimProbe(scope, this.cooldownSeconds)) {
      this.metrics.setCircuitState(scope, 'half_open');
      return { state: 'probe' };
    }
    const circuit = await this.store.find(scope);
    this.metrics.setCircuitState(scope, circuit?.state ?? 'closed');
    if (!circuit || circuit.state === 'closed') return { state: 'closed' };
    return { state: 'open', message: openMessage(circuit.reason, circuit.nextProbeAt) };
  }

  /** Stripe refused the key: open (again) until the cool-down has passed. Returns the message pushes fail with. */
  async recordAuthFailure(scope: TenantScope, reason: string): Promise<string> {
    const { nextProbeAt } = await this.store.open(scope, this.cooldownSeconds, reason);
    this.metrics.setCircuitState(scope, 'open');
    return openMessage(reason, nextProbeAt);
  }

  /** Stripe accepted the key again: close. */
  async recordRecovery(scope: TenantScope): Promise<void> {
    await this.store.close(scope);
    this.metrics.setCircuitState(scope, 'closed');
  }
}

/** Starts with `auth error`, like the push that opened the circuit: the cause is the tenant's key either way. */
function openMessage(reason: string | null, nextProbeAt: Date | null): string {
  const until = nextProbeAt ? ` until ${nextProbeAt.toISOString()}` : '';
  return `auth error: circuit open for this tenant and environment${until} after Stripe refused its API key (${reason ?? 'no reason recorded'})`;
}
