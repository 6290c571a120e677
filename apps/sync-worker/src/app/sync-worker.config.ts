import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, Min, ValidateIf } from 'class-validator';
import { ClickHousePasswordField, ClickHouseTlsCaFileField, ClickHouseUsernameField } from '@flexsync/clickhouse';
import { EncryptionCurrentKeyIdField, EncryptionEnvFields, EncryptionKeysField } from '@flexsync/crypto';
import {
  KafkaBrokersField,
  STRIPE_METER_ERROR_REPORTS_DLQ_TOPIC,
  STRIPE_METER_ERROR_REPORTS_TOPIC,
  WithKafkaSecurityFields,
} from '@flexsync/kafka';
import { BoolFromEnv, IntFromEnv, IsHttpUrl, ServiceBaseConfig } from '@flexsync/runtime';
import { TemporalAddressField, TemporalNamespaceField, TemporalTaskQueueField, WithTemporalSecurityFields } from '@flexsync/temporal';
import { STRIPE_SYNC_TASK_QUEUE } from '@flexsync/sync-contracts';
import { DEFAULT_USAGE_SOURCE, USAGE_SOURCE_NAMES, UsageSourceName } from '@flexsync/sync-pipeline';

/** Environment of sync-worker, validated before Nest starts. */
export class SyncWorkerConfig extends WithKafkaSecurityFields(WithTemporalSecurityFields(ServiceBaseConfig)) implements EncryptionEnvFields {
  override PORT = 8085;

  /** Brokers of `stripe.meter.error-reports`: Stripe's asynchronous meter event rejections, which mark ledger rows. */
  @KafkaBrokersField()
  KAFKA_BROKERS!: string[];

  @IsString()
  @IsNotEmpty()
  KAFKA_CLIENT_ID = 'sync-worker';

  @IsString()
  @IsNotEmpty()
  KAFKA_METER_ERROR_REPORTS_TOPIC = STRIPE_METER_ERROR_REPORTS_TOPIC;

  @IsString()
  @IsNotEmpty()
  KAFKA_METER_ERROR_REPORTS_DLQ_TOPIC = STRIPE_METER_ERROR_REPORTS_DLQ_TOPIC;

  @IsString()
  @IsNotEmpty()
  KAFKA_METER_ERROR_REPORTS_GROUP_ID = 'sync-worker.meter-error-reports';

  /** Off runs the Temporal worker alone (e.g. a replica that should not consume); one consuming replica is enough. */
  @BoolFromEnv()
  @IsBoolean()
  METER_ERROR_REPORTS_CONSUMER_ENABLED = true;

  /** Longest a dead-letter publish waits for Kafka. */
  @IntFromEnv()
  @IsInt()
  @Min(100)
  @Max(20_000)
  KAFKA_PUBLISH_TIMEOUT_MS = 5000;

  @IsHttpUrl()
  CLICKHOUSE_URL!: string;

  @ClickHouseUsernameField()
  CLICKHOUSE_USERNAME = 'default';

  @ClickHousePasswordField()
  CLICKHOUSE_PASSWORD?: string;

  @ClickHouseTlsCaFileField()
  CLICKHOUSE_TLS_CA_FILE?: string;

  @IsString()
  @Matches(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: '$property must be a plain database name' })
  CLICKHOUSE_DATABASE = 'flexprice';

  @TemporalAddressField()
  TEMPORAL_ADDRESS!: string;

  @TemporalNamespaceField()
  TEMPORAL_NAMESPACE = 'default';

  @TemporalTaskQueueField()
  TEMPORAL_TASK_QUEUE = STRIPE_SYNC_TASK_QUEUE;

  /** `host:port` where the Temporal SDK serves its own metrics for Prometheus (unset: not exported). */
  @IsOptional()
  @Matches(/^[A-Za-z0-9.-]+:\d{1,5}$/, { message: '$property must be host:port' })
  TEMPORAL_METRICS_BIND_ADDRESS?: string;

  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(500)
  WORKER_MAX_CONCURRENT_ACTIVITIES = 20;

  /** Prebuilt workflow bundle (`npm run build`); without it the worker bundles from source at start. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  WORKFLOW_BUNDLE_PATH?: string;

  /** Opens the tenants' sealed Stripe keys; no plaintext fallback. */
  @EncryptionKeysField()
  FLEXSYNC_ENCRYPTION_KEYS!: string;

  @EncryptionCurrentKeyIdField()
  FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID!: string;

  /** Where Stripe is, e.g. the emulator; unset means api.stripe.com. */
  @ValidateIf((config: SyncWorkerConfig) => config.STRIPE_API_BASE_URL !== undefined && config.STRIPE_API_BASE_URL !== '')
  @IsHttpUrl()
  STRIPE_API_BASE_URL?: string;

  @IntFromEnv()
  @IsInt()
  @Min(100)
  @Max(120_000)
  STRIPE_TIMEOUT_MS = 20_000;

  /** Meter event writes per second per live-mode Stripe account, per worker process (Stripe's limit: 1,000). */
  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(100_000)
  STRIPE_LIVE_WRITES_PER_SECOND = 900;

  /** The same for test-mode accounts (Stripe's limit: 25); raise it against the emulator for benchmarks. */
  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(100_000)
  STRIPE_TEST_WRITES_PER_SECOND = 20;

  /** Meter event calls in flight per page; each customer+meter still gets one at a time. */
  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(1_000)
  STRIPE_PUSH_CONCURRENCY = 32;

  /** Calls per push before a retryable failure (409/429/5xx/network) is recorded as failed. */
  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(20)
  STRIPE_PUSH_MAX_ATTEMPTS = 5;

  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(60_000)
  STRIPE_PUSH_RETRY_BASE_MS = 500;

  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(300_000)
  STRIPE_PUSH_RETRY_MAX_MS = 15_000;

  /**
   * The system's own retries of failed rows across runs (`next_attempt_at`): the first comes this long after the
   * first failure, doubling per failure up to `SYNC_ROW_RETRY_MAX_SECONDS`. Mapping and key failures are re-checked
   * on the same schedule, and come due at once when the mapping or key is fixed.
   */
  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(86_400)
  SYNC_ROW_RETRY_BASE_SECONDS = 60;

  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(7 * 86_400)
  SYNC_ROW_RETRY_MAX_SECONDS = 6 * 3_600;

  /** How long a tenant's circuit stays open after Stripe refused its key, before one probe push. */
  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(86_400)
  STRIPE_CIRCUIT_COOLDOWN_SECONDS = 300;

  /**
   * Stripe dedupes meter event identifiers for at least 24 hours; a forced rerun re-sends only pushes acknowledged
   * within this many hours, since an older identifier might be counted again.
   */
  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(24)
  STRIPE_IDENTIFIER_DEDUPE_HOURS = 24;

  /**
   * How long Stripe's meter event summaries may trail an accepted push: reconciliation calls a cell `pending`, not
   * drift, until its window closed this long ago and its last push is this old (Stripe: a few minutes).
   */
  @IntFromEnv()
  @IsInt()
  @Min(0)
  @Max(86_400)
  RECONCILIATION_INGESTION_LAG_SECONDS = 600;

  /** ClickHouse aggregates reconciled with the ledger per transaction. */
  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(10_000)
  SYNC_AGGREGATE_PAGE_SIZE = 1_000;

  /**
   * Ledger rows pushed per `SyncToStripeActivity` call. A page's outcomes travel through Temporal (~45 B a success,
   * up to ~600 B a failure), so the cap keeps a page of failures well under Temporal's 2 MB payload limit.
   */
  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(2_000)
  SYNC_PUSH_PAGE_SIZE = 1_000;

  /**
   * Ledger pages one `SyncToStripeActivity` call pushes on v1 while the circuit is closed (half
   * `SYNC_PUSH_PAGE_SIZE` each above 1, the next page's write-ahead commit made while one is sent). A call returns
   * at most one page's worth of failures, so 10 pages of successes (~45 B each) and those stay under Temporal's 2 MB.
   */
  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(10)
  SYNC_PUSH_PAGES_PER_CALL = 4;

  /**
   * Windows with more pending pushes than this go through the v2 meter event stream (100 events a request, its own
   * rate budget, validated asynchronously); 0 keeps every push on `POST /v1/billing/meter_events`.
   */
  @IntFromEnv()
  @IsInt()
  @Min(0)
  @Max(100_000_000)
  STRIPE_STREAM_ABOVE_ROWS = 10_000;

  /** v2 meter event stream requests per second per Stripe account, shared by every replica. */
  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(100_000)
  STRIPE_STREAM_REQUESTS_PER_SECOND = 10_000;

  /** Stream requests in flight per page. */
  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(100)
  STRIPE_STREAM_CONCURRENCY = 4;

  /**
   * How long a push the stream accepted stays `validating` (a Stripe error report may still reject it) before it
   * counts as completed. Longer than error reports take to arrive.
   */
  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(7 * 24 * 3_600)
  STRIPE_STREAM_VALIDATION_SECONDS = 3_600;

  /** Where every tenant's usage is read unless its config names another source (README "Usage sources"). */
  @IsIn(USAGE_SOURCE_NAMES, { message: `$property must be one of ${USAGE_SOURCE_NAMES.join(', ')}` })
  SYNC_USAGE_SOURCE: UsageSourceName = DEFAULT_USAGE_SOURCE;

  /** FlexPrice's `meter_usage` table (`table` or `database.table`), read by the `flexprice-meter-usage` source. */
  @IsString()
  @Matches(/^([A-Za-z_][A-Za-z0-9_]{0,63}\.)?[A-Za-z_][A-Za-z0-9_]{0,63}$/, { message: '$property must be a ClickHouse table name' })
  SYNC_METER_USAGE_TABLE = 'meter_usage';
}
