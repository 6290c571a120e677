import type { EntityManager } from 'typeorm';
import type { TenantScope } from '../entities/tenant-scoped';
import { OPEN_LEDGER_ROW, type TenantFigure } from '../sync-batches/sync-batch.store';

/** A half-open aggregation window `[start, end)`. */
export interface SyncWindowBounds {
  start: Date;
  end: Date;
}

/** A window's row as coverage reads it: when its whole-window aggregation last began and when usage last arrived in it. */
export interface SyncWindowCoverageRow {
  window_start: Date;
  window_end: Date;
  aggregated_at: Date | null;
  usage_changed_at: Date | null;
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
 * `stripe_sync_windows` (entity `StripeSyncWindow`): the windows a tenant+environment has synced, for the ledger
 * (which registers them), coverage (which reads and completes them) and the late-usage scan (which marks them
 * changed). Raw SQL throughout, because the statements need what the repository API cannot say: tests joined to the
 * ledger (`stripe_sync_batches`), `ON CONFLICT … DO UPDATE` upserts on the composite key, `GREATEST`, `UPDATE … FROM
 * unnest(…)` and `UPDATE … RETURNING`. Always scoped by tenant and environment, but for the window-lag gauge's
 * deliberately cross-tenant read ({@link deliveryLagByTenant}); runs on the caller's manager (the ledger's inside its
 * lock, the late-usage scan's in its watermark transaction).
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

  /** The windows that end after `after` and start before `before`, in time order. */
  listOverlapping(manager: EntityManager, scope: TenantScope, after: Date, before: Date): Promise<SyncWindowCoverageRow[]> {
    return manager.query(
      `SELECT window_start, window_end, aggregated_at, usage_changed_at FROM stripe_sync_windows
        WHERE tenant_id = $1 AND environment_id = $2 AND window_end > $3 AND window_start < $4
        ORDER BY window_start, window_end`,
      [scope.tenantId, scope.environmentId, after, before],
    );
  }

  /**
   * Records that a run aggregated the whole window (from `aggregatedAt`) and pushed it, and marks it delivered when
   * that aggregation began after the window closed and after usage last arrived in it, and no ledger row of it is still
   * open ({@link OPEN_LEDGER_ROW}); otherwise clears the mark. The upsert only guards against a window row that went
   * missing (the ledger registers each window it aggregates). Returns whether the window is now delivered.
   */
  async recordAggregated(
    manager: EntityManager,
    scope: TenantScope,
    window: SyncWindowBounds,
    aggregatedAt: Date,
  ): Promise<{ delivered: boolean }> {
    const params = [scope.tenantId, scope.environmentId, window.start, window.end];
    await manager.query(
      `INSERT INTO stripe_sync_windows (tenant_id, environment_id, window_start, window_end, aggregated_at, last_synced_at)
       VALUES ($1, $2, $3, $4, $5, now())
       ON CONFLICT (tenant_id, environment_id, window_start, window_end) DO UPDATE
         SET aggregated_at = GREATEST(stripe_sync_windows.aggregated_at, EXCLUDED.aggregated_at),
             last_synced_at = now(), updated_at = now()`,
      [...params, aggregatedAt],
    );
    // Through a CTE: TypeORM answers a bare UPDATE … RETURNING with [rows, count], not the rows.
    const rows: { delivered: boolean }[] = await manager.query(
      `WITH recorded AS (
       UPDATE stripe_sync_windows w
          SET delivered_at = CASE WHEN w.aggregated_at >= w.window_end
                AND (w.usage_changed_at IS NULL OR w.aggregated_at >= w.usage_changed_at) AND NOT EXISTS (
                SELECT 1 FROM stripe_sync_batches b
                 WHERE b.tenant_id = w.tenant_id AND b.environment_id = w.environment_id
                   AND b.window_start = w.window_start AND b.window_end = w.window_end
                   AND (${OPEN_LEDGER_ROW})
              ) THEN now() END
        WHERE w.tenant_id = $1 AND w.environment_id = $2 AND w.window_start = $3 AND w.window_end = $4
       RETURNING w.delivered_at IS NOT NULL AS delivered)
       SELECT delivered FROM recorded`,
      params,
    );
    return { delivered: rows[0]?.delivered ?? false };
  }

  /**
   * Marks every window overlapping one of `buckets` as holding usage ingested at `changedAt` (`usage_changed_at`), so
   * coverage re-syncs it. Returns how many windows were marked; none when `buckets` is empty.
   */
  async markUsageChanged(manager: EntityManager, scope: TenantScope, buckets: SyncWindowBounds[], changedAt: Date): Promise<number> {
    if (buckets.length === 0) return 0;
    const [updated]: { n: number }[] = await manager.query(
      `WITH marked AS (
         UPDATE stripe_sync_windows w SET usage_changed_at = $5, updated_at = now()
           FROM unnest($3::timestamptz[], $4::timestamptz[]) AS b(bucket_start, bucket_end)
          WHERE w.tenant_id = $1 AND w.environment_id = $2
            AND w.window_start < b.bucket_end AND w.window_end > b.bucket_start
         RETURNING 1)
       SELECT count(*)::int AS n FROM marked`,
      [scope.tenantId, scope.environmentId, buckets.map((b) => b.start), buckets.map((b) => b.end), changedAt],
    );
    return updated.n;
  }

  /**
   * Cross-tenant (the window-lag gauge): per tenant+environment with sync enabled, seconds since its oldest closed
   * window not yet delivered closed: the oldest window recorded undelivered (within Stripe's 35 days), else the window
   * after its newest delivered one, else its first window after sync was enabled. Zero while every closed window is
   * delivered. The stalest first, at most `limit` tenants; the value is decimal text.
   *
   * It reads `stripe_tenant_configs` too, because the lag is about windows but "which tenants, since when, how wide a
   * window" is the config's: it drives from `stripe_tenant_configs` (enabled tenants, `aggregation_window_minutes`,
   * `created_at`) so a tenant that has synced nothing yet still shows its lag.
   */
  deliveryLagByTenant(manager: EntityManager, limit: number): Promise<TenantFigure[]> {
    return manager.query(
      `SELECT tenant_id, environment_id, value::text AS value FROM (
         SELECT c.tenant_id, c.environment_id,
                GREATEST(0, EXTRACT(EPOCH FROM now() - COALESCE(
                  u.oldest_end,
                  d.newest_end + make_interval(mins => c.aggregation_window_minutes),
                  date_trunc('hour', c.created_at) + make_interval(mins => c.aggregation_window_minutes)
                ))) AS value
           FROM stripe_tenant_configs c
           LEFT JOIN LATERAL (
             SELECT min(w.window_end) AS oldest_end FROM stripe_sync_windows w
              WHERE w.tenant_id = c.tenant_id AND w.environment_id = c.environment_id
                AND w.delivered_at IS NULL AND w.window_end <= now() AND w.window_end > now() - interval '35 days'
           ) u ON true
           LEFT JOIN LATERAL (
             SELECT max(w.window_end) AS newest_end FROM stripe_sync_windows w
              WHERE w.tenant_id = c.tenant_id AND w.environment_id = c.environment_id AND w.delivered_at IS NOT NULL
           ) d ON true
          WHERE c.sync_enabled
       ) lag
       ORDER BY lag.value DESC, tenant_id, environment_id
       LIMIT $1`,
      [limit],
    );
  }
}
