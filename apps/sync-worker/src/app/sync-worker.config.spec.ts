import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { ConfigValidationError, loadConfig } from '@flexsync/runtime';
import { SyncWorkerConfig } from './sync-worker.config';

const VALID = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/flexsync',
  CLICKHOUSE_URL: 'http://127.0.0.1:8123',
  TEMPORAL_ADDRESS: '127.0.0.1:7233',
  KAFKA_BROKERS: '127.0.0.1:19092',
  FLEXSYNC_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: 'k1',
};

function problems(env: Record<string, string>): string {
  try {
    loadConfig('sync-worker', SyncWorkerConfig, env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.message;
    throw error;
  }
  return '';
}

describe('sync-worker configuration', () => {
  it('starts from the required settings with safe defaults: Stripe test-mode pacing under 25 writes/s, stripe-sync queue', () => {
    const config = loadConfig('sync-worker', SyncWorkerConfig, VALID);
    expect(config).toMatchObject({
      PORT: 8085,
      TEMPORAL_TASK_QUEUE: 'stripe-sync',
      STRIPE_LIVE_WRITES_PER_SECOND: 900,
      STRIPE_TEST_WRITES_PER_SECOND: 20,
      STRIPE_PUSH_CONCURRENCY: 32,
      STRIPE_PUSH_MAX_ATTEMPTS: 5,
      STRIPE_CIRCUIT_COOLDOWN_SECONDS: 300,
      STRIPE_IDENTIFIER_DEDUPE_HOURS: 24,
      SYNC_ROW_RETRY_BASE_SECONDS: 60,
      SYNC_ROW_RETRY_MAX_SECONDS: 21_600,
      SYNC_PUSH_PAGE_SIZE: 1000,
    });
    expect(config.STRIPE_API_BASE_URL).toBeUndefined();
  });

  it('takes the benchmark rate from the environment', () => {
    const config = loadConfig('sync-worker', SyncWorkerConfig, {
      ...VALID,
      STRIPE_TEST_WRITES_PER_SECOND: '1000',
      STRIPE_API_BASE_URL: 'http://127.0.0.1:12180',
    });
    expect(config.STRIPE_TEST_WRITES_PER_SECOND).toBe(1000);
  });

  it('reports every bad key at once, without echoing the keyring', () => {
    const message = problems({
      DATABASE_URL: 'mysql://x',
      STRIPE_PUSH_CONCURRENCY: '0',
      STRIPE_IDENTIFIER_DEDUPE_HOURS: '48',
      FLEXSYNC_ENCRYPTION_KEYS: 'k1:c2VjcmV0',
      FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: 'k1',
    });
    for (const key of [
      'DATABASE_URL',
      'CLICKHOUSE_URL',
      'TEMPORAL_ADDRESS',
      'KAFKA_BROKERS',
      'FLEXSYNC_ENCRYPTION_KEYS',
      'STRIPE_PUSH_CONCURRENCY',
      'STRIPE_IDENTIFIER_DEDUPE_HOURS',
    ]) {
      expect(message).toContain(key);
    }
    expect(message).not.toContain('c2VjcmV0');
  });

  it('reads the playbook events_processed by default and refuses an unknown usage source or a bad table name, naming the setting', () => {
    expect(loadConfig('sync-worker', SyncWorkerConfig, VALID)).toMatchObject({
      SYNC_USAGE_SOURCE: 'playbook-events-processed',
      SYNC_METER_USAGE_TABLE: 'meter_usage',
    });
    expect(
      loadConfig('sync-worker', SyncWorkerConfig, {
        ...VALID,
        SYNC_USAGE_SOURCE: 'flexprice-meter-usage',
        SYNC_METER_USAGE_TABLE: 'flexprice.meter_usage',
      }),
    ).toMatchObject({ SYNC_USAGE_SOURCE: 'flexprice-meter-usage', SYNC_METER_USAGE_TABLE: 'flexprice.meter_usage' });
    const message = problems({ ...VALID, SYNC_USAGE_SOURCE: 'kafka-topic', SYNC_METER_USAGE_TABLE: 'meter_usage; DROP TABLE x' });
    expect(message).toContain('SYNC_USAGE_SOURCE must be one of playbook-events-processed, flexprice-meter-usage');
    expect(message).toContain('SYNC_METER_USAGE_TABLE must be a ClickHouse table name');
  });
});
