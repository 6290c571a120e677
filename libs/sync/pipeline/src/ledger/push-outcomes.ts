import type { LedgerFailure } from '@flexsync/persistence';

/** A page's outcomes as `TrackSyncBatchActivity` records them (`SyncLedger.recordOutcomes`). */
export interface PushOutcomes {
  completed: { ids: readonly string[]; latencyMs: readonly number[] };
  /** Each failure carries when the system itself tries again (absent: it will not on its own). */
  failed: readonly LedgerFailure[];
}
