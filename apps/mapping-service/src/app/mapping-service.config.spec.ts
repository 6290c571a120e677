import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { ConfigValidationError, loadConfig } from '@flexsync/runtime';
import { MappingServiceConfig } from './mapping-service.config';

const VALID = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/flexsync',
  KAFKA_BROKERS: '127.0.0.1:19092',
  AUTH_JWT_SECRET: 'mapping-service-test-secret-0123456789',
  AUTH_JWT_ISSUER: 'flexsync',
  AUTH_JWT_AUDIENCE: 'flexsync-api',
  FLEXSYNC_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: 'k1',
};

function problems(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig('mapping-service', MappingServiceConfig, env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.message;
    throw error;
  }
  return '';
}

describe('MappingServiceConfig', () => {
  it('loads a complete environment with defaults', () => {
    expect(loadConfig('mapping-service', MappingServiceConfig, VALID)).toMatchObject({
      PORT: 8082,
      KAFKA_BROKERS: ['127.0.0.1:19092'],
      KAFKA_CUSTOMER_EVENTS_TOPIC: 'stripe.customer.events',
      KAFKA_CUSTOMER_EVENTS_DLQ_TOPIC: 'stripe.customer.events.dlq',
      KAFKA_CUSTOMER_EVENTS_GROUP_ID: 'mapping-service.customer-events',
      CUSTOMER_EVENTS_CONSUMER_ENABLED: true,
      STRIPE_CUSTOMER_METADATA_KEY: 'flexprice_customer_id',
      STRIPE_TIMEOUT_MS: 10_000,
    });
  });

  it('takes another metadata key and can run without the consumer', () => {
    expect(
      loadConfig('mapping-service', MappingServiceConfig, {
        ...VALID,
        STRIPE_CUSTOMER_METADATA_KEY: 'fp_customer',
        CUSTOMER_EVENTS_CONSUMER_ENABLED: 'false',
      }),
    ).toMatchObject({
      STRIPE_CUSTOMER_METADATA_KEY: 'fp_customer',
      CUSTOMER_EVENTS_CONSUMER_ENABLED: false,
    });
  });

  it('reports every bad key at once', () => {
    const message = problems({
      KAFKA_BROKERS: '',
      STRIPE_CUSTOMER_METADATA_KEY: 'has spaces in it',
      KAFKA_CONSUMER_SESSION_TIMEOUT_MS: '100',
    });
    for (const key of [
      'DATABASE_URL',
      'KAFKA_BROKERS',
      'AUTH_JWT_SECRET',
      'FLEXSYNC_ENCRYPTION_KEYS',
      'STRIPE_CUSTOMER_METADATA_KEY',
      'KAFKA_CONSUMER_SESSION_TIMEOUT_MS',
    ]) {
      expect(message).toContain(key);
    }
  });
});
