import type { IngestedWindowBucket, UsageAggregate, UsageWindowQuery } from '@flexsync/clickhouse';
import { USAGE_SOURCE_NAMES, type TenantScope, type UsageSourceName } from '@flexsync/persistence';

export { USAGE_SOURCE_NAMES, type UsageSourceName };

/**
 * Where a tenant's usage is read from:
 * - `playbook-events-processed`: the playbook's `events_processed` (windows on `processed_at`, customer `customer_id`);
 * - `flexprice-meter-usage`: FlexPrice's `meter_usage` (ReplacingMergeTree: each id once, latest `ingested_at`;
 *   windows on event `timestamp`; customer `external_customer_id`; late rows found through `ingested_at`).
 */
export const DEFAULT_USAGE_SOURCE: UsageSourceName = 'playbook-events-processed';

export function isUsageSourceName(value: unknown): value is UsageSourceName {
  return typeof value === 'string' && (USAGE_SOURCE_NAMES as readonly string[]).includes(value);
}

/** A usage source that cannot be read as configured (unknown name, missing table or column): a reason, never zero usage. */
export class UsageSourceConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageSourceConfigError';
  }
}

/** Window totals, computed by ClickHouse, streamed in byte order of (customer, meter, event type). */
export interface WindowUsageReader {
  aggregateWindow(query: UsageWindowQuery): AsyncIterable<UsageAggregate>;
}

/** Rows ingested since a watermark, by event-time window: how late usage is found in a source that records ingestion. */
export interface IngestionFeed {
  serverNowMs(): Promise<number>;
  ingestedSince(scope: TenantScope, sinceMs: number, windowSeconds: number, oldestStart: Date): Promise<IngestedWindowBucket[]>;
}

/** The port the sync reads usage through; one adapter per source table. */
export interface UsageSource extends WindowUsageReader {
  readonly name: UsageSourceName;
  /** Throws `UsageSourceConfigError` naming what is wrong (e.g. the table does not exist). */
  verify(): Promise<void>;
  /** Absent when the source has no ingestion time: late usage is then found by re-reading the look-back's windows. */
  readonly ingestion?: IngestionFeed;
}
