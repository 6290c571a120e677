import type { SyncPipelineSettings } from '@flexsync/sync-pipeline';
import type { SyncWorkerConfig } from './sync-worker.config';

/** The pipeline's settings from the worker's validated environment. */
export function syncPipelineSettings(config: SyncWorkerConfig): SyncPipelineSettings {
  return {
    stripe: {
      ...(config.STRIPE_API_BASE_URL ? { baseUrl: config.STRIPE_API_BASE_URL } : {}),
      timeoutMs: config.STRIPE_TIMEOUT_MS,
      liveWritesPerSecond: config.STRIPE_LIVE_WRITES_PER_SECOND,
      testWritesPerSecond: config.STRIPE_TEST_WRITES_PER_SECOND,
      streamRequestsPerSecond: config.STRIPE_STREAM_REQUESTS_PER_SECOND,
    },
    push: {
      pageSize: config.SYNC_PUSH_PAGE_SIZE,
      pagesPerCall: config.SYNC_PUSH_PAGES_PER_CALL,
      concurrency: config.STRIPE_PUSH_CONCURRENCY,
      maxAttempts: config.STRIPE_PUSH_MAX_ATTEMPTS,
      retryBaseMs: config.STRIPE_PUSH_RETRY_BASE_MS,
      retryMaxMs: config.STRIPE_PUSH_RETRY_MAX_MS,
      dedupeWindowHours: config.STRIPE_IDENTIFIER_DEDUPE_HOURS,
      ...(config.STRIPE_STREAM_ABOVE_ROWS > 0 ? { streamAboveRows: config.STRIPE_STREAM_ABOVE_ROWS } : {}),
      streamConcurrency: config.STRIPE_STREAM_CONCURRENCY,
      streamValidationSeconds: config.STRIPE_STREAM_VALIDATION_SECONDS,
      rowRetry: { baseMs: config.SYNC_ROW_RETRY_BASE_SECONDS * 1000, maxMs: config.SYNC_ROW_RETRY_MAX_SECONDS * 1000 },
    },
    aggregatePageSize: config.SYNC_AGGREGATE_PAGE_SIZE,
    circuitCooldownSeconds: config.STRIPE_CIRCUIT_COOLDOWN_SECONDS,
    reconciliation: { ingestionLagSeconds: config.RECONCILIATION_INGESTION_LAG_SECONDS },
    usage: { defaultSource: config.SYNC_USAGE_SOURCE, meterUsageTable: config.SYNC_METER_USAGE_TABLE },
  };
}
