import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { ConfigValidationError, loadConfig } from '@flexsync/runtime';
import { ConfigServiceConfig } from './config-service.config';

const VALID = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/flexsync',
  AUTH_JWT_SECRET: 'config-service-test-secret-0123456789',
  AUTH_JWT_ISSUER: 'flexsync',
  AUTH_JWT_AUDIENCE: 'flexsync-api',
  FLEXSYNC_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: 'k1',
};

function problems(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig('config-service', ConfigServiceConfig, env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.message;
    throw error;
  }
  return '';
}

describe('ConfigServiceConfig', () => {
  it('loads a complete environment with defaults', () => {
    const config = loadConfig('config-service', ConfigServiceConfig, VALID);
    expect(config).toMatchObject({ PORT: 8081, STRIPE_TIMEOUT_MS: 10_000, STRIPE_API_BASE_URL: undefined });
  });

  it('refuses to start without an encryption keyring', () => {
    const { FLEXSYNC_ENCRYPTION_KEYS: _keys, FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: _current, ...rest } = VALID;
    const message = problems(rest);
    expect(message).toContain('FLEXSYNC_ENCRYPTION_KEYS must be set');
    expect(message).toContain('FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID must be set');
  });

  it('refuses to start when the current key id is not in the keyring', () => {
    expect(problems({ ...VALID, FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: 'k2' })).toContain('must name a key in FLEXSYNC_ENCRYPTION_KEYS');
  });

  it('reports every bad key at once', () => {
    const message = problems({ STRIPE_API_BASE_URL: 'not a url', STRIPE_TIMEOUT_MS: '5' });
    for (const key of [
      'DATABASE_URL',
      'AUTH_JWT_SECRET',
      'AUTH_JWT_ISSUER',
      'FLEXSYNC_ENCRYPTION_KEYS',
      'STRIPE_API_BASE_URL',
      'STRIPE_TIMEOUT_MS',
    ]) {
      expect(message).toContain(key);
    }
  });

  it('treats an empty STRIPE_API_BASE_URL as unset', () => {
    expect(problems({ ...VALID, STRIPE_API_BASE_URL: '' })).toBe('');
  });
});
