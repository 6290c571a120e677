import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { ConfigValidationError, loadConfig } from '@flexsync/runtime';
import { EncryptionCurrentKeyIdField, EncryptionEnvFields, EncryptionKeysField, secretBoxFrom } from './encryption-env.config';

class ExampleConfig implements EncryptionEnvFields {
  @EncryptionKeysField()
  FLEXSYNC_ENCRYPTION_KEYS!: string;

  @EncryptionCurrentKeyIdField()
  FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID!: string;
}

function problemsFor(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig('example', ExampleConfig, env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.message;
    throw error;
  }
  return '';
}

describe('encryption env fields', () => {
  it('refuse to load without a keyring: there is no plaintext fallback', () => {
    const message = problemsFor({});
    expect(message).toContain('FLEXSYNC_ENCRYPTION_KEYS must be set');
    expect(message).toContain('FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID must be set');
  });

  it('refuse a keyring with a short key and name the key without printing it', () => {
    const short = randomBytes(31).toString('base64');
    const message = problemsFor({ FLEXSYNC_ENCRYPTION_KEYS: `k1:${short}`, FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: 'k1' });
    expect(message).toContain('key k1: the key must be base64 of exactly 32 bytes');
    expect(message).not.toContain(short);
  });

  it('load a valid keyring into a working SecretBox', () => {
    const config = loadConfig('example', ExampleConfig, {
      FLEXSYNC_ENCRYPTION_KEYS: `k2:${randomBytes(32).toString('base64')},k1:${randomBytes(32).toString('base64')}`,
      FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: 'k2',
    });
    const box = secretBoxFrom(config);
    expect(box.currentKeyId).toBe('k2');
    const row = { tenantId: 'tenant_a', environmentId: 'env_a', field: 'api_key' } as const;
    expect(box.open(box.seal('sk_test_abc', row), row)).toBe('sk_test_abc');
  });
});
