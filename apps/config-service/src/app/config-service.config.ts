import { IsInt, Max, Min, ValidateIf } from 'class-validator';
import { AuthEnvConfig } from '@flexsync/auth';
import { EncryptionCurrentKeyIdField, EncryptionEnvFields, EncryptionKeysField } from '@flexsync/crypto';
import { IntFromEnv, IsHttpUrl } from '@flexsync/runtime';

/** Environment of config-service, validated before Nest starts; a missing or invalid keyring stops the start. */
export class ConfigServiceConfig extends AuthEnvConfig implements EncryptionEnvFields {
  override PORT = 8081;

  @EncryptionKeysField()
  FLEXSYNC_ENCRYPTION_KEYS!: string;

  @EncryptionCurrentKeyIdField()
  FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID!: string;

  /** Where Stripe is, e.g. `http://127.0.0.1:12180` for the emulator; unset means api.stripe.com. */
  @ValidateIf((config: ConfigServiceConfig) => config.STRIPE_API_BASE_URL !== undefined && config.STRIPE_API_BASE_URL !== '')
  @IsHttpUrl()
  STRIPE_API_BASE_URL?: string;

  @IntFromEnv()
  @IsInt()
  @Min(100)
  @Max(60_000)
  STRIPE_TIMEOUT_MS = 10_000;
}
