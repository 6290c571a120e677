import { IsInt, IsNotEmpty, IsOptional, IsString, Max, Min, MinLength } from 'class-validator';
import {
  KafkaBrokersField,
  STRIPE_CUSTOMER_EVENTS_TOPIC,
  KafkaSaslCredentialField,
  KafkaSaslMechanismField,
  KafkaSslField,
  KafkaSslFileField,
  KafkaSslServerNameField,
  type KafkaSaslMechanism,
} from '@flexsync/kafka';
import { EncryptionCurrentKeyIdField, EncryptionEnvFields, EncryptionKeysField } from '@flexsync/crypto';
import { IntFromEnv, ServiceBaseConfig } from '@flexsync/runtime';

/** Environment of webhook-ingest, validated before Nest starts. */
export class WebhookIngestConfig extends ServiceBaseConfig implements EncryptionEnvFields {
  override PORT = 8083;

  /** Stripe events are larger than API requests; anything beyond this is refused before signature checks. */
  @IntFromEnv()
  @IsInt()
  @Min(1024)
  @Max(10 * 1024 * 1024)
  override HTTP_BODY_LIMIT_BYTES = 256 * 1024;

  @KafkaBrokersField()
  KAFKA_BROKERS!: string[];

  @KafkaSslField()
  KAFKA_SSL = false;

  @KafkaSslFileField()
  KAFKA_SSL_CA_FILE?: string;

  @KafkaSslFileField('KAFKA_SSL_KEY_FILE')
  KAFKA_SSL_CERT_FILE?: string;

  @KafkaSslFileField('KAFKA_SSL_CERT_FILE')
  KAFKA_SSL_KEY_FILE?: string;

  @KafkaSslServerNameField()
  KAFKA_SSL_SERVER_NAME?: string;

  @KafkaSaslMechanismField()
  KAFKA_SASL_MECHANISM?: KafkaSaslMechanism;

  @KafkaSaslCredentialField()
  KAFKA_SASL_USERNAME?: string;

  @KafkaSaslCredentialField()
  KAFKA_SASL_PASSWORD?: string;

  @IsString()
  @IsNotEmpty()
  KAFKA_CLIENT_ID = 'webhook-ingest';

  @IsString()
  @IsNotEmpty()
  KAFKA_CUSTOMER_EVENTS_TOPIC = STRIPE_CUSTOMER_EVENTS_TOPIC;

  /** Longest a webhook request waits for Kafka before answering 503 (the event is already in the inbox). */
  @IntFromEnv()
  @IsInt()
  @Min(100)
  @Max(20_000)
  KAFKA_PUBLISH_TIMEOUT_MS = 3000;

  /** Fallback signing secret for tenants whose config has no webhook secret of its own. */
  @IsOptional()
  @IsString()
  @MinLength(8)
  STRIPE_WEBHOOK_SECRET?: string;

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

  @IntFromEnv()
  @IsInt()
  @Min(50)
  @Max(600_000)
  OUTBOX_RELAY_INTERVAL_MS = 5000;

  /** The relay leaves younger events to the request that recorded them. */
  @IntFromEnv()
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  OUTBOX_RELAY_MIN_AGE_MS = 10_000;

  @IntFromEnv()
  @IsInt()
  @Min(1)
  @Max(1000)
  OUTBOX_RELAY_BATCH_SIZE = 100;

  @EncryptionKeysField()
  FLEXSYNC_ENCRYPTION_KEYS!: string;

  @EncryptionCurrentKeyIdField()
  FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID!: string;
}
