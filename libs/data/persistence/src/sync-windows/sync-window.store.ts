import type { EntityManager } from 'typeorm';
import type { TenantScope } from '../entities/tenant-scoped';

/** A half-open aggregation window `[start, end)`. */
export interface SyncWindowBounds {
  start: Date;
  end: Date;
}

/** Raised when a window overlaps an already-synced window of another size. */
export class WindowConflictError extends Error {
  constructor(window: SyncWindowBounds, existing: SyncWindowBounds) {
    super(
      `window ${window.start.toISOString()}..${window.end.toISOString()} overlaps the already-synced window ` +
        `${existing.start.toISOString()}..${existing.end.toISOString()}; syncing it could send the same usage twice ` +
        `(was aggregation_window_minutes changed?)`,
    );
    this.name = 'WindowConflictError';
  }
}

/**
 * `stripe_sync_windows` (entity `StripeSyncWindow`): the windows a tenant+environment has synced. Raw SQL, because
 * both statements need what the repository API cannot say: an overlap test joined to the ledger
 * (`stripe_sync_batches`) and an `ON CONFLICT … DO UPDATE` upsert on the composite key. Always scoped by tenant and
 * environment; runs on the caller's manager, inside its ledger lock.
 */
export class SyncWindowStore {
  /**
   * Records the window, refusing one that overlaps an already-synced window of another size: its usage may already
   * be in Stripe under the other window's identities.
   */
  async register(manager: EntityManager, scope: TenantScope, window: SyncWindowBounds): Promise<void> {
    // Only windows that hold ledger rows count: an empty window of the old size sent nothing that could repeat.
    const overlapping: { window_start: Date; window_end: Date }[] = await manager.query(
      `SELECT w.window_start, w.window_end FROM stripe_sync_windows w
        WHERE w.tenant_id = $1 AND w.environment_id = $2
          AND w.window_start < $4 AND w.window_end > $3
          AND NOT (w.window_start = $3 AND w.window_end = $4)
          AND EXISTS (SELECT 1 FROM stripe_sync_batches b
                       WHERE b.tenant_id = w.tenant_id AND b.environment_id = w.environment_id
                         AND b.window_start = w.window_start AND b.window_end = w.window_end)
        ORDER BY w.window_start LIMIT 1`,
      [scope.tenantId, scope.environmentId, window.start, window.end],
    );
    if (overlapping.length > 0) {
      throw new WindowConflictError(window, { start: overlapping[0].window_start, end: overlapping[0].window_end });
    }
    await manager.query(
      `INSERT INTO stripe_sync_windows (tenant_id, environment_id, window_start, window_end) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id, environment_id, window_start, window_end) DO UPDATE SET updated_at = now()`,
      [scope.tenantId, scope.environmentId, window.start, window.end],
    );
  }
}
