import type { DataSource } from 'typeorm';
import type { TenantScope } from '../entities/tenant-scoped';
import type { CircuitState } from './stripe-circuit-breaker.entity';

/** A tenant+environment's breaker as stored. */
export interface StoredCircuit {
  state: CircuitState;
  failureCount: number;
  reason: string | null;
  nextProbeAt: Date | null;
}

/**
 * SQL condition, for a statement on another table aliased `alias` (with `tenant_id`, `environment_id`): the row's
 * tenant+environment has a circuit that is not closed. The ledger uses it to find auth failures a closed circuit
 * allows to retry; the rule lives here, beside the table.
 */
export const circuitNotClosedOf = (alias: string): string =>
  `EXISTS (SELECT 1 FROM stripe_circuit_breakers s
            WHERE s.tenant_id = ${alias}.tenant_id AND s.environment_id = ${alias}.environment_id AND s.state <> 'closed')`;

/**
 * `stripe_circuit_breakers` (entity `StripeCircuitBreaker`): every read and write of the table, by the sync worker
 * (which opens, probes and closes breakers) and the orchestrator (which counts open ones for the status API), always
 * inside one tenant+environment. Raw SQL throughout, because the writes are single statements the repository API
 * cannot say: a conditional `UPDATE … RETURNING` that lets exactly one caller claim the half-open probe, and an
 * `INSERT … ON CONFLICT … DO UPDATE` that opens (or re-opens) the breaker atomically, both timed by Postgres' clock.
 */
export class CircuitBreakerStore {
  constructor(private readonly db: DataSource) {}

  /**
   * Claims the probe of a breaker that is not closed and whose cool-down has passed: it turns half-open and the next
   * probe waits `cooldownSeconds` more. True for the one caller that claimed it.
   */
  async claimProbe(scope: TenantScope, cooldownSeconds: number): Promise<boolean> {
    // TypeORM answers an UPDATE with [rows, affected].
    const [claimed]: [{ id: string }[], number] = await this.db.query(
      `UPDATE stripe_circuit_breakers
          SET state = 'half_open', next_probe_at = now() + make_interval(secs => $3), updated_at = now()
        WHERE tenant_id = $1 AND environment_id = $2 AND state <> 'closed' AND (next_probe_at IS NULL OR next_probe_at <= now())
        RETURNING id`,
      [scope.tenantId, scope.environmentId, cooldownSeconds],
    );
    return claimed.length > 0;
  }

  /** The breaker, or undefined when the tenant+environment never had one (closed). */
  async find(scope: TenantScope): Promise<StoredCircuit | undefined> {
    const rows: StoredCircuit[] = await this.db.query(
      `SELECT state, failure_count AS "failureCount", reason, next_probe_at AS "nextProbeAt"
         FROM stripe_circuit_breakers WHERE tenant_id = $1 AND environment_id = $2`,
      [scope.tenantId, scope.environmentId],
    );
    return rows[0];
  }

  /** Opens the breaker (again) until `cooldownSeconds` from now, counting the failure. Returns when it may be probed. */
  async open(scope: TenantScope, cooldownSeconds: number, reason: string): Promise<{ nextProbeAt: Date | null }> {
    const rows: { next_probe_at: Date }[] = await this.db.query(
      `INSERT INTO stripe_circuit_breakers (tenant_id, environment_id, state, failure_count, opened_at, next_probe_at, reason)
       VALUES ($1, $2, 'open', 1, now(), now() + make_interval(secs => $3), $4)
       ON CONFLICT (tenant_id, environment_id) DO UPDATE
         SET state = 'open', failure_count = stripe_circuit_breakers.failure_count + 1, opened_at = now(),
             next_probe_at = EXCLUDED.next_probe_at, reason = EXCLUDED.reason, updated_at = now()
       RETURNING next_probe_at`,
      [scope.tenantId, scope.environmentId, cooldownSeconds, reason],
    );
    return { nextProbeAt: rows[0]?.next_probe_at ?? null };
  }

  /** Closes a breaker that is not closed. */
  async close(scope: TenantScope): Promise<void> {
    await this.db.query(
      `UPDATE stripe_circuit_breakers SET state = 'closed', failure_count = 0, next_probe_at = NULL, updated_at = now()
        WHERE tenant_id = $1 AND environment_id = $2 AND state <> 'closed'`,
      [scope.tenantId, scope.environmentId],
    );
  }

  /** How many breakers of the tenant+environment are open (half-open ones are probing, not counted). */
  async countOpen(scope: TenantScope): Promise<number> {
    const [row]: { n: number }[] = await this.db.query(
      `SELECT count(*)::int AS n FROM stripe_circuit_breakers WHERE tenant_id = $1 AND environment_id = $2 AND state = 'open'`,
      [scope.tenantId, scope.environmentId],
    );
    return row.n;
  }
}
