import type { DataSource } from 'typeorm';
import type { CircuitState, TenantScope } from '@flexsync/persistence';
import type { SyncPipelineMetrics } from '../sync-metrics';

/** What a page of pushes may do. */
export type CircuitGate =
  | { state: 'closed' }
  /** Half-open: this page may send one probe push; its result closes or re-opens the circuit. */
  | { state: 'probe' }
  /** Open: fail fast without calling Stripe. */
  | { state: 'open'; message: string };

/**
 * Per tenant+environment breaker in `stripe_circuit_breakers`. Stripe refusing the key (401/403) opens it, so a
 * bad key is not hammered with every pending push; after the cool-down one page gets to probe (half-open), and
 * the next answer that is not an auth failure closes it.
 */
export class StripeCircuitBreakers {
  constructor(
    private readonly db: DataSource,
    private readonly cooldownSeconds: number,
    private readonly metrics: SyncPipelineMetrics,
  ) {}

  async gate(scope: TenantScope): Promise<CircuitGate> {
    // TypeORM answers an UPDATE with [rows, affected].
    const [probe]: [{ id: string }[], number] = await this.db.query(
      `UPDATE stripe_circuit_breakers
          SET state = 'half_open', next_probe_at = now() + make_interval(secs => $3), updated_at = now()
        WHERE tenant_id = $1 AND environment_id = $2 AND state <> 'closed' AND (next_probe_at IS NULL OR next_probe_at <= now())
        RETURNING id`,
      [scope.tenantId, scope.environmentId, this.cooldownSeconds],
    );
    if (probe.length > 0) {
      this.metrics.setCircuitState(scope, 'half_open');
      return { state: 'probe' };
    }
    const rows: { state: CircuitState; reason: string | null; next_probe_at: Date | null }[] = await this.db.query(
      `SELECT state, reason, next_probe_at FROM stripe_circuit_breakers WHERE tenant_id = $1 AND environment_id = $2`,
      [scope.tenantId, scope.environmentId],
    );
    const row = rows[0];
    this.metrics.setCircuitState(scope, row?.state ?? 'closed');
    if (!row || row.state === 'closed') return { state: 'closed' };
    return { state: 'open', message: openMessage(row.reason, row.next_probe_at) };
  }

  /** Stripe refused the key: open (again) until the cool-down has passed. Returns the message pushes fail with. */
  async recordAuthFailure(scope: TenantScope, reason: string): Promise<string> {
    const rows: { next_probe_at: Date }[] = await this.db.query(
      `INSERT INTO stripe_circuit_breakers (tenant_id, environment_id, state, failure_count, opened_at, next_probe_at, reason)
       VALUES ($1, $2, 'open', 1, now(), now() + make_interval(secs => $3), $4)
       ON CONFLICT (tenant_id, environment_id) DO UPDATE
         SET state = 'open', failure_count = stripe_circuit_breakers.failure_count + 1, opened_at = now(),
             next_probe_at = EXCLUDED.next_probe_at, reason = EXCLUDED.reason, updated_at = now()
       RETURNING next_probe_at`,
      [scope.tenantId, scope.environmentId, this.cooldownSeconds, reason],
    );
    this.metrics.setCircuitState(scope, 'open');
    return openMessage(reason, rows[0]?.next_probe_at ?? null);
  }

  /** Stripe accepted the key again: close. */
  async recordRecovery(scope: TenantScope): Promise<void> {
    await this.db.query(
      `UPDATE stripe_circuit_breakers SET state = 'closed', failure_count = 0, next_probe_at = NULL, updated_at = now()
        WHERE tenant_id = $1 AND environment_id = $2 AND state <> 'closed'`,
      [scope.tenantId, scope.environmentId],
    );
    this.metrics.setCircuitState(scope, 'closed');
  }
}

/** Starts with `auth error`, like the push that opened the circuit: the cause is the tenant's key either way. */
function openMessage(reason: string | null, nextProbeAt: Date | null): string {
  const until = nextProbeAt ? ` until ${nextProbeAt.toISOString()}` : '';
  return `auth error: circuit open for this tenant and environment${until} after Stripe refused its API key (${reason ?? 'no reason recorded'})`;
}
