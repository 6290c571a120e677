import { STRIPE_EVENT_SYNC_WORKFLOW, STRIPE_SYNC_TASK_QUEUE, StripeEventSyncInput } from '@flexsync/sync-contracts';
import { TestTenant, uniqueTenant } from '@flexsync/testing';
import { bearerFor, RunningOrchestrator, startOrchestrator } from '../../testing/sync-orchestrator.harness';

describe('POST /v1/stripe/sync/manual (real Temporal and Postgres)', () => {
  let orchestrator: RunningOrchestrator;

  beforeAll(async () => {
    orchestrator = await startOrchestrator();
  });

  afterAll(async () => {
    await orchestrator.close();
  });

  async function configured(windowMinutes = 60): Promise<TestTenant> {
    const tenant = uniqueTenant('manual');
    await orchestrator.dataSource.query(
      `INSERT INTO stripe_tenant_configs (tenant_id, environment_id, api_key_ciphertext, api_key_key_id, api_key_masked, sync_enabled, aggregation_window_minutes)
       VALUES ($1, $2, 'sealed', 'k1', 'sk_test_…abcd', true, $3)`,
      [tenant.tenantId, tenant.environmentId, windowMinutes],
    );
    return tenant;
  }

  async function startedInput(workflowId: string): Promise<StripeEventSyncInput> {
    const handle = orchestrator.temporal.workflow.getHandle(workflowId);
    const description = await handle.describe();
    expect(description.type).toBe(STRIPE_EVENT_SYNC_WORKFLOW);
    expect(description.taskQueue).toBe(STRIPE_SYNC_TASK_QUEUE);
    const history = await handle.fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
    return JSON.parse(Buffer.from(payload as Uint8Array).toString('utf8')) as StripeEventSyncInput;
  }

  it('starts StripeEventSyncWorkflow for the caller’s tenant with aligned windows and returns its ids', async () => {
    const tenant = await configured();
    const response = await orchestrator.http
      .post('/v1/stripe/sync/manual')
      .set('Authorization', await bearerFor(tenant))
      .send({
        entity_id: 'client_123',
        entity_type: 'customer',
        time_from: '2025-06-21T04:20:00Z',
        time_to: '2025-06-22T04:00:00Z',
        force_rerun: false,
      });
    expect(response.status).toBe(202);
    orchestrator.startedWorkflows.push(response.body.workflow_id);
    expect(response.body).toEqual({
      workflow_id: expect.stringContaining(tenant.tenantId),
      run_id: expect.any(String),
      time_from: '2025-06-21T04:00:00.000Z',
      time_to: '2025-06-22T04:00:00.000Z',
      windows: 24,
    });
    expect(await startedInput(response.body.workflow_id)).toEqual({
      tenantId: tenant.tenantId,
      environmentId: tenant.environmentId,
      timeFrom: '2025-06-21T04:00:00.000Z',
      timeTo: '2025-06-22T04:00:00.000Z',
      windowMinutes: 60,
      customerId: 'client_123',
      forceRerun: false,
      trigger: 'manual',
    });
  });

  it('uses the tenant’s aggregation window and defaults force_rerun to false', async () => {
    const tenant = await configured(15);
    const response = await orchestrator.http
      .post('/v1/stripe/sync/manual')
      .set('Authorization', await bearerFor(tenant))
      .send({ time_from: '2025-06-21T04:00:00Z', time_to: '2025-06-21T05:00:00Z' });
    expect(response.status).toBe(202);
    orchestrator.startedWorkflows.push(response.body.workflow_id);
    expect(response.body.windows).toBe(4);
    const input = await startedInput(response.body.workflow_id);
    expect(input.windowMinutes).toBe(15);
    expect(input.forceRerun).toBe(false);
    expect(input.customerId).toBeUndefined();
  });

  it('answers 404 when the tenant has no Stripe config, and 401 without a token', async () => {
    const tenant = uniqueTenant('noconfig');
    const body = { time_from: '2025-06-21T04:00:00Z', time_to: '2025-06-21T05:00:00Z' };
    const missing = await orchestrator.http
      .post('/v1/stripe/sync/manual')
      .set('Authorization', await bearerFor(tenant))
      .send(body);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('CONFIG.NOT_FOUND');
    const anonymous = await orchestrator.http.post('/v1/stripe/sync/manual').send(body);
    expect(anonymous.status).toBe(401);
  });

  const valid = { time_from: '2025-06-21T04:00:00Z', time_to: '2025-06-21T05:00:00Z' };
  it.each([
    ['missing time_from', { time_to: valid.time_to }, 'time_from'],
    ['time_from not an instant', { ...valid, time_from: 'yesterday' }, 'time_from'],
    ['time_to without a time zone', { ...valid, time_to: '2025-06-21T05:00:00' }, 'time_to'],
    ['time_from after time_to', { time_from: valid.time_to, time_to: valid.time_from }, 'time_from'],
    ['a range longer than 35 days', { time_from: '2025-01-01T00:00:00Z', time_to: '2025-03-01T00:00:00Z' }, 'time_to'],
    ['an unknown entity_type', { ...valid, entity_type: 'invoice' }, 'entity_type'],
    ['an entity_id with SQL in it', { ...valid, entity_id: "x'; DROP TABLE x; --" }, 'entity_id'],
    ['a huge entity_id', { ...valid, entity_id: 'c'.repeat(100_00) }, 'entity_id'],
    ['force_rerun as a string', { ...valid, force_rerun: 'yes' }, 'force_rerun'],
    ['an unknown field', { ...valid, tenant_id: 'someone-else' }, 'tenant_id'],
  ])('rejects %s with 400 naming the field', async (_case, body, field) => {
    const tenant = await configured();
    const response = await orchestrator.http
      .post('/v1/stripe/sync/manual')
      .set('Authorization', await bearerFor(tenant))
      .send(body);
    expect(response.status).toBe(400);
    expect(response.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  });

  it('rejects malformed JSON with 400 and never echoes the body', async () => {
    const tenant = await configured();
    const response = await orchestrator.http
      .post('/v1/stripe/sync/manual')
      .set('Authorization', await bearerFor(tenant))
      .set('Content-Type', 'application/json')
      .send('{"time_from": secret-ish');
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('REQUEST.MALFORMED_JSON');
    expect(JSON.stringify(response.body)).not.toContain('secret-ish');
  });

  it('gives every run its own workflow id', async () => {
    const tenant = await configured();
    const ids = new Set<string>();
    for (let i = 0; i < 2; i += 1) {
      const response = await orchestrator.http
        .post('/v1/stripe/sync/manual')
        .set('Authorization', await bearerFor(tenant))
        .send(valid);
      orchestrator.startedWorkflows.push(response.body.workflow_id);
      ids.add(response.body.workflow_id);
    }
    expect(ids.size).toBe(2);
  });
});
