import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { ConfigValidationError, loadConfig } from '@flexsync/runtime';
import { WebhookIngestConfig } from './webhook-ingest.config';

const VALID = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/flexsync',
  KAFKA_BROKERS: '127.0.0.1:19092, 127.0.0.2:19092',
  FLEXSYNC_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: 'k1',
};

function problems(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig('webhook-ingest', WebhookIngestConfig, env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.message;
    throw error;
  }
  return '';
}

describe('WebhookIngestConfig', () => {
  it('loads a complete environment with defaults', () => {
    expect(loadConfig('webhook-ingest', WebhookIngestConfig, VALID)).toMatchObject({
      PORT: 8083,
      KAFKA_BROKERS: ['127.0.0.1:19092', '127.0.0.2:19092'],
      KAFKA_CUSTOMER_EVENTS_TOPIC: 'stripe.customer.events',
      STRIPE_WEBHOOK_SECRET: undefined,
      STRIPE_WEBHOOK_TOLERANCE_SECONDS: 300,
      HTTP_BODY_LIMIT_BYTES: 256 * 1024,
      KAFKA_PUBLISH_TIMEOUT_MS: 3000,
    });
  });

  it('reports every bad key at once without echoing the values', () => {
    const message = problems({ KAFKA_BROKERS: 'kafka', STRIPE_WEBHOOK_SECRET: 'whsec', OUTBOX_RELAY_INTERVAL_MS: 'soon' });
    for (const key of ['DATABASE_URL', 'KAFKA_BROKERS', 'STRIPE_WEBHOOK_SECRET', 'OUTBOX_RELAY_INTERVAL_MS', 'FLEXSYNC_ENCRYPTION_KEYS']) {
      expect(message).toContain(key);
    }
    expect(message).not.toContain('whsec');
  });
});
