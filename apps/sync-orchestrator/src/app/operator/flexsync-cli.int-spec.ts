import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DefaultLogger, Runtime, type Worker } from '@temporalio/worker';
import pino from 'pino';
import { Registry } from 'prom-client';
import { ClickHouseClient, createClickHouseClient, EventsProcessedStore, quoteString, toClickHouseDateTime } from '@flexsync/clickhouse';
import { EncryptionKeyring, SecretBox } from '@flexsync/crypto';
import { maskSecret } from '@flexsync/stripe-client';
import { RunningStripeEmulator, startStripeEmulator } from '@flexsync/stripe-emulator';
import { createSyncPipeline, decimalToScaled, scaledToDecimal } from '@flexsync/sync-pipeline';
import { bundleSyncWorkflows, createSyncWorker } from '@flexsync/temporal';
import { HOUR_MS, hourAgo, REPO_ROOT, stackEnv, uniqueTenant } from '@flexsync/testing';
import { operatorHeadersFor, RunningOrchestrator, startOrchestrator } from '../../testing/sync-orchestrator.harness';

const run = promisify(execFile);
const iso = (date: Date) => date.toISOString().replace('.000Z', 'Z');

/**
 * The operator CLI against the real stack: sync-orchestrator over HTTP, a sync worker on the orchestrator's task
 * queue, ClickHouse usage and the Stripe emulator. The commands are the README's.
 */
describe('tools/flexsync: an operator backfill on the local stack', () => {
  const env = stackEnv();
  const taskQueue = `stripe-sync-cli-${randomUUID()}`;
  let orchestrator: RunningOrchestrator;
  let apiUrl: string;
  let emulator: RunningStripeEmulator;
  let clickhouse: ClickHouseClient;
  let worker: Worker;
  let workerRun: Promise<void>;
  let closeWorker: () => Promise<void>;
  const keyring = `k1:${randomBytes(32).toString('base64')}`;

  beforeAll(async () => {
    if (!Runtime._instance) Runtime.install({ logger: new DefaultLogger('ERROR') });
    emulator = await startStripeEmulator({ accounts: [], rateLimitPerSecond: 1_000 });
    orchestrator = await startOrchestrator({ TEMPORAL_TASK_QUEUE: taskQueue });
    await orchestrator.app.listen(0, '127.0.0.1');
    apiUrl = `http://127.0.0.1:${(orchestrator.app.getHttpServer().address() as AddressInfo).port}`;
    clickhouse = createClickHouseClient({ url: env.CLICKHOUSE_URL, database: env.CLICKHOUSE_DATABASE });
    const pipeline = createSyncPipeline({
      db: orchestrator.dataSource,
      clickhouse,
      secretBox: new SecretBox(EncryptionKeyring.parse(keyring, 'k1')),
      registry: new Registry(),
      logger: pino({ level: 'silent' }),
      settings: {
        stripe: { baseUrl: emulator.url, timeoutMs: 5_000, liveWritesPerSecond: 1_000, testWritesPerSecond: 1_000 },
        push: { pageSize: 1_000, concurrency: 16, maxAttempts: 4, retryBaseMs: 20, retryMaxMs: 100, dedupeWindowHours: 24 },
        aggregatePageSize: 1_000,
        circuitCooldownSeconds: 300,
      },
    });
    const handle = await createSyncWorker({
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue,
      workflowBundle: await bundleSyncWorkflows(),
      activities: pipeline.activities,
      shutdownGraceTime: '1 second',
    });
    worker = handle.worker;
    workerRun = worker.run();
    closeWorker = async () => {
      worker.shutdown();
      await workerRun;
      await handle.connection.close();
    };
  }, 120_000);

  afterAll(async () => {
    await closeWorker?.();
    await orchestrator?.close();
    await clickhouse?.close();
    await emulator?.close();
  });

  function flexsync(args: string[], headers: Record<string, string>) {
    return run(process.execPath, [join(REPO_ROOT, 'tools/dev/run-ts.js'), join(REPO_ROOT, 'tools/flexsync/flexsync.ts'), ...args], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        FLEXSYNC_API_URL: apiUrl,
        FLEXSYNC_TOKEN: headers.Authorization.replace('Bearer ', ''),
        FLEXSYNC_TENANT_ID: headers['X-Tenant-ID'],
        FLEXSYNC_ENVIRONMENT_ID: headers['X-Environment-ID'],
      },
    });
  }

  it('starts a 24-hour backfill, shows its progress, and ends with the emulator’s totals equal to ClickHouse’s', async () => {
    const tenant = uniqueTenant('cli');
    const apiKey = `sk_test_cli${randomBytes(12).toString('hex')}`;
    emulator.addAccount({ apiKeys: [apiKey], meters: [{ eventName: 'api_calls' }, { eventName: 'storage_gb' }] });
    const sealed = new SecretBox(EncryptionKeyring.parse(keyring, 'k1')).seal(apiKey, {
      tenantId: tenant.tenantId,
      environmentId: tenant.environmentId,
      field: 'api_key',
    });
    await orchestrator.dataSource.query(
      `INSERT INTO stripe_tenant_configs (tenant_id, environment_id, api_key_ciphertext, api_key_key_id, api_key_masked, sync_enabled)
       VALUES ($1, $2, $3, $4, $5, true)`,
      [tenant.tenantId, tenant.environmentId, sealed.ciphertext, sealed.keyId, maskSecret(apiKey)],
    );
    const meters: Record<string, string> = { meter_api: 'api_calls', meter_storage: 'storage_gb' };
    const customers: Record<string, string> = { client_a: 'cus_a', client_b: 'cus_b', client_c: 'cus_c' };
    for (const [meterId, eventName] of Object.entries(meters)) {
      await orchestrator.dataSource.query(
        `INSERT INTO meter_provider_mappings (tenant_id, environment_id, meter_id, provider_type, provider_meter_id, sync_enabled)
         VALUES ($1, $2, $3, 'stripe', $4, true)`,
        [tenant.tenantId, tenant.environmentId, meterId, eventName],
      );
    }
    for (const [customerId, stripeCustomerId] of Object.entries(customers)) {
      await orchestrator.dataSource.query(
        `INSERT INTO customer_integration_mappings (tenant_id, environment_id, customer_id, provider_type, provider_customer_id, status)
         VALUES ($1, $2, $3, 'stripe', $4, 'mapped')`,
        [tenant.tenantId, tenant.environmentId, customerId, stripeCustomerId],
      );
    }
    const from = hourAgo(26);
    const to = hourAgo(2);
    const rows = [];
    for (let hour = 0; hour < 24; hour += 1) {
      for (const [c, customerId] of Object.keys(customers).entries()) {
        for (const [m, meterId] of Object.keys(meters).entries()) {
          rows.push({
            tenant_id: tenant.tenantId,
            environment_id: tenant.environmentId,
            event_id: randomUUID(),
            customer_id: customerId,
            meter_id: meterId,
            event_type: 'increment',
            qty_billable: String(1 + ((hour * 7 + c * 3 + m * 5) % 13)),
            processed_at: toClickHouseDateTime(new Date(from.getTime() + hour * HOUR_MS + 17 * 60_000)),
          });
        }
      }
    }
    await new EventsProcessedStore(clickhouse).insert(rows);
    const operator = await operatorHeadersFor(tenant, 'ops-cli');

    // README: flexsync sync start --from … --to … --json
    const started = await flexsync(['sync', 'start', '--from', iso(from), '--to', iso(to), '--json', '--interval-ms', '100'], operator);
    const result = JSON.parse(started.stdout) as {
      started: { workflow_id: string; windows: number };
      final: { status: string; windows_reached: number; windows_total: number; batches: Record<string, number> };
    };
    expect(result.started.windows).toBe(24);
    expect(result.final).toMatchObject({ status: 'COMPLETED', windows_total: 24, windows_reached: 24 });
    expect(result.final.batches).toEqual({ pending: 0, completed: 24 * 6, failed: 0, unknown: 0, validating: 0 });
    const progressLines = started.stderr.split('\n').filter((line) => line.includes(' windows · '));
    expect(progressLines.length).toBeGreaterThanOrEqual(2);
    expect(progressLines[progressLines.length - 1]).toContain('24/24 windows');

    const measured = await (
      await clickhouse.query({
        query: `SELECT customer_id, meter_id, toString(sum(qty_billable)) AS total FROM events_processed
                 WHERE tenant_id = ${quoteString(tenant.tenantId)} AND environment_id = ${quoteString(tenant.environmentId)}
                 GROUP BY customer_id, meter_id`,
        format: 'JSONEachRow',
      })
    ).json<{ customer_id: string; meter_id: string; total: string }>();
    // ClickHouse prints the Decimal with its scale (167.000000000000); compare exact values.
    const expected = Object.fromEntries(
      measured.map((row) => [`${customers[row.customer_id]}/${meters[row.meter_id]}`, scaledToDecimal(decimalToScaled(row.total))]),
    );
    const sent = Object.fromEntries(emulator.totals(apiKey).map((total) => [`${total.customer}/${total.eventName}`, total.totalExact]));
    expect(Object.keys(expected)).toHaveLength(6);
    expect(sent).toEqual(expected);

    // README: flexsync sync watch <workflow_id>, flexsync status, flexsync batches list --json
    const watched = await flexsync(['sync', 'watch', result.started.workflow_id], operator);
    expect(watched.stdout).toContain('COMPLETED: [');
    const status = JSON.parse((await flexsync(['status', '--json'], operator)).stdout);
    expect(status.batches).toMatchObject({ completed: 24 * 6, failed: 0 });
    // README: flexsync coverage --json — the endpoint's answer for the operator's tenant, as the API gives it.
    const coverage = JSON.parse((await flexsync(['coverage', '--json'], operator)).stdout);
    const direct = (await (await fetch(`${apiUrl}/v1/stripe/sync/coverage`, { headers: operator })).json()) as Record<string, unknown>;
    const stable = ({ freshness_lag_seconds: _lag, as_of: _asOf, ...rest }: Record<string, unknown>) => rest;
    expect(coverage).toMatchObject({ tenant_id: tenant.tenantId, environment_id: tenant.environmentId, window_minutes: 60 });
    expect(stable(coverage)).toEqual(stable(direct));
    expect((await flexsync(['coverage'], operator)).stdout).toContain(`tenant_id: ${tenant.tenantId}`);
    const page = JSON.parse((await flexsync(['batches', 'list', '--limit', '5', '--json'], operator)).stdout);
    expect(page.data).toHaveLength(5);
    expect(page.next_cursor).toEqual(expect.any(String));

    // README: flexsync reconcile run / show. Just pushed, every cell is pending within the worker's default ingestion lag.
    const reconciling = JSON.parse((await flexsync(['reconcile', 'run', '--from', iso(from), '--to', iso(to), '--json'], operator)).stdout);
    await orchestrator.temporal.workflow.getHandle(reconciling.workflow_id).result();
    const shown = await flexsync(['reconcile', 'show', '--from', iso(from), '--to', iso(to), '--limit', '2'], operator);
    expect(shown.stdout.split('\n')[0]).toBe('totals: match 0, drift 0, pending 144, unknown_outcome 0; drift units 0');
    expect(shown.stdout).toContain('next cursor: ');

    // README: flexsync sync cancel <workflow_id> (this one has ended), flexsync batches retry <batch_id>
    await expect(flexsync(['sync', 'cancel', result.started.workflow_id], operator)).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('SYNC.NOT_RUNNING'),
    });
    const [failed] = await orchestrator.dataSource.query(
      `UPDATE stripe_sync_batches SET sync_status = 'failed', error_message = 'meter mapping not found'
        WHERE id = (SELECT id FROM stripe_sync_batches WHERE tenant_id = $1 AND environment_id = $2 LIMIT 1) RETURNING id`,
      [tenant.tenantId, tenant.environmentId],
    );
    const retried = await flexsync(['batches', 'retry', failed[0].id], operator);
    expect(retried.stdout).toContain('retry started stripe-sync-retry-');
  }, 180_000);

  it('answers --help everywhere, exits 2 on a usage error and 1 with the API’s reason on a refusal', async () => {
    const tenant = uniqueTenant('cli_errors');
    await orchestrator.dataSource.query(
      `INSERT INTO stripe_tenant_configs (tenant_id, environment_id, api_key_ciphertext, api_key_key_id, api_key_masked, sync_enabled)
       VALUES ($1, $2, 'sealed', 'k1', 'sk_test_…abcd', true)`,
      [tenant.tenantId, tenant.environmentId],
    );
    const operator = await operatorHeadersFor(tenant);
    for (const args of [
      ['--help'],
      ['sync', 'start', '--help'],
      ['sync', 'watch', '--help'],
      ['batches', 'retry', '--help'],
      ['status', '-h'],
      ['coverage', '--help'],
    ]) {
      expect((await flexsync(args, operator)).stdout).toContain('usage: flexsync');
    }
    await expect(flexsync(['sync', 'launch'], operator)).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown command'),
    });
    await expect(flexsync(['sync', 'start', '--from', iso(hourAgo(3))], operator)).rejects.toMatchObject({ code: 2 });
    const refused = flexsync(['sync', 'start', '--from', iso(hourAgo(40 * 24)), '--to', iso(hourAgo(39 * 24)), '--json'], operator);
    await expect(refused).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('35-day') });
    const body = JSON.parse(((await refused.catch((error: { stdout: string }) => error)) as { stdout: string }).stdout);
    expect(body).toMatchObject({ status: 400, code: 'SYNC.INVALID_WINDOW' });
  }, 60_000);
});
