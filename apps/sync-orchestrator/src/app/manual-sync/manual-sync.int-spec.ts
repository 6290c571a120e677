import { STRIPE_EVENT_SYNC_WORKFLOW, STRIPE_SYNC_TASK_QUEUE, StripeEventSyncInput } from '@flexsync/sync-contracts';
import { TestTenant, uniqueTenant } from '@flexsync/testing';
import { bearerFor, RunningOrchestrator, startOrchestrator } from '../../testing/sync-orchestrator.harness';

const HOUR_MS = 3_600_000;
/** Whole hours before now, so ranges stay inside Stripe's 35-day limit whenever the suite runs. */
function hoursAgo(hours: number, plusMinutes = 0): string {
  const hour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
  return new Date(hour - hours * HOUR_MS + plusMinutes * 60_000).toISOString();
}
function instant(iso: string): string {
  return iso.replace('.000Z', 'Z');
}

describe('POST /v1/stripe/sync/manual (real Temporal and Postgres)', () => {
  let orchestrator: RunningOrchestrator;

  beforeAll(async () => {
    orchestrator = await startOrchestrator({ STRIPE_MANUAL_SYNC_MAX_RUNNING: '2' });
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

  async function configuredAs(tenant: TestTenant): Promise<TestTenant> {
    await orchestrator.dataSource.query(
      `INSERT INTO stripe_tenant_configs (tenant_id, environment_id, api_key_ciphertext, api_key_key_id, api_key_masked, sync_enabled, aggregation_window_minutes)
       VALUES ($1, $2, 'sealed', 'k1', 'sk_test_…abcd', true, 60)`,
      [tenant.tenantId, tenant.environmentId],
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
        time_from: instant(hoursAgo(48, 20)),
        time_to: instant(hoursAgo(24)),
        force_rerun: false,
      });
    expect(response.status).toBe(202);
    orchestrator.startedWorkflows.push(response.body.workflow_id);
    expect(response.body).toEqual({
      workflow_id: expect.stringContaining(tenant.tenantId),
      run_id: expect.any(String),
      time_from: hoursAgo(48),
      time_to: hoursAgo(24),
      windows: 24,
    });
    expect(await startedInput(response.body.workflow_id)).toEqual({
      tenantId: tenant.tenantId,
      environmentId: tenant.environmentId,
      timeFrom: hoursAgo(48),
      timeTo: hoursAgo(24),
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
      .send({ time_from: instant(hoursAgo(5)), time_to: instant(hoursAgo(4)) });
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
    const body = { time_from: instant(hoursAgo(5)), time_to: instant(hoursAgo(4)) };
    const missing = await orchestrator.http
      .post('/v1/stripe/sync/manual')
      .set('Authorization', await bearerFor(tenant))
      .send(body);
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('CONFIG.NOT_FOUND');
    const anonymous = await orchestrator.http.post('/v1/stripe/sync/manual').send(body);
    expect(anonymous.status).toBe(401);
  });

  const valid = { time_from: instant(hoursAgo(5)), time_to: instant(hoursAgo(4)) };
  it.each([
    ['missing time_from', { time_to: valid.time_to }, 'time_from'],
    ['time_from not an instant', { ...valid, time_from: 'yesterday' }, 'time_from'],
    ['time_to without a time zone', { ...valid, time_to: '2025-06-21T05:00:00' }, 'time_to'],
    ['time_from after time_to', { time_from: valid.time_to, time_to: valid.time_from }, 'time_from'],
    ['time_from equal to time_to', { time_from: valid.time_from, time_to: valid.time_from }, 'time_from'],
    ['time_from beyond Stripe’s 35-day limit', { time_from: instant(hoursAgo(36 * 24)), time_to: valid.time_to }, 'time_from'],
    ['time_from with a non-UTC offset', { ...valid, time_from: valid.time_from.replace('Z', '+02:00') }, 'time_from'],
    ['time_to on a day that does not exist', { ...valid, time_to: '2026-02-30T00:00:00Z' }, 'time_to'],
    ['time_to with an hour 24', { ...valid, time_to: valid.time_to.replace(/T\d{2}/, 'T24') }, 'time_to'],
    ['time_from as a number', { ...valid, time_from: 1_750_000_000 }, 'time_from'],
    ['an unknown entity_type', { ...valid, entity_type: 'invoice' }, 'entity_type'],
    ['an entity_id with an unknown entity_type', { ...valid, entity_id: 'client_1', entity_type: 'meter' }, 'entity_type'],
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

  it('refuses a range starting beyond Stripe’s 35-day limit less the pipeline’s margin with 400 naming the limit, starting nothing', async () => {
    const tenant = await configured(15);
    // Half an hour inside 35 days: the first 15-minute window ends inside the pipeline's 1 h safety margin, so Stripe
    // could refuse it by the time it is sent.
    const insideTheMargin = new Date(Math.floor((Date.now() - 35 * 24 * HOUR_MS + 30 * 60_000) / 60_000) * 60_000);
    const response = await orchestrator.http
      .post('/v1/stripe/sync/manual')
      .set('Authorization', await bearerFor(tenant))
      .send({ time_from: instant(insideTheMargin.toISOString()), time_to: instant(hoursAgo(34 * 24)) });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('SYNC.INVALID_WINDOW');
    expect(response.body.details).toEqual([{ field: 'time_from', reason: expect.stringContaining('35-day') }]);
    expect(response.body.details[0].reason).toContain('margin');
    const mine = [];
    for await (const execution of orchestrator.temporal.workflow.list({ query: `StartTime > '${hoursAgo(1)}'` })) {
      if (execution.workflowId.includes(tenant.tenantId)) mine.push(execution.workflowId);
    }
    expect(mine).toEqual([]);
    const recorded = await orchestrator.dataSource.query('SELECT 1 FROM stripe_manual_sync_runs WHERE tenant_id = $1', [tenant.tenantId]);
    expect(recorded).toEqual([]);

    const inside = await orchestrator.http
      .post('/v1/stripe/sync/manual')
      .set('Authorization', await bearerFor(tenant))
      .send({ time_from: instant(hoursAgo(35 * 24 - 3)), time_to: instant(hoursAgo(34 * 24)) });
    expect(inside.status).toBe(202);
    orchestrator.startedWorkflows.push(inside.body.workflow_id);
  });

  it('starts one workflow for identical manual syncs posted concurrently; the others answer with its ids', async () => {
    const tenant = await configured();
    const auth = await bearerFor(tenant);
    const body = { entity_id: 'client_1', entity_type: 'customer', time_from: valid.time_from, time_to: valid.time_to, force_rerun: true };
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => orchestrator.http.post('/v1/stripe/sync/manual').set('Authorization', auth).send(body)),
    );
    expect(responses.map((r) => r.status)).toEqual([202, 202, 202, 202, 202, 202]);
    orchestrator.startedWorkflows.push(responses[0].body.workflow_id);
    expect(new Set(responses.map((r) => `${r.body.workflow_id} ${r.body.run_id}`)).size).toBe(1);

    // A different force flag, entity or range is a different sync.
    const forced = await orchestrator.http
      .post('/v1/stripe/sync/manual')
      .set('Authorization', auth)
      .send({ ...body, force_rerun: false });
    expect(forced.status).toBe(202);
    orchestrator.startedWorkflows.push(forced.body.workflow_id);
    expect(forced.body.workflow_id).not.toBe(responses[0].body.workflow_id);
  });

  it('derives workflow ids that cannot collide between tenants whose ids join to the same text', async () => {
    const a = await configuredAs({ tenantId: `tenant_a-b_${Date.now()}`, environmentId: 'c' });
    const b = await configuredAs({ tenantId: `tenant_a`, environmentId: `b_${Date.now()}-c` });
    const ids = [];
    for (const tenant of [a, b]) {
      const response = await orchestrator.http
        .post('/v1/stripe/sync/manual')
        .set('Authorization', await bearerFor(tenant))
        .send(valid);
      expect(response.status).toBe(202);
      orchestrator.startedWorkflows.push(response.body.workflow_id);
      ids.push(response.body.workflow_id);
    }
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('caps running manual syncs per tenant and environment with 429 and Retry-After, and admits again once one ends', async () => {
    const tenant = await configured();
    const auth = await bearerFor(tenant);
    const ranges = [5, 6, 7].map((h) => ({ time_from: instant(hoursAgo(h)), time_to: instant(hoursAgo(h - 1)) }));
    const admitted = [];
    for (const range of ranges.slice(0, 2)) {
      const response = await orchestrator.http.post('/v1/stripe/sync/manual').set('Authorization', auth).send(range);
      expect(response.status).toBe(202);
      orchestrator.startedWorkflows.push(response.body.workflow_id);
      admitted.push(response.body.workflow_id as string);
    }
    const refused = await orchestrator.http.post('/v1/stripe/sync/manual').set('Authorization', auth).send(ranges[2]);
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('SYNC.TOO_MANY_RUNNING');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

    // Another tenant is not held up by this one's cap, and re-posting a running sync is not a new one.
    const other = await configured();
    const elsewhere = await orchestrator.http
      .post('/v1/stripe/sync/manual')
      .set('Authorization', await bearerFor(other))
      .send(ranges[2]);
    expect(elsewhere.status).toBe(202);
    orchestrator.startedWorkflows.push(elsewhere.body.workflow_id);
    const again = await orchestrator.http.post('/v1/stripe/sync/manual').set('Authorization', auth).send(ranges[0]);
    expect([again.status, again.body.workflow_id]).toEqual([202, admitted[0]]);

    await orchestrator.temporal.workflow.getHandle(admitted[0]).terminate('test: frees a slot');
    const afterwards = await orchestrator.http.post('/v1/stripe/sync/manual').set('Authorization', auth).send(ranges[2]);
    expect(afterwards.status).toBe(202);
    orchestrator.startedWorkflows.push(afterwards.body.workflow_id);
  });
});
