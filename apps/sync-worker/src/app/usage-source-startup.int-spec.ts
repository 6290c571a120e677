import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { REPO_ROOT, stackEnv } from '@flexsync/testing';
import { testKeyring } from '../testing/sync-harness';

/** A worker whose default usage source cannot be read must not start (it would sync zero usage for every tenant). */
describe('sync-worker start with a usage source it cannot read', () => {
  function startWorker(extra: Record<string, string>): { status: number | null; output: string } {
    const env = stackEnv();
    const keyring = testKeyring();
    const result = spawnSync(process.execPath, [join(REPO_ROOT, 'tools/dev/run-ts.js'), join(REPO_ROOT, 'apps/sync-worker/src/main.ts')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 120_000,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: env.DATABASE_URL,
        CLICKHOUSE_URL: env.CLICKHOUSE_URL,
        CLICKHOUSE_DATABASE: env.CLICKHOUSE_DATABASE,
        TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS,
        TEMPORAL_NAMESPACE: env.TEMPORAL_NAMESPACE,
        TEMPORAL_TASK_QUEUE: `stripe-sync-refused-${randomUUID()}`,
        KAFKA_BROKERS: env.KAFKA_BROKERS,
        METER_ERROR_REPORTS_CONSUMER_ENABLED: 'false',
        FLEXSYNC_ENCRYPTION_KEYS: keyring.keys,
        FLEXSYNC_ENCRYPTION_CURRENT_KEY_ID: keyring.currentKeyId,
        PORT: '0',
        ...extra,
      },
    });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  it('refuses to start when the default source is flexprice-meter-usage and its table does not exist, naming the table', () => {
    const { status, output } = startWorker({
      SYNC_USAGE_SOURCE: 'flexprice-meter-usage',
      SYNC_METER_USAGE_TABLE: 'meter_usage_not_created',
    });
    expect(status).not.toBe(0);
    expect(output).toContain('usage source flexprice-meter-usage: meter usage table meter_usage_not_created does not exist');
  });

  it('refuses to start with an unknown usage source, naming the setting', () => {
    const { status, output } = startWorker({ SYNC_USAGE_SOURCE: 'kafka-topic' });
    expect(status).not.toBe(0);
    expect(output).toContain('SYNC_USAGE_SOURCE must be one of playbook-events-processed, flexprice-meter-usage');
  });
});
