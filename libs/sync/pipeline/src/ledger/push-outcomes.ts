import type { DataSource } from 'typeorm';
import { type LedgerFailure, SyncBatchStore, type TenantScope } from '@flexsync/persistence';
import { FIXABLE_FAILURE } from './ledger-rows';

/** Outcomes of pushes and the system's own retries of failed rows (`next_attempt_at`). */

/** A recorded failure: when the system itself tries again (absent: it will not on its own). */
export type RecordedFailure = LedgerFailure;

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
  const batches = new SyncBatchStore(db);
  const completed = await batches.recordCompleted(scope, outcomes.completed.ids, outcomes.completed.latencyMs);
  const failed = await batches.recordFailed(scope, outcomes.failed);
  return { completed, failed };
}

/**
 * Makes due now the tenant's failed rows whose blocking cause is gone: a meter or customer mapping that exists
 * (and syncs) now, or a circuit that is closed again after auth errors. The scheduler then visits their windows
 * and the visit re-arms and sends them, without an operator. Reads the mapping-service's tables and the breakers, never
 * writes them; each condition comes from the store of its table (`SyncBatchStore.makeFixedFailuresDue`).
 */
export function makeFixedFailuresDue(db: DataSource, scope: TenantScope): Promise<number> {
  return new SyncBatchStore(db).makeFixedFailuresDue(scope, FIXABLE_FAILURE);
}
