import { TestTenant, uniqueTenant } from '@flexsync/testing';
import { bearerFor, operatorHeadersFor, RunningOrchestrator, startOrchestrator } from '../../testing/sync-orchestrator.harness';

const HOUR_MS = 3_600_000;
function hoursAgo(hours: number): string {
  return new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS - hours * HOUR_MS).toISOString().replace('.000Z', 'Z');
}

describe('operators and tenant admins on the orchestrator (real Temporal and Postgres)', () => {
  let orchestrator: RunningOrchestrator;

  beforeAll(async () => {
    orchestrator = await startOrchestrator();
  });

  afterAll(async () => {
    await orchestrator.close();
  });

  async function configured(label: string): Promise<TestTenant> {
    const tenant = uniqueTenant(label);
    await orchestrator.dataSource.query(
      `INSERT INTO stripe_tenant_configs (tenant_id, environment_id, api_key_ciphertext, api_key_key_id, api_key_masked, sync_enabled, aggregation_window_minutes)
       VALUES ($1, $2, 'sealed', 'k1', 'sk_test_…abcd', true, 60)`,
      [tenant.tenantId, tenant.environmentId],
    );
    return tenant;
  }

  async function failedBatch(tenant: TestTenant): Promise<string> {
    const rows: { id: string }[] = await orchestrator.dataSource.query(
      `INSERT INTO stripe_sync_batches (tenant_id, environment_id, customer_id, meter_id, event_type, window_start, window_end, identifier,
                                        payload_hash, aggregated_quantity, event_count, sync_status, error_message)
       VALUES ($1, $2, 'client_1', 'meter_storage', 'increment', $3, $4, $5, 'hash', 42, 3, 'failed', 'meter mapping not found')
       RETURNING id`,
      [tenant.tenantId, tenant.environmentId, hoursAgo(3), hoursAgo(2), `flexprice_operator_${tenant.tenantId}`],
    );
    return rows[0].id;
  }

  async function memoOf(workflowId: string): Promise<Record<string, unknown> | undefined> {
    return (await orchestrator.temporal.workflow.getHandle(workflowId).describe()).memo;
  }

  const range = () => ({ time_from: hoursAgo(5), time_to: hoursAgo(4) });

  it('lets an operator start a manual sync for the tenant it names, recorded with its sub in the memo and the runs table', async () => {
    const tenant = await configured('op_manual');
    const response = await orchestrator.http
      .post('/v1/stripe/sync/manual')
      .set(await operatorHeadersFor(tenant, 'ops-alice'))
      .send(range());
    expect(response.status).toBe(202);
    orchestrator.startedWorkflows.push(response.body.workflow_id);
    expect(response.body.workflow_id).toContain(tenant.tenantId);
    expect(await memoOf(response.body.workflow_id)).toEqual({ trigger: 'manual', requested_by: 'ops-alice' });
    const runs = await orchestrator.dataSource.query(
      'SELECT kind, requested_by, requested_as, workflow_id, run_id FROM stripe_manual_sync_runs WHERE tenant_id = $1 AND environment_id = $2',
      [tenant.tenantId, tenant.environmentId],
    );
    expect(runs).toEqual([
      {
        kind: 'manual',
        requested_by: 'ops-alice',
        requested_as: 'operator',
        workflow_id: response.body.workflow_id,
        run_id: response.body.run_id,
      },
    ]);
  });

  it('records a tenant admin’s manual sync with its sub too', async () => {
    const tenant = await configured('admin_manual');
    const response = await orchestrator.http
      .post('/v1/stripe/sync/manual')
      .set('Authorization', await bearerFor(tenant, 'admin-bob'))
      .send(range());
    expect(response.status).toBe(202);
    orchestrator.startedWorkflows.push(response.body.workflow_id);
    expect(await memoOf(response.body.workflow_id)).toEqual({ trigger: 'manual', requested_by: 'admin-bob' });
    const [run] = await orchestrator.dataSource.query(
      'SELECT requested_by, requested_as FROM stripe_manual_sync_runs WHERE workflow_id = $1',
      [response.body.workflow_id],
    );
    expect(run).toEqual({ requested_by: 'admin-bob', requested_as: 'tenant_admin' });
  });

  it('lets an operator list and retry another tenant’s batches; the retry is recorded with its sub and the batch', async () => {
    const tenant = await configured('op_retry');
    const batch = await failedBatch(tenant);
    const headers = await operatorHeadersFor(tenant, 'ops-carol');
    const listed = await orchestrator.http.get('/v1/stripe/sync/batches?status=failed').set(headers);
    expect(listed.status).toBe(200);
    expect(listed.body.data.map((b: { id: string }) => b.id)).toEqual([batch]);

    const retried = await orchestrator.http.post(`/v1/stripe/sync/batches/${batch}/retry`).set(headers);
    expect(retried.status).toBe(202);
    orchestrator.startedWorkflows.push(retried.body.workflow_id);
    const runs = await orchestrator.dataSource.query(
      'SELECT kind, requested_by, requested_as FROM stripe_manual_sync_runs WHERE batch_id = $1',
      [batch],
    );
    expect(runs).toEqual([{ kind: 'retry', requested_by: 'ops-carol', requested_as: 'operator' }]);
    expect(await memoOf(retried.body.workflow_id)).toEqual({ trigger: 'manual', requested_by: 'ops-carol' });
  });

  it('never lets a tenant admin act on another tenant, even by naming it', async () => {
    const mine = await configured('admin_a');
    const theirs = await configured('admin_b');
    const theirBatch = await failedBatch(theirs);
    const auth = await bearerFor(mine);

    const named = await orchestrator.http
      .post('/v1/stripe/sync/manual')
      .set({ Authorization: auth, 'X-Tenant-ID': theirs.tenantId, 'X-Environment-ID': theirs.environmentId })
      .send(range());
    expect([named.status, named.body.code]).toEqual([403, 'AUTH.TENANT_NOT_ALLOWED']);
    const listed = await orchestrator.http.get('/v1/stripe/sync/batches').set({ Authorization: auth, 'X-Tenant-ID': theirs.tenantId });
    expect(listed.status).toBe(403);
    const retried = await orchestrator.http.post(`/v1/stripe/sync/batches/${theirBatch}/retry`).set('Authorization', auth);
    expect(retried.status).toBe(404);
    const started = await orchestrator.dataSource.query('SELECT 1 FROM stripe_manual_sync_runs WHERE tenant_id = $1', [theirs.tenantId]);
    expect(started).toEqual([]);
  });

  it('answers 400 naming the header when an operator does not name the tenant and environment', async () => {
    const tenant = await configured('op_unnamed');
    const { Authorization } = await operatorHeadersFor(tenant);
    const response = await orchestrator.http.post('/v1/stripe/sync/manual').set({ Authorization }).send(range());
    expect(response.status).toBe(400);
    expect(response.body.details.map((d: { field: string }) => d.field)).toEqual(['X-Tenant-ID', 'X-Environment-ID']);
  });

  it('shows a manual sync’s progress and cancels it, for its own tenant only', async () => {
    const tenant = await configured('op_watch');
    const headers = await operatorHeadersFor(tenant, 'ops-dave');
    const started = await orchestrator.http
      .post('/v1/stripe/sync/manual')
      .set(headers)
      .send({ time_from: hoursAgo(5), time_to: hoursAgo(2) });
    expect(started.status).toBe(202);
    orchestrator.startedWorkflows.push(started.body.workflow_id);
    const id = started.body.workflow_id as string;

    const progress = await orchestrator.http.get(`/v1/stripe/sync/runs/${id}`).set(headers);
    expect(progress.status).toBe(200);
    expect(progress.body).toMatchObject({
      workflow_id: id,
      run_id: started.body.run_id,
      kind: 'manual',
      status: 'RUNNING',
      windows_total: 3,
      windows_reached: 0,
      batches: { pending: 0, completed: 0, failed: 0, unknown: 0, validating: 0 },
      requested_by: 'ops-dave',
      closed_at: null,
    });

    const stranger = await orchestrator.http
      .get(`/v1/stripe/sync/runs/${id}`)
      .set('Authorization', await bearerFor(await configured('op_stranger')));
    expect(stranger.status).toBe(404);
    const strangerCancel = await orchestrator.http
      .post(`/v1/stripe/sync/runs/${id}/cancel`)
      .set('Authorization', await bearerFor(await configured('op_stranger2')));
    expect(strangerCancel.status).toBe(404);

    const cancelled = await orchestrator.http.post(`/v1/stripe/sync/runs/${id}/cancel`).set(headers);
    expect(cancelled.status).toBe(202);
    expect(cancelled.body).toEqual({ workflow_id: id, run_id: started.body.run_id, status: 'cancel_requested' });
    const history = await orchestrator.temporal.workflow.getHandle(id).fetchHistory();
    expect(history.events?.some((event) => event.workflowExecutionCancelRequestedEventAttributes)).toBe(true);

    await orchestrator.temporal.workflow.getHandle(id).terminate('test: closes it');
    const closed = await orchestrator.http.post(`/v1/stripe/sync/runs/${id}/cancel`).set(headers);
    expect([closed.status, closed.body.code]).toEqual([409, 'SYNC.NOT_RUNNING']);
    const notAnId = await orchestrator.http.get('/v1/stripe/sync/runs/hourly-sync').set(headers);
    expect(notAnId.status).toBe(400);
    expect(notAnId.body.details[0].field).toBe('workflow_id');
  });
});
