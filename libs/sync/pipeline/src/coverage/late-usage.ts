import type { DataSource } from 'typeorm';
import { StripeConfigStore, SyncWindowStore, UsageWatermarkStore, type TenantScope } from '@flexsync/persistence';
import { meterEventTimestamp, STRIPE_MAX_EVENT_AGE_SECONDS } from '../meter-event-timestamp';
import type { IngestionFeed, UsageSourceName } from '../usage-source/usage-source';

/** Rows written just before the watermark may become visible just after it (an insert in flight): read this far back. */
export const DEFAULT_WATERMARK_OVERLAP_MS = 5 * 60_000;

export interface LateUsageScan {
  /** Ingestion time looked from (inclusive), overlap included. */
  sinceMs: number;
  /** The new watermark: ClickHouse's clock taken before the read. */
  markMs: number;
  /** Event-time windows holding rows ingested since, within Stripe's limit. */
  changedWindows: { start: Date; end: Date }[];
  /** Synced windows marked as changed (re-aggregated by the next coverage run until delivered again). */
  windowsMarked: number;
  /** Rows ingested since the last run into windows Stripe no longer accepts: reported, never sent. */
  lateRowsBeyondLimit: number;
  firstRun: boolean;
}

/**
 * Late usage in a source that records ingestion time (`meter_usage.ingested_at`): a per tenant+environment watermark.
 * Each scheduled run takes ClickHouse's clock *before* reading, finds the event-time windows of rows ingested since
 * the previous watermark (less an overlap), marks the synced ones as changed in `stripe_sync_windows`, and stores
 * the new watermark (`UsageWatermarkStore`) in the same transaction. A row ingested while a run reads is at or after
 * the new watermark, or within the overlap, so the next run finds it; finding one twice only re-aggregates a window,
 * which the ledger makes harmless. The first run looks back over Stripe's whole 35 days.
 */
export class LateUsageWatermarks {
  private readonly configs: StripeConfigStore;
  private readonly windows = new SyncWindowStore();
  private readonly watermarks: UsageWatermarkStore;

  constructor(
    private readonly db: DataSource,
    private readonly overlapMs = DEFAULT_WATERMARK_OVERLAP_MS,
  ) {
    this.configs = new StripeConfigStore(db);
    this.watermarks = new UsageWatermarkStore(db);
  }

  async scan(
    scope: TenantScope,
    source: { name: UsageSourceName; ingestion: IngestionFeed },
    nowMs: number,
  ): Promise<LateUsageScan | undefined> {
    const settings = await this.configs.syncSettings(scope);
    if (!settings) return undefined;
    const { windowMinutes } = settings;
    const previous = await this.watermarks.ingestedThroughMs(scope, source.name);
    const markMs = await source.ingestion.serverNowMs();
    const sinceMs = previous === undefined ? markMs - STRIPE_MAX_EVENT_AGE_SECONDS * 1000 : previous - this.overlapMs;
    const windowMs = windowMinutes * 60_000;
    // Windows starting before this are folded by ClickHouse into one bucket; Stripe refuses them anyway.
    const oldestStart = new Date(Math.floor((nowMs - STRIPE_MAX_EVENT_AGE_SECONDS * 1000) / windowMs) * windowMs);
    const buckets = await source.ingestion.ingestedSince(scope, sinceMs, windowMinutes * 60, oldestStart);

    const changedWindows: { start: Date; end: Date }[] = [];
    let beyondLimit = 0;
    for (const bucket of buckets) {
      if (meterEventTimestamp(bucket, nowMs).ok) changedWindows.push({ start: bucket.start, end: bucket.end });
      else if (bucket.end.getTime() <= nowMs) beyondLimit += bucket.rows;
    }
    // On a first run old rows are history, not late arrivals: only rows found after a watermark are reported.
    const lateRowsBeyondLimit = previous === undefined ? 0 : beyondLimit;

    const windowsMarked = await this.db.transaction(async (tx) => {
      const marked = await this.windows.markUsageChanged(tx, scope, changedWindows, new Date(nowMs));
      await this.watermarks.advance(tx, scope, source.name, markMs, lateRowsBeyondLimit);
      return marked;
    });
    return { sinceMs, markMs, changedWindows, windowsMarked, lateRowsBeyondLimit, firstRun: previous === undefined };
  }
}
