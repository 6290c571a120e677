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

  let sequence = 0;
  async function batch(tenant: TestTenant, status: SyncStatus, latencyMs: number | null, customer = 'client_123'): Promise<string> {
    sequence += 1;
    const rows: { id: string }[] = await orchestrator.dataSource.query(
      `INSERT INTO stripe_sync_batches (tenant_id, environment_id, customer_id, meter_id, event_type, window_start, window_end, identifier,
                                        payload_hash, aggregated_quantity, event_count, sync_status, latency_ms, error_message)
       VALUES ($1, $2, $3, 'meter_storage', 'increment', '2025-06-21T04:00:00Z', '2025-06-21T05:00:00Z', $4, 'hash', 42, 3, $5, $6, $7)
       RETURNING id`,
      [
        tenant.tenantId,
        tenant.environmentId,
        customer,
        `flexprice_test_${sequence}_${tenant.tenantId}`,
        status,
        latencyMs,
        status === 'failed' ? 'auth error: invalid key' : null,
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
      batches: { pending: 1, completed: 3, failed: 1 },
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
    expect(retried.body).toMatchObject({ time_from: '2025-06-21T04:00:00.000Z', time_to: '2025-06-21T05:00:00.000Z', windows: 1 });

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
});
