import { randomUUID } from 'node:crypto';
import { uniqueTenant } from '@flexsync/testing';
import { RunningOrchestrator, startOrchestrator } from '../../testing/sync-orchestrator.harness';

function sample(metrics: string, name: string, labels: string): number | undefined {
  const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${name}{`) && candidate.includes(labels));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('ledger gauges read from Postgres at scrape time', () => {
  let orchestrator: RunningOrchestrator;
  const tenant = uniqueTenant('ledger_metrics');

  beforeAll(async () => {
    orchestrator = await startOrchestrator();
  });

  afterAll(async () => {
    await orchestrator.dataSource.query(`DELETE FROM stripe_sync_batches WHERE tenant_id = $1`, [tenant.tenantId]);
    await orchestrator.close();
  });

  async function insertRow(status: string, windowEnd: Date): Promise<void> {
    const windowStart = new Date(windowEnd.getTime() - 3_600_000);
    await orchestrator.dataSource.query(
      `INSERT INTO stripe_sync_batches (tenant_id, environment_id, customer_id, meter_id, event_type, window_start, window_end,
                                        identifier, payload_hash, aggregated_quantity, sync_status)
       VALUES ($1, $2, 'cus_1', 'meter_1', 'api_call', $3, $4, $5, 'hash', 1, $6)`,
      [tenant.tenantId, tenant.environmentId, windowStart, windowEnd, `id_${randomUUID()}`, status],
    );
  }

  it('counts the backlog by status and reports the tenant’s oldest undelivered window, not counters that reset', async () => {
    const scrape = async (): Promise<string> => (await orchestrator.http.get('/metrics').expect(200)).text;
    const before = await scrape();
    const failedBefore = sample(before, 'stripe_sync_ledger_rows', 'status="failed"') ?? 0;
    const pendingBefore = sample(before, 'stripe_sync_ledger_rows', 'status="pending"') ?? 0;

    // Older than anything other specs write, so this tenant is first under the label cap.
    const oldest = new Date('2001-01-01T01:00:00Z');
    await insertRow('failed', oldest);
    await insertRow('failed', new Date('2001-01-01T02:00:00Z'));
    await insertRow('pending', new Date('2001-01-01T03:00:00Z'));
    await insertRow('completed', new Date('2000-12-31T00:00:00Z'));

    const after = await scrape();
    expect(sample(after, 'stripe_sync_ledger_rows', 'status="failed"')).toBe(failedBefore + 2);
    expect(sample(after, 'stripe_sync_ledger_rows', 'status="pending"')).toBe(pendingBefore + 1);
    expect(sample(after, 'stripe_sync_ledger_rows', 'status="unknown"')).toBeGreaterThanOrEqual(0);
    const age = sample(after, 'stripe_sync_oldest_undelivered_window_age_seconds', `tenant_id="${tenant.tenantId}"`);
    expect(age).toBeGreaterThan((Date.now() - oldest.getTime()) / 1000 - 60);
    expect(age).toBeLessThan((Date.now() - oldest.getTime()) / 1000 + 60);
    expect(sample(after, 'stripe_sync_undelivered_tenants', 'service="sync-orchestrator"')).toBeGreaterThanOrEqual(1);

    await orchestrator.dataSource.query(`UPDATE stripe_sync_batches SET sync_status = 'completed' WHERE tenant_id = $1`, [tenant.tenantId]);
    const delivered = await scrape();
    expect(sample(delivered, 'stripe_sync_ledger_rows', 'status="failed"')).toBe(failedBefore);
    expect(sample(delivered, 'stripe_sync_oldest_undelivered_window_age_seconds', `tenant_id="${tenant.tenantId}"`)).toBeUndefined();
  });

  it('caps the tenant labels at STRIPE_SYNC_METRICS_MAX_TENANTS', async () => {
    const capped = await startOrchestrator({ STRIPE_SYNC_METRICS_MAX_TENANTS: '1' });
    try {
      await insertRow('failed', new Date('2001-01-01T01:00:00Z'));
      const text = (await capped.http.get('/metrics').expect(200)).text;
      expect(text.split('\n').filter((line) => line.startsWith('stripe_sync_oldest_undelivered_window_age_seconds{'))).toHaveLength(1);
    } finally {
      await capped.close();
    }
  });

  it('reports what the hourly schedule has run, read from Temporal', async () => {
    const scheduleId = `ledger-metrics-schedule-${randomUUID()}`;
    const withSchedule = await startOrchestrator({ STRIPE_SYNC_SCHEDULE_ENABLED: 'true', STRIPE_SYNC_SCHEDULE_ID: scheduleId });
    try {
      const text = (await withSchedule.http.get('/metrics').expect(200)).text;
      expect(sample(text, 'stripe_sync_schedule_runs', `schedule_id="${scheduleId}"`)).toBe(0);
      // It has not fired yet: the last-run gauge is absent rather than a made-up time.
      expect(sample(text, 'stripe_sync_schedule_last_run_timestamp_seconds', 'schedule_id=')).toBeUndefined();
    } finally {
      await withSchedule.temporal.schedule
        .getHandle(scheduleId)
        .delete()
        .catch(() => undefined);
      await withSchedule.close();
    }
  });
});
