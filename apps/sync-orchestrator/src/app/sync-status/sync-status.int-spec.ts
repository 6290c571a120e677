import type { SyncStatus } from '@flexsync/persistence';
import { TestTenant, uniqueTenant } from '@flexsync/testing';
import { bearerFor, RunningOrchestrator, startOrchestrator } from '../../testing/sync-orchestrator.harness';

describe('sync status and the push ledger API (real Postgres)', () => {
  let orchestrator: RunningOrchestrator;

  beforeAll(async () => {
    orchestrator = await startOrchestrator();
  });

  afterAll(async () => {
    await orchestrator.close();
  });

  const HOUR_MS = 3_600_000;
  /** A recent window, inside Stripe's 35-day limit, so a retry of it can be sent. */
  const windowStart = new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 3 * HOUR_MS);
  const windowEnd = new Date(windowStart.getTime() + HOUR_MS);

  let sequence = 0;
  async function batch(
    tenant: TestTenant,
    status: SyncStatus,
    latencyMs: number | null,
    customer = 'client_123',
    window = { start: windowStart, end: windowEnd },
  ): Promise<string> {
    sequence += 1;
    const rows: { id: string }[] = await orchestrator.dataSource.query(
      `INSERT INTO stripe_sync_batches (tenant_id, environment_id, customer_id, meter_id, event_type, window_start, window_end, identifier,
                                        payload_hash, aggregated_quantity, event_count, sync_status, latency_ms, error_message)
       VALUES ($1, $2, $3, 'meter_storage', 'increment', $8, $9, $4, 'hash', 42, 3, $5, $6, $7)
       RETURNING id`,
      [
        tenant.tenantId,
        tenant.environmentId,
        customer,
        `flexprice_test_${sequence}_${tenant.tenantId}`,
        status,
        latencyMs,
        status === 'failed' ? 'auth error: invalid key' : null,
        window.start,
        window.end,
      ],
    );
    return rows[0].id;
  }

  it('reports success rate, mean latency, counts and open breakers for the caller only (playbook §9)', async () => {
    const tenant = uniqueTenant('status');
    for (const latency of [100, 200, 300]) await batch(tenant, 'completed', latency);
    await batch(tenant, 'failed', null);
    await batch(tenant, 'pending', null);
    const other = uniqueTenant('status_other');
    await batch(other, 'failed', null);
    await orchestrator.dataSource.query(
      `INSERT INTO stripe_circuit_breakers (tenant_id, environment_id, state, failure_count, opened_at, reason) VALUES ($1, $2, 'open', 1, now(), 'auth error')`,
      [tenant.tenantId, tenant.environmentId],
    );

    const response = await orchestrator.http.get('/v1/stripe/sync/status').set('Authorization', await bearerFor(tenant));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      success_rate: 0.75,
      open_circuit_breakers: 1,
      average_latency_ms: 200,
      batches: { pending: 1, completed: 3, failed: 1, unknown: 0, validating: 0 },
      since: expect.any(String),
    });

    const empty = await orchestrator.http.get('/v1/stripe/sync/status').set('Authorization', await bearerFor(uniqueTenant('status_empty')));
    expect(empty.body).toMatchObject({ success_rate: null, open_circuit_breakers: 0, average_latency_ms: null });
  });

  it('lists batches newest first with a cursor and filters, never another tenant’s', async () => {
    const tenant = uniqueTenant('list');
    const ids = [];
    for (let i = 0; i < 3; i += 1) ids.push(await batch(tenant, 'completed', 10));
    const failed = await batch(tenant, 'failed', null, 'client_9');
    await batch(uniqueTenant('list_other'), 'failed', null);
    const auth = await bearerFor(tenant);

    const first = await orchestrator.http.get('/v1/stripe/sync/batches?limit=3').set('Authorization', auth);
    expect(first.status).toBe(200);
    expect(first.body.data.map((b: { id: string }) => b.id)).toEqual([failed, ids[2], ids[1]]);
    const second = await orchestrator.http
      .get(`/v1/stripe/sync/batches?limit=3&cursor=${first.body.next_cursor}`)
      .set('Authorization', auth);
    expect(second.body.data.map((b: { id: string }) => b.id)).toEqual([ids[0]]);
    expect(second.body.next_cursor).toBeNull();

    const onlyFailed = await orchestrator.http.get('/v1/stripe/sync/batches?status=failed').set('Authorization', auth);
    expect(onlyFailed.body.data).toHaveLength(1);
    expect(onlyFailed.body.data[0]).toMatchObject({
      id: failed,
      customer_id: 'client_9',
      sync_status: 'failed',
      error_message: 'auth error: invalid key',
    });

    const bad = await orchestrator.http.get('/v1/stripe/sync/batches?status=stuck&limit=0').set('Authorization', auth);
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['limit', 'status']);
  });

  it('declares the batch id path parameter of the retry operation in its OpenAPI document (found by the fuzz run)', async () => {
    const document = (await orchestrator.http.get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { parameters?: { name: string; in: string; required?: boolean }[] }>>;
    };
    const retry = document.paths['/v1/stripe/sync/batches/{id}/retry']?.post;
    expect(retry?.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'id', in: 'path', required: true })]));
  });

  it('retries a failed batch by re-running its window for its customer; other states and tenants are refused', async () => {
    const tenant = uniqueTenant('retry');
    const failed = await batch(tenant, 'failed', null, 'client_7');
    const completed = await batch(tenant, 'completed', 5);
    const auth = await bearerFor(tenant);

    const retried = await orchestrator.http.post(`/v1/stripe/sync/batches/${failed}/retry`).set('Authorization', auth);
    expect(retried.status).toBe(202);
    orchestrator.startedWorkflows.push(retried.body.workflow_id);
    expect(retried.body).toMatchObject({ time_from: windowStart.toISOString(), time_to: windowEnd.toISOString(), windows: 1 });

    const notFailed = await orchestrator.http.post(`/v1/stripe/sync/batches/${completed}/retry`).set('Authorization', auth);
    expect(notFailed.status).toBe(409);
    expect(notFailed.body.code).toBe('SYNC.NOT_RETRYABLE');

    const stranger = await orchestrator.http
      .post(`/v1/stripe/sync/batches/${failed}/retry`)
      .set('Authorization', await bearerFor(uniqueTenant('retry_other')));
    expect(stranger.status).toBe(404);

    const notAnId = await orchestrator.http.post('/v1/stripe/sync/batches/not-a-uuid/retry').set('Authorization', auth);
    expect(notAnId.status).toBe(400);
    expect(notAnId.body.details[0].field).toBe('id');
  });

  it('pages through rows inserted in one statement (one microsecond now()) without losing or repeating a row', async () => {
    const tenant = uniqueTenant('paging');
    const inserted: { id: string }[] = await orchestrator.dataSource.query(
      `INSERT INTO stripe_sync_batches (tenant_id, environment_id, customer_id, meter_id, event_type, window_start, window_end, identifier,
                                        payload_hash, aggregated_quantity, event_count, sync_status)
       SELECT $1, $2, 'client_' || n, 'meter_storage', 'increment', '2025-06-21T04:00:00Z', '2025-06-21T05:00:00Z',
              'flexprice_paging_' || n || '_' || $1, 'hash', n, 1, 'completed'
         FROM generate_series(1, 53) AS n
       RETURNING id`,
      [tenant.tenantId, tenant.environmentId],
    );
    // Plus rows a millisecond apart, so the page boundary also falls between different timestamps.
    for (let i = 0; i < 3; i += 1) inserted.push({ id: await batch(tenant, 'failed', null) });
    const auth = await bearerFor(tenant);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 20; page += 1) {
      const response: { status: number; body: { data: { id: string }[]; next_cursor: string | null } } = await orchestrator.http
        .get(`/v1/stripe/sync/batches?limit=7${cursor ? `&cursor=${cursor}` : ''}`)
        .set('Authorization', auth);
      expect(response.status).toBe(200);
      seen.push(...response.body.data.map((b) => b.id));
      cursor = response.body.next_cursor;
      if (!cursor) break;
    }
    expect(seen).toHaveLength(inserted.length);
    expect(new Set(seen).size).toBe(inserted.length);
    expect([...seen].sort()).toEqual(inserted.map((row) => row.id).sort());
  });

  it('refuses to retry a batch whose outcome is unknown with 409 and the reason, and lists and counts unknown rows', async () => {
    const tenant = uniqueTenant('unknown');
    const unknown = await batch(tenant, 'unknown', null);
    const auth = await bearerFor(tenant);

    const retried = await orchestrator.http.post(`/v1/stripe/sync/batches/${unknown}/retry`).set('Authorization', auth);
    expect(retried.status).toBe(409);
    expect(retried.body.code).toBe('SYNC.OUTCOME_UNKNOWN');
    expect(retried.body.message).toContain('24 h');
    expect(retried.body.message).toContain('reconciliation');
    const runs = await orchestrator.dataSource.query('SELECT 1 FROM stripe_manual_sync_runs WHERE batch_id = $1', [unknown]);
    expect(runs).toEqual([]);

    const listed = await orchestrator.http.get('/v1/stripe/sync/batches?status=unknown').set('Authorization', auth);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((b: { id: string; sync_status: string }) => [b.id, b.sync_status])).toEqual([[unknown, 'unknown']]);
    const status = await orchestrator.http.get('/v1/stripe/sync/status').set('Authorization', auth);
    expect(status.body.batches.unknown).toBe(1);
  });

  it('refuses with 409 to retry a failed batch whose window is beyond Stripe’s 35-day limit, starting nothing', async () => {
    const tenant = uniqueTenant('retry_old');
    const start = new Date(windowStart.getTime() - 40 * 24 * HOUR_MS);
    const old = await batch(tenant, 'failed', null, 'client_1', { start, end: new Date(start.getTime() + HOUR_MS) });
    const response = await orchestrator.http.post(`/v1/stripe/sync/batches/${old}/retry`).set('Authorization', await bearerFor(tenant));
    expect([response.status, response.body.code]).toEqual([409, 'SYNC.NOT_RETRYABLE']);
    expect(response.body.message).toContain('35-day');
    expect(await orchestrator.dataSource.query('SELECT 1 FROM stripe_manual_sync_runs WHERE batch_id = $1', [old])).toEqual([]);
  });
});
