import type { DataSource } from 'typeorm';
import { StripeConfigStore, SyncBatchStore, SyncWindowStore, type TenantScope } from '@flexsync/persistence';
import { planWindows } from '@flexsync/sync-contracts';
import type { SyncWindow, TenantCoveragePlan } from '@flexsync/sync-contracts';
import { meterEventTimestamp, STRIPE_MAX_EVENT_AGE_SECONDS } from '../meter-event-timestamp';

const HOUR_MS = 3_600_000;
/** Windows never delivered are reported for as long again as Stripe accepts them; older ones are not looked at. */
const REPORT_HORIZON_MS = 2 * STRIPE_MAX_EVENT_AGE_SECONDS * 1000;

export interface CoverageQuery {
  /** Windows that closed at or before this instant are due. */
  closedBy: Date;
  /** Stripe's age limit is measured from now, as the push measures it. */
  nowMs: number;
  /** Hours before `closedBy` whose windows are re-synced even when delivered (late usage). */
  lookbackHours: number;
  maxWindows: number;
  /**
   * How late usage reaches delivered windows: `lookback` re-syncs the look-back's windows every run (a source without
   * ingestion time); `watermark` re-syncs only windows marked changed (`usage_changed_at`, see `LateUsageWatermarks`).
   */
  lateUsage?: 'lookback' | 'watermark';
}

const key = (start: number, end: number): string => `${start}|${end}`;

/**
 * Coverage per tenant+environment and window (`stripe_sync_windows`, through {@link SyncWindowStore}; the config
 * through {@link StripeConfigStore}), against the ledger (`stripe_sync_batches`, read only, through {@link SyncBatchStore}). A closed window is fully
 * delivered when its whole-window aggregation began after it closed (and after rows were last found ingested into it,
 * `usage_changed_at`) and none of its ledger rows is `pending` or `failed` with a retry due. A tenant's windows are due
 * from `lookbackHours` before the hour its config was created in (or its oldest synced window, if earlier) up to
 * `closedBy`, tiled by `planWindows` so a change of window size never overlaps windows already synced. Windows older
 * than Stripe accepts (the same rule and margin as the push) are counted as beyond the limit instead of planned.
 */
export class SyncCoverageStore {
  private readonly configs: StripeConfigStore;
  private readonly batches: SyncBatchStore;
  private readonly windows = new SyncWindowStore();

  constructor(private readonly db: DataSource) {
    this.configs = new StripeConfigStore(db);
    this.batches = new SyncBatchStore(db);
  }

  /** Undefined when the tenant has no Stripe config (deleted since it was listed). */
  async plan(scope: TenantScope, query: CoverageQuery): Promise<TenantCoveragePlan | undefined> {
    const config = await this.configs.find(scope);
    if (!config) return undefined;
    const closedByMs = query.closedBy.getTime();
    const horizon = new Date(query.nowMs - REPORT_HORIZON_MS);
    const [synced, open] = await Promise.all([
      this.windows.listOverlapping(this.db.manager, scope, horizon, query.closedBy),
      this.openWindows(scope, horizon),
    ]);

    const createdHour = Math.floor(config.createdAt.getTime() / HOUR_MS) * HOUR_MS;
    const anchor = synced.reduce(
      (earliest, row) => Math.min(earliest, row.window_start.getTime()),
      createdHour - query.lookbackHours * HOUR_MS,
    );
    const from = Math.max(anchor, horizon.getTime());
    const tiles =
      from < closedByMs
        ? planWindows({
            synced: synced.map((row) => ({ start: row.window_start.toISOString(), end: row.window_end.toISOString() })),
            windowMinutes: config.aggregationWindowMinutes,
            from: new Date(from).toISOString(),
            to: query.closedBy.toISOString(),
          })
        : [];
    const syncedRows = new Map(synced.map((row) => [key(row.window_start.getTime(), row.window_end.getTime()), row]));

    const lookbackFrom = Math.floor(closedByMs / HOUR_MS) * HOUR_MS - query.lookbackHours * HOUR_MS;
    const undelivered: SyncWindow[] = [];
    const recent: SyncWindow[] = [];
    let beyondLimit = 0;
    let coveredUntil: number | undefined;
    for (const tile of tiles) {
      const start = Date.parse(tile.start);
      const end = Date.parse(tile.end);
      const row = syncedRows.get(key(start, end));
      const aggregated = row?.aggregated_at;
      const changed = row?.usage_changed_at;
      const delivered = !!aggregated && aggregated.getTime() >= end && (!changed || aggregated >= changed) && !open.has(key(start, end));
      const withinLimit = meterEventTimestamp({ start: new Date(start), end: new Date(end) }, query.nowMs).ok;
      if (!delivered && !withinLimit) beyondLimit += 1;
      else if (!delivered) {
        undelivered.push(tile);
        coveredUntil ??= start;
      } else if (end > lookbackFrom && query.lateUsage !== 'watermark') recent.push(tile);
    }
    const lastEnd = tiles.length > 0 ? Date.parse(tiles[tiles.length - 1].end) : closedByMs;
    const windows = [...undelivered, ...recent]
      .sort((a, b) => Date.parse(a.start) - Date.parse(b.start))
      .slice(0, Math.max(0, query.maxWindows));
    return {
      tenantId: scope.tenantId,
      environmentId: scope.environmentId,
      windowMinutes: config.aggregationWindowMinutes,
      undelivered: undelivered.length,
      beyondLimit,
      oldestUndelivered: undelivered[0]?.start,
      freshnessLagSeconds: Math.max(0, Math.round((closedByMs - (coveredUntil ?? lastEnd)) / 1000)),
      windows,
    };
  }

  /**
   * Records that a run aggregated the whole window (from `aggregatedAt`) and pushed it, and whether it is now fully
   * delivered ({@link SyncWindowStore.recordAggregated}).
   */
  async recordWindow(scope: TenantScope, window: { start: Date; end: Date }, aggregatedAt: Date): Promise<{ delivered: boolean }> {
    return this.windows.recordAggregated(this.db.manager, scope, window, aggregatedAt);
  }

  /** Windows holding a row still to push: `pending`, or `failed` with the system's own retry due. */
  private async openWindows(scope: TenantScope, horizon: Date): Promise<Set<string>> {
    const rows = await this.batches.openWindows(scope, horizon);
    return new Set(rows.map((row) => key(row.window_start.getTime(), row.window_end.getTime())));
  }
}
