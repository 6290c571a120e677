import type { DataSource } from 'typeorm';
import {
  circuitNotClosedOf,
  mappedStripeCustomerOf,
  syncingStripeMeterMappingOf,
  type TenantScope,
} from '@flexsync/persistence';
import { FIXABLE_FAILURE } from './ledger-rows';

/** Outcomes of pushes and the system's own retries of failed rows (`next_attempt_at`). */

/** A recorded failure: when the system itself tries again (absent: it will not on its own). */
export interface RecordedFailure {
  id: string;
  attempt: number;
  error: string;
  latencyMs?: number;
  nextAttemptAt?: string;
  uncertain?: boolean;
}

/** A page's outcomes as `TrackSyncBatchActivity` records them. */
export interface PushOutcomes {
  completed: { ids: readonly string[]; latencyMs: readonly number[] };
  failed: readonly RecordedFailure[];
}

/**
 * `TrackSyncBatchActivity`'s write, idempotent: a success marks the row completed whatever it said before (Stripe
 * holds the event), except a row a Stripe error report already marked failed (Stripe accepted, then rejected it:
 * the report is the later word, even when it lands before this write); a failure only lands on a row still pending at the attempt that failed, so a stale outcome
 * never overwrites a newer attempt or a success. A failure carries when the system tries again on its own.
 */
export async function recordPushOutcomes(
  db: DataSource,
  scope: TenantScope,
  outcomes: PushOutcomes,
): Promise<{ completed: number; failed: number }> {
  let completed = 0;
  let failed = 0;
  if (outcomes.completed.ids.length > 0) {
    const result: [unknown[], number] = await db.query(
      `UPDATE stripe_sync_batches b
          SET sync_status = 'completed', stripe_event_id = b.identifier, error_message = NULL, next_attempt_at = NULL,
              latency_ms = u.latency_ms, completed_at = now(), updated_at = now()
         FROM unnest($3::uuid[], $4::int[]) AS u(id, latency_ms)
        WHERE b.id = u.id AND b.tenant_id = $1 AND b.environment_id = $2 AND b.sync_status <> 'completed'
          AND NOT (b.sync_status = 'failed' AND b.stripe_error_report_id IS NOT NULL)`,
      [scope.tenantId, scope.environmentId, outcomes.completed.ids, outcomes.completed.latencyMs.map((ms) => Math.round(ms))],
    );
    completed = result[1];
  }
  if (outcomes.failed.length > 0) {
    const result: [unknown[], number] = await db.query(
      `UPDATE stripe_sync_batches b
          SET sync_status = 'failed', error_message = u.error, latency_ms = u.latency_ms, next_attempt_at = u.next_attempt_at,
              failure_count = b.failure_count + 1, outcome_uncertain = b.outcome_uncertain OR u.uncertain, updated_at = now()
         FROM unnest($3::uuid[], $4::int[], $5::text[], $6::int[], $7::timestamptz[], $8::boolean[])
              AS u(id, attempt, error, latency_ms, next_attempt_at, uncertain)
        WHERE b.id = u.id AND b.tenant_id = $1 AND b.environment_id = $2 AND b.sync_status = 'pending' AND b.attempt_count = u.attempt`,
      [
        scope.tenantId,
        scope.environmentId,
        outcomes.failed.map((row) => row.id),
        outcomes.failed.map((row) => row.attempt),
        outcomes.failed.map((row) => row.error),
        outcomes.failed.map((row) => (row.latencyMs === undefined ? null : Math.round(row.latencyMs))),
        outcomes.failed.map((row) => row.nextAttemptAt ?? null),
        outcomes.failed.map((row) => row.uncertain === true),
      ],
    );
    failed = result[1];
  }
  return { completed, failed };
}

/**
 * Makes due now the tenant's failed rows whose blocking cause is gone: a meter or customer mapping that exists
 * (and syncs) now, or a circuit that is closed again after auth errors. The scheduler then visits their windows
 * and the visit re-arms and sends them, without an operator. Reads the mapping-service's tables and the breakers, never
 * writes them; each condition comes from the store of its table.
 */
export async function makeFixedFailuresDue(db: DataSource, scope: TenantScope): Promise<number> {
  const result: [unknown[], number] = await db.query(
    `UPDATE stripe_sync_batches b SET next_attempt_at = now(), updated_at = now()
      WHERE b.tenant_id = $1 AND b.environment_id = $2 AND b.sync_status = 'failed' AND b.next_attempt_at > now()
        AND (
          (b.error_message IN ($3, $4) AND ${syncingStripeMeterMappingOf('b')})
          OR (b.error_message = $5 AND ${mappedStripeCustomerOf('b')})
          OR (b.error_message LIKE 'auth error%' AND NOT ${circuitNotClosedOf('b')}))`,
    [scope.tenantId, scope.environmentId, FIXABLE_FAILURE.meterNotFound, FIXABLE_FAILURE.meterDisabled, FIXABLE_FAILURE.customerNotFound],
  );
  return result[1];
}
