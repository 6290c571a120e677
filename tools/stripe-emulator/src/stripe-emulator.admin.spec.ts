import { rawStripeCall } from './raw-stripe-call';
import { type RunningStripeEmulator, startStripeEmulator } from './stripe-emulator';

const KEY = 'sk_test_admin';

describe('stripe emulator: admin API', () => {
  let emulator: RunningStripeEmulator;

  beforeEach(async () => {
    emulator = await startStripeEmulator({ accounts: [{ apiKeys: [KEY], meters: [{ eventName: 'api_calls' }] }] });
  });

  afterEach(async () => {
    await emulator.close();
  });

  async function sendEvent(identifier: string, value: string, idempotencyKey?: string): Promise<void> {
    await rawStripeCall(emulator.url, {
      path: '/v1/billing/meter_events',
      apiKey: KEY,
      ...(idempotencyKey === undefined ? {} : { headers: { 'Idempotency-Key': idempotencyKey } }),
      form: { event_name: 'api_calls', 'payload[stripe_customer_id]': 'cus_A', 'payload[value]': value, identifier },
    });
  }

  it('lists every accepted meter event of an account, by key or by account id', async () => {
    await sendEvent('a-1', '4', 'idem-a-1');
    await sendEvent('a-1', '4');

    const byKey = await rawStripeCall(emulator.url, { path: `/__admin/meter-events?account=${KEY}` });
    const byId = await rawStripeCall(emulator.url, { path: '/__admin/meter-events?account=acct_admin' });

    expect(byKey.body['data']).toEqual([
      expect.objectContaining({
        accountId: 'acct_admin',
        identifier: 'a-1',
        eventName: 'api_calls',
        customer: 'cus_A',
        value: '4',
        timestamp: expect.any(Number),
        idempotencyKey: 'idem-a-1',
      }),
    ]);
    expect(byId.body).toEqual(byKey.body);
  });

  it('reports totals per customer and event name without cancelled events', async () => {
    await sendEvent('t-1', '4');
    await sendEvent('t-2', '6');
    await rawStripeCall(emulator.url, {
      path: '/v1/billing/meter_event_adjustments',
      apiKey: KEY,
      form: { event_name: 'api_calls', type: 'cancel', 'cancel[identifier]': 't-2' },
    });

    const totals = await rawStripeCall(emulator.url, { path: '/__admin/totals' });
    const withCancelled = await rawStripeCall(emulator.url, { path: '/__admin/meter-events?include_cancelled=true' });

    expect(totals.body['data']).toEqual([
      { accountId: 'acct_admin', customer: 'cus_A', eventName: 'api_calls', total: 4, totalExact: '4', eventCount: 1 },
    ]);
    expect(withCancelled.body['data']).toHaveLength(2);
  });

  it('logs requests with counts of the rejected ones', async () => {
    await sendEvent('r-1', '1');
    await sendEvent('r-1', '1');
    await rawStripeCall(emulator.url, { path: '/v1/balance', apiKey: 'sk_test_wrong' });

    const log = await rawStripeCall(emulator.url, { path: '/__admin/requests?path_prefix=/v1/billing' });
    const all = await rawStripeCall(emulator.url, { path: '/__admin/requests' });

    expect(log.body['counts']).toEqual({ total: 2, accepted: 1, rejected: 1, dropped: 0, byStatus: { '200': 1, '400': 1 } });
    expect(log.body['data']).toEqual([
      expect.objectContaining({ method: 'POST', path: '/v1/billing/meter_events', status: 200, accountId: 'acct_admin' }),
      expect.objectContaining({ status: 400, errorType: 'invalid_request_error' }),
    ]);
    expect(all.body['counts']).toMatchObject({ total: 3, rejected: 2 });
  });

  it('keeps exactly the newest requests up to its log limit, in order, and counts every request', async () => {
    await emulator.close();
    emulator = await startStripeEmulator({ accounts: [{ apiKeys: [KEY], meters: [{ eventName: 'api_calls' }] }], requestLogLimit: 5 });
    for (let n = 0; n < 27; n += 1) await sendEvent(`l-${n}`, '1');
    for (let n = 0; n < 3; n += 1) await rawStripeCall(emulator.url, { path: '/v1/balance', apiKey: 'sk_test_wrong' });

    const all = await rawStripeCall(emulator.url, { path: '/__admin/requests' });
    const log = all.body['data'] as { path: string; status: number }[];
    expect(log.map((entry) => `${entry.path} ${entry.status}`)).toEqual([
      '/v1/billing/meter_events 200',
      '/v1/billing/meter_events 200',
      '/v1/balance 401',
      '/v1/balance 401',
      '/v1/balance 401',
    ]);
    expect(all.body['counts']).toMatchObject({ total: 30, accepted: 27, rejected: 3 });
  });

  it('adds accounts with meters at run time', async () => {
    const added = await rawStripeCall(emulator.url, {
      path: '/__admin/accounts',
      json: { id: 'acct_tenant_x', apiKeys: ['sk_test_tenant_x'], meters: [{ eventName: 'tokens', formula: 'sum' }] },
    });
    const meters = await rawStripeCall(emulator.url, { path: '/v1/billing/meters', apiKey: 'sk_test_tenant_x' });

    expect(added.status).toBe(200);
    expect(meters.body['data']).toEqual([expect.objectContaining({ event_name: 'tokens', status: 'active' })]);
  });

  it('adds a meter to an existing account', async () => {
    const added = await rawStripeCall(emulator.url, {
      path: '/__admin/meters',
      json: { account: KEY, eventName: 'storage_gb', displayName: 'Storage' },
    });

    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ object: 'billing.meter', event_name: 'storage_gb', display_name: 'Storage' });
  });

  it('rejects an account without keys', async () => {
    const response = await rawStripeCall(emulator.url, { path: '/__admin/accounts', json: { id: 'acct_nokeys' } });

    expect(response.status).toBe(400);
  });

  it('resets to the start configuration', async () => {
    await sendEvent('x-1', '1');
    emulator.addAccount({ apiKeys: ['sk_test_transient'] });
    emulator.injectFault({ kind: 'status', status: 500 });

    const reset = await rawStripeCall(emulator.url, { path: '/__admin/reset', json: {} });

    expect(reset.status).toBe(200);
    expect(emulator.meterEvents()).toEqual([]);
    expect(emulator.requestCounts().total).toBe(0);
    expect(emulator.faults()).toEqual([]);
    expect(emulator.accounts().map((account) => account.id)).toEqual(['acct_admin']);
    expect((await rawStripeCall(emulator.url, { path: '/v1/balance', apiKey: KEY })).status).toBe(200);
  });

  it('moves the emulated clock forward', async () => {
    const before = emulator.now();
    const response = await rawStripeCall(emulator.url, { path: '/__admin/clock', json: { advanceMs: 60_000 } });

    expect(response.body['offsetMs']).toBe(60_000);
    expect(emulator.now() - before).toBeGreaterThanOrEqual(60_000);
  });

  it('answers 404 for an unknown admin endpoint', async () => {
    const response = await rawStripeCall(emulator.url, { path: '/__admin/nothing-here' });

    expect(response.status).toBe(404);
  });
});
