import { IsBoolean, IsInt, IsNotEmpty, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import {
  KafkaBrokersField,
  STRIPE_CUSTOMER_EVENTS_TOPIC,
  STRIPE_METER_ERROR_REPORTS_TOPIC,
  WithKafkaSecurityFields,
} from '@flexsync/kafka';
import { EncryptionCurrentKeyIdField, EncryptionEnvFields, EncryptionKeysField } from '@flexsync/crypto';
import { BoolFromEnv, IntFromEnv, ServiceBaseConfig } from '@flexsync/runtime';

/** Environment of webhook-ingest, validated before Nest starts. */
export class WebhookIngestConfig extends WithKafkaSecurityFields(ServiceBaseConfig) implements EncryptionEnvFields {
  override PORT = 8083;

  /** Stripe events are larger than API requests; anything beyond this is refused before signature checks. */
  @IntFromEnv()
  @IsInt()
  @Min(1024)
  @Max(10 * 1024 * 1024)
  override HTTP_BODY_LIMIT_BYTES = 256 * 1024;

  @KafkaBrokersField()
  KAFKA_BROKERS!: string[];

  @IsString()
  @IsNotEmpty()
  KAFKA_CLIENT_ID = 'webhook-ingest';

  @IsString()
  @IsNotEmpty()
  KAFKA_CUSTOMER_EVENTS_TOPIC = STRIPE_CUSTOMER_EVENTS_TOPIC;

  /** Stripe's meter error reports, for sync-worker to mark the ledger rows they name. */
  @IsString()
  @IsNotEmpty()
  KAFKA_METER_ERROR_REPORTS_TOPIC = STRIPE_METER_ERROR_REPORTS_TOPIC;

  /** Longest the outbox relay waits for Kafka to acknowledge a batch before it counts the attempt as failed. */
  @IntFromEnv()
  @IsInt()
  @Min(100)
  @Max(20_000)
  KAFKA_PUBLISH_TIMEOUT_MS = 3000;

  /** `development` turns on the shared `STRIPE_WEBHOOK_SECRET`; anything else (or unset) is treated as a deployment. */
  @IsOptional()
  @IsString()
  NODE_ENV?: string;

  /**
   * Development convenience: one signing secret for every tenant without its own. It cannot tell tenants apart, so it
   * is used only when `NODE_ENV=development` or `STRIPE_WEBHOOK_GLOBAL_SECRET_ALLOWED=true`.
   */
  @IsOptional()
  @IsString()
  @MinLength(8)
  STRIPE_WEBHOOK_SECRET?: string;

  @BoolFromEnv()
  @IsBoolean()
  STRIPE_WEBHOOK_GLOBAL_SECRET_ALLOWED = false;

  /** After a failed check, the stored secret is re-read (rotation) at most this often per endpoint. */
  @IntFromEnv()
  @IsInt()
  @Min(0)
  @Max(600_000)
  WEBHOOK_SECRET_REREAD_MIN_INTERVAL_MS = 1000;

  /** How long "no endpoint here" is remembered, so a scan of made-up tenants does not reach Postgres each time. */
  @IntFromEnv()
  @IsInt()
  @Min(0)
  @Max(600_000)
  WEBHOOK_UNKNOWN_ENDPOINT_CACHE_TTL_MS = 10_000;

  /** Failed deliveries (bad signature or unknown endpoint) a source address may make per minute before 429. */
  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  WEBHOOK_FAILURES_PER_MINUTE_PER_SOURCE = 120;

  /** How long the inbox keeps an event's payload (personal data) after it was published; the row stays for dedupe. */
  @IntFromEnv()
  @IsInt()
  @Min(60)
  @Max(400 * 24 * 3600)
  WEBHOOK_PAYLOAD_RETENTION_SECONDS = 7 * 24 * 3600;

  @IntFromEnv()
  @IsInt()
  @Min(1000)
  @Max(24 * 3_600_000)
  WEBHOOK_PURGE_INTERVAL_MS = 3_600_000;

  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(100_000)
  WEBHOOK_PURGE_BATCH_SIZE = 1000;

  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(3600)
  STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300;

  /** How long a tenant's decrypted signing secret is reused; a failed check always re-reads it (rotation). 0 disables. */
  @IntFromEnv()
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  WEBHOOK_SECRET_CACHE_TTL_MS = 30_000;

  /**
   * Every recorded event wakes the outbox relay at once; this is how often it runs besides (events left by a crash),
   * and how long it waits before trying again after Kafka refused a batch.
   */
  @IntFromEnv()
  @IsInt()
  @Min(50)
  @Max(600_000)
  OUTBOX_RELAY_INTERVAL_MS = 5000;

  /** Off leaves recorded events unpublished (tools that compare table contents); deliveries are still recorded. */
  @BoolFromEnv()
  @IsBoolean()
  OUTBOX_RELAY_ENABLED = true;

  /** Most events the relay publishes in one Kafka produce request. */
  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(1000)
  OUTBOX_RELAY_BATCH_SIZE = 500;

  @EncryptionKeysField()
  FLEXSYNC_ENCRYPTION_KEYS!: string;

  /** Whether the shared `STRIPE_WEBHOOK_SECRET` may verify deliveries. */
  get globalWebhookSecret(): string | undefined {
    const allowed = this.NODE_ENV === 'development' || this.STRIPE_WEBHOOK_GLOBAL_SECRET_ALLOWED;
    return allowed ? this.STRIPE_WEBHOOK_SECRET : undefined;
  }

  @EncryptionCurrentKeyIdField()
  FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID!: string;
}
