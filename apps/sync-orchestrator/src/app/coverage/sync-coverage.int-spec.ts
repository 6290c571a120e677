import { HOUR_MS, hourAgo, TestTenant, uniqueTenant } from '@flexsync/testing';
import { bearerFor, RunningOrchestrator, startOrchestrator } from '../../testing/sync-orchestrator.harness';

const DAY_MS = 24 * HOUR_MS;

describe('GET /v1/stripe/sync/coverage (real Postgres)', () => {
  let orchestrator: RunningOrchestrator;

  beforeAll(async () => {
    orchestrator = await startOrchestrator();
  });

  afterAll(async () => {
    await orchestrator.close();
  });

  async function config(tenant: TestTenant, createdAt: Date): Promise<void> {
    await orchestrator.dataSource.query(
      `INSERT INTO stripe_tenant_configs (tenant_id, environment_id, api_key_ciphertext, api_key_key_id, api_key_masked, sync_enabled, created_at)
       VALUES ($1, $2, 'sealed', 'k1', 'sk_test_…wxyz', true, $3)`,
      [tenant.tenantId, tenant.environmentId, createdAt],
    );
  }

  async function deliveredHour(tenant: TestTenant, hoursAgo: number, status?: 'pending' | 'completed'): Promise<void> {
    const start = hourAgo(hoursAgo);
    const end = new Date(start.getTime() + HOUR_MS);
    await orchestrator.dataSource.query(
      `INSERT INTO stripe_sync_windows (tenant_id, environment_id, window_start, window_end, aggregated_at, last_synced_at)
       VALUES ($1, $2, $3, $4, $5, $5)`,
      [tenant.tenantId, tenant.environmentId, start, end, new Date(end.getTime() + 5 * 60_000)],
    );
    if (!status) return;
    await orchestrator.dataSource.query(
      `INSERT INTO stripe_sync_batches (tenant_id, environment_id, customer_id, meter_id, event_type, window_start, window_end, identifier,
                                        payload_hash, aggregated_quantity, event_count, sync_status)
       VALUES ($1, $2, 'client_1', 'meter_api', 'increment', $3, $4, $5, 'hash', 1, 1, $6)`,
      [tenant.tenantId, tenant.environmentId, start, end, `flexprice_cov_${hoursAgo}_${tenant.tenantId}`, status],
    );
  }

  it('names the oldest window not yet delivered, the freshness lag and the count, for the caller only', async () => {
    const tenant = uniqueTenant('coverage');
    // Coverage starts two hours before the hour the config was created in: hours 7..1 ago are due.
    await config(tenant, hourAgo(5));
    for (const hours of [7, 6, 5, 4]) await deliveredHour(tenant, hours, 'completed');
    await deliveredHour(tenant, 3, 'pending');

    const response = await orchestrator.http.get('/v1/stripe/sync/coverage').set('Authorization', await bearerFor(tenant));

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      tenant_id: tenant.tenantId,
      environment_id: tenant.environmentId,
      window_minutes: 60,
      oldest_undelivered_window_start: hourAgo(3).toISOString(),
      freshness_lag_seconds: expect.any(Number),
      undelivered_windows: 3,
      windows_beyond_limit: 0,
      as_of: expect.any(String),
    });
    const lag = (Date.parse(response.body.as_of) - hourAgo(3).getTime()) / 1000;
    expect(Math.abs(response.body.freshness_lag_seconds - lag)).toBeLessThanOrEqual(1);
  });

  it('counts windows never delivered that are older than Stripe accepts', async () => {
    const tenant = uniqueTenant('coverage_old');
    await config(tenant, new Date(Date.now() - 36 * DAY_MS));

    const response = await orchestrator.http.get('/v1/stripe/sync/coverage').set('Authorization', await bearerFor(tenant));

    expect(response.status).toBe(200);
    expect(response.body.windows_beyond_limit).toBeGreaterThanOrEqual(24);
    expect(response.body.windows_beyond_limit).toBeLessThanOrEqual(28);
    expect(Date.parse(response.body.oldest_undelivered_window_start)).toBeGreaterThan(Date.now() - 35 * DAY_MS);
  });

  it('answers 404 without a Stripe config and 401 without a token', async () => {
    const missing = await orchestrator.http
      .get('/v1/stripe/sync/coverage')
      .set('Authorization', await bearerFor(uniqueTenant('coverage_none')));
    expect(missing.status).toBe(404);
    expect(JSON.stringify(missing.body)).not.toContain('stack');
    const anonymous = await orchestrator.http.get('/v1/stripe/sync/coverage');
    expect(anonymous.status).toBe(401);
  });
});
