import { IsBoolean, IsInt, IsNotEmpty, IsString, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { AuthEnvConfig } from '@flexsync/auth';
import { EncryptionCurrentKeyIdField, EncryptionEnvFields, EncryptionKeysField } from '@flexsync/crypto';
import {
  KafkaBrokersField,
  STRIPE_CUSTOMER_EVENTS_DLQ_TOPIC,
  STRIPE_CUSTOMER_EVENTS_TOPIC,
  WithKafkaSecurityFields,
} from '@flexsync/kafka';
import { BoolFromEnv, IntFromEnv, IsHttpUrl } from '@flexsync/runtime';

/** Environment of mapping-service, validated before Nest starts. */
export class MappingServiceConfig extends WithKafkaSecurityFields(AuthEnvConfig) implements EncryptionEnvFields {
  override PORT = 8082;

  /** Opens the tenant's sealed Stripe API key (never the webhook secret) to check a mapped meter in Stripe; no plaintext fallback. */
  @EncryptionKeysField()
  FLEXSYNC_ENCRYPTION_KEYS!: string;

  @EncryptionCurrentKeyIdField()
  FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID!: string;

  /** Where Stripe is, e.g. the emulator; unset means api.stripe.com. */
  @ValidateIf((config: MappingServiceConfig) => config.STRIPE_API_BASE_URL !== undefined && config.STRIPE_API_BASE_URL !== '')
  @IsHttpUrl()
  STRIPE_API_BASE_URL?: string;

  @IntFromEnv()
  @IsInt()
  @Min(100)
  @Max(60_000)
  STRIPE_TIMEOUT_MS = 10_000;

  @KafkaBrokersField()
  KAFKA_BROKERS!: string[];

  @IsString()
  @IsNotEmpty()
  KAFKA_CLIENT_ID = 'mapping-service';

  @IsString()
  @IsNotEmpty()
  KAFKA_CUSTOMER_EVENTS_TOPIC = STRIPE_CUSTOMER_EVENTS_TOPIC;

  @IsString()
  @IsNotEmpty()
  KAFKA_CUSTOMER_EVENTS_DLQ_TOPIC = STRIPE_CUSTOMER_EVENTS_DLQ_TOPIC;

  @IsString()
  @IsNotEmpty()
  KAFKA_CUSTOMER_EVENTS_GROUP_ID = 'mapping-service.customer-events';

  /** Off runs the API alone (e.g. a second replica that should not consume). */
  @BoolFromEnv()
  @IsBoolean()
  CUSTOMER_EVENTS_CONSUMER_ENABLED = true;

  /** Partitions handled in parallel by one process; order within a partition (one Stripe customer) is kept. */
  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(64)
  KAFKA_CONSUMER_CONCURRENCY = 3;

  /** How long the broker waits for a silent consumer (e.g. a killed pod) before giving its partitions to another. */
  @IntFromEnv()
  @IsInt()
  @Min(6000)
  @Max(300_000)
  KAFKA_CONSUMER_SESSION_TIMEOUT_MS = 30_000;

  @IntFromEnv()
  @IsInt()
  @Min(10)
  @Max(60_000)
  KAFKA_CONSUMER_RETRY_INITIAL_MS = 200;

  @IntFromEnv()
  @IsInt()
  @Min(10)
  @Max(600_000)
  KAFKA_CONSUMER_RETRY_MAX_MS = 10_000;

  @IntFromEnv()
  @IsInt()
  @Min(100)
  @Max(20_000)
  KAFKA_PUBLISH_TIMEOUT_MS = 5000;

  /**
   * How far a customer event's Stripe `created` may lie ahead of this clock. A later one is dead-lettered: applied,
   * it would make every real event after it look stale and freeze the mapping.
   */
  @IntFromEnv()
  @IsInt()
  @Min(0)
  @Max(3600)
  KAFKA_CUSTOMER_EVENTS_MAX_FUTURE_SKEW_SECONDS = 300;

  /** The Stripe customer metadata key that names the FlexPrice customer (Stripe allows keys of up to 40 characters). */
  @IsString()
  @MaxLength(40)
  @Matches(/^[A-Za-z0-9_.-]+$/, { message: 'STRIPE_CUSTOMER_METADATA_KEY must be 1-40 characters of A-Z a-z 0-9 _ . -' })
  STRIPE_CUSTOMER_METADATA_KEY = 'flexprice_customer_id';
}
