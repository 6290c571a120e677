import { applyDecorators } from '@nestjs/common';
import { IsString, registerDecorator, ValidationArguments } from 'class-validator';
import { EncryptionKeyring, keyringProblems } from './keyring';
import { SecretBox } from './secret-box';

/** The encryption settings of a service's environment. */
export interface EncryptionEnvFields {
  FLEXSYNC_ENCRYPTION_KEYS: string;
  FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: string;
}

/** Validates the keyring as a whole; messages name key ids only, never key material. */
function IsUsableKeyring(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isUsableKeyring',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate: (_value: unknown, args: ValidationArguments) => {
          const config = args.object as Partial<EncryptionEnvFields>;
          return keyringProblems(config.FLEXSYNC_ENCRYPTION_KEYS, config.FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID).length === 0;
        },
        defaultMessage: (args: ValidationArguments) => {
          const config = args.object as Partial<EncryptionEnvFields>;
          return keyringProblems(config.FLEXSYNC_ENCRYPTION_KEYS, config.FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID).join('; ');
        },
      },
    });
  };
}

/**
 * Put on `FLEXSYNC_ENCRYPTION_KEYS` (`k2:<base64 32 bytes>,k1:<base64 32 bytes>`); with
 * `@EncryptionCurrentKeyIdField()` on `FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID`. Start-up fails without a usable keyring:
 * there is no plaintext fallback.
 */
export function EncryptionKeysField(): PropertyDecorator {
  return applyDecorators(IsString({ message: 'FLEXSYNC_ENCRYPTION_KEYS must be set' }), IsUsableKeyring());
}

export function EncryptionCurrentKeyIdField(): PropertyDecorator {
  return IsString({ message: 'FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID must be set' });
}

/** The `SecretBox` a validated config describes. */
export function secretBoxFrom(config: EncryptionEnvFields): SecretBox {
  return new SecretBox(EncryptionKeyring.parse(config.FLEXSYNC_ENCRYPTION_KEYS, config.FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID));
}
