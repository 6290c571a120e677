import { errorOf, rawStripeCall } from './raw-stripe-call';
import { DEFAULT_STRIPE_EMULATOR_KEY, type RunningStripeEmulator, startStripeEmulator } from './stripe-emulator';

describe('stripe emulator: accounts and authentication', () => {
  let emulator: RunningStripeEmulator;

  beforeEach(async () => {
    emulator = await startStripeEmulator();
  });

  afterEach(async () => {
    await emulator.close();
  });

  it('answers the admin health check', async () => {
    const response = await rawStripeCall(emulator.url, { path: '/__admin/health' });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('starts with one account answering to the default key', () => {
    expect(emulator.accounts()).toEqual([
      expect.objectContaining({ id: 'acct_flexsync_default', apiKeys: [DEFAULT_STRIPE_EMULATOR_KEY] }),
    ]);
  });

  it("returns Stripe's balance object for a known key", async () => {
    const response = await rawStripeCall(emulator.url, { path: '/v1/balance', apiKey: DEFAULT_STRIPE_EMULATOR_KEY });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ object: 'balance', livemode: false, available: [{ amount: 0, currency: 'usd' }] });
  });

  it('accepts the key through HTTP basic auth as curl -u sends it', async () => {
    const response = await rawStripeCall(emulator.url, {
      path: '/v1/balance',
      headers: { Authorization: `Basic ${Buffer.from(`${DEFAULT_STRIPE_EMULATOR_KEY}:`).toString('base64')}` },
    });

    expect(response.status).toBe(200);
  });

  it('rejects a request without a key with 401', async () => {
    const response = await rawStripeCall(emulator.url, { path: '/v1/balance' });

    expect(response.status).toBe(401);
    expect(errorOf(response)).toMatchObject({ type: 'invalid_request_error' });
    expect(response.headers.get('request-id')).toMatch(/^req_/);
  });

  it('rejects an unknown key with 401 and does not echo the key in full', async () => {
    const unknownKey = ['sk', 'test', 'notARealKey1234567890wxyz'].join('_');
    const response = await rawStripeCall(emulator.url, { path: '/v1/balance', apiKey: unknownKey });

    expect(response.status).toBe(401);
    expect(String(errorOf(response)['message'])).toMatch(/^Invalid API Key provided: sk_test_\*+wxyz$/);
    expect(JSON.stringify(response.body)).not.toContain(unknownKey);
  });

  it('answers an unknown URL with 404 once the key is known', async () => {
    const response = await rawStripeCall(emulator.url, { path: '/v1/charges_of_the_light_brigade', apiKey: DEFAULT_STRIPE_EMULATOR_KEY });

    expect(response.status).toBe(404);
    expect(String(errorOf(response)['message'])).toContain('Unrecognized request URL');
  });

  it('keeps the data of accounts apart', async () => {
    emulator.addAccount({ apiKeys: ['sk_test_tenant_a'], meters: [{ eventName: 'api_calls' }] });
    emulator.addAccount({ apiKeys: ['sk_test_tenant_b'], meters: [{ eventName: 'api_calls' }] });
    await rawStripeCall(emulator.url, {
      path: '/v1/billing/meter_events',
      apiKey: 'sk_test_tenant_a',
      form: { event_name: 'api_calls', 'payload[stripe_customer_id]': 'cus_1', 'payload[value]': '2' },
    });

    const metersOfB = await rawStripeCall(emulator.url, { path: '/v1/billing/meters', apiKey: 'sk_test_tenant_b' });

    expect(emulator.meterEvents({ account: 'sk_test_tenant_a' })).toHaveLength(1);
    expect(emulator.meterEvents({ account: 'acct_tenant_b' })).toHaveLength(0);
    expect(emulator.totals('acct_tenant_a')).toEqual([
      expect.objectContaining({ accountId: 'acct_tenant_a', customer: 'cus_1', total: 2 }),
    ]);
    expect(metersOfB.body['data']).toHaveLength(1);
  });

  it('refuses to give one key to two accounts', () => {
    emulator.addAccount({ id: 'acct_one', apiKeys: ['sk_test_contested'] });

    expect(() => emulator.addAccount({ id: 'acct_two', apiKeys: ['sk_test_contested'] })).toThrow(/already belongs/);
  });
});
