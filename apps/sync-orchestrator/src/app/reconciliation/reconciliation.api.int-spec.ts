import { rawStripeCall } from '@flexsync/stripe-emulator';
import type { ReconciliationResult } from '@flexsync/sync-contracts';
import { HOUR_MS, hourAgo, uniqueTenant, type TestTenant } from '@flexsync/testing';
import { bearerFor, operatorHeadersFor } from '../../testing/sync-orchestrator.harness';
import { ReconciliationStack } from '../../testing/reconciliation-stack';

const LAG_SECONDS = 1;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Issue 9 through the API: `POST /v1/stripe/sync/reconciliation` starts the reconciliation on a real sync worker
 * (real Postgres, ClickHouse, Temporal; the Stripe emulator, which ingests asynchronously like Stripe), and
 * `GET /v1/stripe/sync/reconciliation` reads the stored verdicts; the orchestrator's gauges show drift per tenant.
 */
describe('reconciliation API (GET/POST /v1/stripe/sync/reconciliation) on the real stack', () => {
  let stack: ReconciliationStack;

  beforeAll(async () => {
    stack = await ReconciliationStack.start({ ingestionLagSeconds: LAG_SECONDS, emulatorIngestionDelayMs: 300 });
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  });

  interface Seeded {
    tenant: TestTenant;
    apiKey: string;
    window: Date;
    auth: string;
    range: { time_from: string; time_to: string };
  }

  /** A tenant with one meter, two customers and usage 5 + 6 in the hour two hours ago. */
  async function seeded(label: string): Promise<Seeded> {
    const tenant = uniqueTenant(label);
    const { apiKey } = await stack.seedTenant(tenant, {
      meters: { meter_api: 'api_calls' },
      customers: { client_a: 'cus_a', client_b: 'cus_b' },
    });
    const window = hourAgo(2);
    await stack.insertUsage(tenant, [
      { customerId: 'client_a', meterId: 'meter_api', quantity: '5', at: window },
      { customerId: 'client_b', meterId: 'meter_api', quantity: '6', at: new Date(window.getTime() + 60_000) },
    ]);
    const range = { time_from: window.toISOString(), time_to: new Date(window.getTime() + HOUR_MS).toISOString() };
    return { tenant, apiKey, window, auth: await bearerFor(tenant), range };
  }

  async function sync(s: Seeded, customerId?: string): Promise<void> {
    const body = customerId === undefined ? s.range : { ...s.range, entity_id: customerId, entity_type: 'customer' };
    const started = await stack.orchestrator.http.post('/v1/stripe/sync/manual').set('Authorization', s.auth).send(body);
    expect(started.status).toBe(202);
    await stack.finished(started.body.workflow_id);
  }

  async function reconcile(s: Seeded, body: Record<string, unknown> = s.range): Promise<ReconciliationResult> {
    const started = await stack.orchestrator.http.post('/v1/stripe/sync/reconciliation').set('Authorization', s.auth).send(body);
    expect(started.status).toBe(202);
    return stack.finished<ReconciliationResult>(started.body.workflow_id);
  }

  async function read(s: Seeded, query: Record<string, string | number> = s.range) {
    return stack.orchestrator.http.get('/v1/stripe/sync/reconciliation').set('Authorization', s.auth).query(query);
  }

  async function ledger(s: Seeded): Promise<{ customer_id: string; sync_status: string; identifier: string; superseded_identifier: string | null }[]> {
    return stack.orchestrator.dataSource.query(
      `SELECT customer_id, sync_status, identifier, superseded_identifier FROM stripe_sync_batches
        WHERE tenant_id = $1 AND environment_id = $2 ORDER BY customer_id`,
      [s.tenant.tenantId, s.tenant.environmentId],
    );
  }

  async function forceUnknown(s: Seeded, customerId: string): Promise<void> {
    // What the pusher leaves for a push that may have reached Stripe once its first send is past the 24 h dedupe.
    await stack.orchestrator.dataSource.query(
      `UPDATE stripe_sync_batches
          SET sync_status = 'unknown', completed_at = NULL, next_attempt_at = NULL, outcome_uncertain = true,
              first_sent_at = now() - interval '25 hours', error_message = 'outcome unknown: test'
        WHERE tenant_id = $1 AND environment_id = $2 AND customer_id = $3`,
      [s.tenant.tenantId, s.tenant.environmentId, customerId],
    );
  }

  async function gauge(name: string, tenant: TestTenant): Promise<number | undefined> {
    const text = (await stack.orchestrator.http.get('/metrics')).text;
    const line = text
      .split('\n')
      .find((row) => row.startsWith(`${name}{`) && row.includes(`tenant_id="${tenant.tenantId}"`) && row.includes(`environment_id="${tenant.environmentId}"`));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  }

  it('reconciles a clean sync to all match through the API, with totals per status and the run on record', async () => {
    const s = await seeded('reconapi');
    await sync(s);
    await sleep(LAG_SECONDS * 1000 + 300);

    const result = await reconcile(s);
    const response = await read(s);

    expect(result).toMatchObject({ status: 'completed', totals: { match: 2, drift: 0, pending: 0, unknown_outcome: 0 } });
    expect(response.status).toBe(200);
    expect(response.body.totals).toEqual({ match: 2, drift: 0, pending: 0, unknown_outcome: 0 });
    expect(response.body.drift_units).toBe('0');
    expect(response.body.cells.map((cell: Record<string, unknown>) => [cell.customer_id, cell.status, cell.measured_value, cell.stripe_value, cell.difference])).toEqual([
      ['client_a', 'match', '5', '5', '0'],
      ['client_b', 'match', '6', '6', '0'],
    ]);
    expect(response.body.next_cursor).toBeNull();
    expect(response.body.last_run).toMatchObject({ trigger: 'api', status: 'completed', workflow_id: expect.stringContaining('stripe-reconciliation-api') });
    expect(await gauge('stripe_sync_drift_units', s.tenant)).toBeUndefined();
    // Delivered up to the end of the hour before last: the last hour's window closed undelivered at the top of this hour.
    const lag = await gauge('stripe_sync_window_lag_seconds', s.tenant);
    expect(Math.abs((lag ?? 0) - (Date.now() - hourAgo(0).getTime()) / 1000)).toBeLessThan(10);
  });

  it('shows an event sent to Stripe outside the pipeline as drift with the exact signed difference, in the API and the gauge', async () => {
    const s = await seeded('reconapidrift');
    await sync(s);
    const injected = await rawStripeCall(stack.emulator.url, {
      path: '/v1/billing/meter_events',
      apiKey: s.apiKey,
      form: {
        event_name: 'api_calls',
        identifier: 'outside-the-pipeline',
        timestamp: String(Math.floor(s.window.getTime() / 1000) + 120),
        'payload[stripe_customer_id]': 'cus_a',
        'payload[value]': '7',
      },
    });
    await sleep(LAG_SECONDS * 1000 + 300);

    await reconcile(s);
    const response = await read(s);

    expect(injected.status).toBe(200);
    expect(response.body.totals).toEqual({ match: 1, drift: 1, pending: 0, unknown_outcome: 0 });
    expect(response.body.cells[0]).toMatchObject({
      customer_id: 'client_a',
      status: 'drift',
      measured_value: '5',
      delivered_value: '5',
      stripe_value: '12',
      difference: '7',
      unexplained: '7',
    });
    expect(response.body.drift_units).toBe('7');
    expect(await gauge('stripe_sync_drift_units', s.tenant)).toBe(7);
    // Drift the ledger cannot explain is reported only: nothing was re-sent or changed.
    expect((await ledger(s)).map((row) => row.sync_status)).toEqual(['completed', 'completed']);
    expect(stack.emulator.totals(s.apiKey).map((total) => [total.customer, total.totalExact])).toEqual(
      expect.arrayContaining([
        ['cus_a', '12'],
        ['cus_b', '6'],
      ]),
    );
  });

  it('settles unknown rows both ways: Stripe counted one (completed), missed the other (re-sent once under a new identifier)', async () => {
    const s = await seeded('reconapiunknown');
    await sync(s, 'client_a');
    // client_b's push never reaches Stripe: the connection drops before it is handled, on every attempt.
    const drop = stack.emulator.injectFault({ kind: 'drop', account: s.apiKey, pathPrefix: '/v1/billing/meter_events' });
    await sync(s, 'client_b');
    stack.emulator.removeFault(drop.id);
    const before = await ledger(s);
    await forceUnknown(s, 'client_a');
    await forceUnknown(s, 'client_b');
    await sleep(LAG_SECONDS * 1000 + 300);
    const unknownBefore = await gauge('stripe_sync_unknown_outcomes', s.tenant);

    const first = await reconcile(s);
    const after = await ledger(s);
    await sleep(LAG_SECONDS * 1000 + 300);
    await reconcile(s);
    const response = await read(s);

    expect(before.map((row) => row.sync_status)).toEqual(['completed', 'failed']);
    expect(unknownBefore).toBe(2);
    expect(await gauge('stripe_sync_unknown_outcomes', s.tenant)).toBeUndefined();
    expect(first).toMatchObject({ settledCompleted: 1, reidentified: 1, resendWorkflowId: expect.stringContaining('-resend') });
    expect(after[0]).toMatchObject({ customer_id: 'client_a', sync_status: 'completed', superseded_identifier: null });
    expect(after[1]).toMatchObject({ customer_id: 'client_b', sync_status: 'completed', superseded_identifier: before[1].identifier });
    expect(after[1].identifier).not.toBe(before[1].identifier);
    expect(
      stack.emulator
        .meterEvents({ account: s.apiKey })
        .map((event) => event.identifier)
        .sort(),
    ).toEqual([after[0].identifier, after[1].identifier].sort());
    expect(response.body.totals).toEqual({ match: 2, drift: 0, pending: 0, unknown_outcome: 0 });
    expect(response.body.last_run).toMatchObject({ settled_completed: 0, reidentified: 0 });
  });

  it('pages the cells with next_cursor while the totals cover the whole range, and filters by customer and meter', async () => {
    const s = await seeded('reconapipages');
    await sync(s);
    await sleep(LAG_SECONDS * 1000 + 300);
    await reconcile(s);

    const first = await read(s, { ...s.range, limit: 1 });
    const second = await read(s, { ...s.range, limit: 1, cursor: first.body.next_cursor });
    const onlyB = await read(s, { ...s.range, customer_id: 'client_b', meter_id: 'meter_api' });
    const asOperator = await stack.orchestrator.http
      .get('/v1/stripe/sync/reconciliation')
      .set(await operatorHeadersFor(s.tenant))
      .query(s.range);
    const otherTenant = await stack.orchestrator.http
      .get('/v1/stripe/sync/reconciliation')
      .set('Authorization', (await seeded('reconapiother')).auth)
      .query(s.range);

    expect(first.body.cells.map((cell: { customer_id: string }) => cell.customer_id)).toEqual(['client_a']);
    expect(first.body.totals).toEqual({ match: 2, drift: 0, pending: 0, unknown_outcome: 0 });
    expect(second.body.cells.map((cell: { customer_id: string }) => cell.customer_id)).toEqual(['client_b']);
    expect(second.body.next_cursor).toBeNull();
    expect(onlyB.body.cells.map((cell: { customer_id: string }) => cell.customer_id)).toEqual(['client_b']);
    expect(onlyB.body.totals).toEqual({ match: 1, drift: 0, pending: 0, unknown_outcome: 0 });
    expect(asOperator.status).toBe(200);
    expect(asOperator.body.totals.match).toBe(2);
    expect(otherTenant.body.cells).toEqual([]);
  });

  it.each([
    ['a range over 35 days', { time_from: '2025-01-01T00:00:00Z', time_to: '2025-02-05T00:00:01Z' }, 'time_to'],
    ['time_from after time_to', { time_from: '2025-01-02T00:00:00Z', time_to: '2025-01-01T00:00:00Z' }, 'time_from'],
    ['a malformed date', { time_from: '2025-13-01T00:00:00Z', time_to: '2025-01-02T00:00:00Z' }, 'time_from'],
    ['a date with an offset', { time_from: '2025-01-01T00:00:00+02:00', time_to: '2025-01-02T00:00:00Z' }, 'time_from'],
    ['a missing time_to', { time_from: '2025-01-01T00:00:00Z' }, 'time_to'],
    ['a date before any usage', { time_from: '0000-01-01T00:00:00Z', time_to: '0000-01-02T00:00:00Z' }, 'time_from'],
    ['a range ending over a day ahead', { time_from: '2999-01-01T00:00:00Z', time_to: '2999-01-02T00:00:00Z' }, 'time_to'],
    ['an unknown meter', { time_from: '2025-01-01T00:00:00Z', time_to: '2025-01-02T00:00:00Z', meter_id: 'meter_nope' }, 'meter_id'],
    ['a malformed customer id', { time_from: '2025-01-01T00:00:00Z', time_to: '2025-01-02T00:00:00Z', customer_id: 'bad id' }, 'customer_id'],
  ])('answers 400 naming the field for %s, on GET and POST', async (_case, body, field) => {
    const s = await seeded('reconapibad');
    const get = await read(s, body as Record<string, string>);
    const post = await stack.orchestrator.http.post('/v1/stripe/sync/reconciliation').set('Authorization', s.auth).send(body);

    for (const response of [get, post]) {
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: expect.any(String), message: expect.any(String) });
      expect(response.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    }
  });

  it('answers 400 for a cursor that is not a next_cursor value', async () => {
    const s = await seeded('reconapicursor');
    const response = await read(s, { ...s.range, cursor: 'bm90LWEtY3Vyc29y' });

    expect(response.status).toBe(400);
    expect(response.body.details).toEqual([{ field: 'cursor', reason: 'not a next_cursor value' }]);
  });
});
