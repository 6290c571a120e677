import { errorOf, rawStripeCall, type RawStripeResponse } from './raw-stripe-call';
import { type RunningStripeEmulator, startStripeEmulator } from './stripe-emulator';

const KEY = 'sk_test_stream';
const NOW_MS = Date.UTC(2026, 10, 1, 12, 0, 0);

describe('stripe emulator: v2 meter event stream', () => {
  let emulator: RunningStripeEmulator;

  beforeEach(async () => {
    emulator = await startStripeEmulator({
      now: () => NOW_MS,
      accounts: [{ apiKeys: [KEY], meters: [{ eventName: 'api_calls' }] }],
    });
  });

  afterEach(async () => {
    await emulator.close();
  });

  async function openSession(): Promise<string> {
    const response = await rawStripeCall(emulator.url, { path: '/v2/billing/meter_event_session', apiKey: KEY, json: {} });
    return String(response.body['authentication_token']);
  }

  function stream(token: string, events: unknown[]): Promise<RawStripeResponse> {
    return rawStripeCall(emulator.url, { path: '/v2/billing/meter_event_stream', apiKey: token, json: { events } });
  }

  function event(identifier: string, value = '1'): Record<string, unknown> {
    return {
      event_name: 'api_calls',
      identifier,
      timestamp: new Date(NOW_MS - 60_000).toISOString(),
      payload: { stripe_customer_id: 'cus_A', value },
    };
  }

  it('creates a session whose token lives 15 minutes', async () => {
    const response = await rawStripeCall(emulator.url, { path: '/v2/billing/meter_event_session', apiKey: KEY, json: {} });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: expect.stringMatching(/^mes_/),
      object: 'v2.billing.meter_event_session',
      authentication_token: expect.stringMatching(/^mes_tok_/),
      created: new Date(NOW_MS).toISOString(),
      expires_at: new Date(NOW_MS + 15 * 60_000).toISOString(),
      livemode: false,
    });
  });

  it('accepts up to 100 events per request, authenticated by the session token', async () => {
    const token = await openSession();
    const events = Array.from({ length: 100 }, (_, index) => event(`s-${index}`, '2'));

    const response = await stream(token, events);

    expect(response.status).toBe(202);
    expect(response.body).toEqual({});
    expect(emulator.meterEvents()).toHaveLength(100);
    expect(emulator.meterEvents()[0]).toMatchObject({ source: 'v2_stream', timestamp: NOW_MS / 1000 - 60 });
    expect(emulator.totals(KEY)).toEqual([expect.objectContaining({ total: 200, eventCount: 100 })]);
  });

  it('rejects more than 100 events in one request', async () => {
    const token = await openSession();

    const response = await stream(token, Array.from({ length: 101 }, (_, index) => event(`t-${index}`)));

    expect(response.status).toBe(400);
    expect(emulator.meterEvents()).toHaveLength(0);
  });

  it('answers 401 temporary_session_expired once the token is older than 15 minutes', async () => {
    const token = await openSession();
    emulator.advanceClock(15 * 60_000);

    const response = await stream(token, [event('late')]);

    expect(response.status).toBe(401);
    expect(errorOf(response)).toMatchObject({
      type: 'temporary_session_expired',
      code: 'billing_meter_event_session_expired',
    });
  });

  it('refuses a secret key where a session token is required', async () => {
    const response = await stream(KEY, [event('wrong-auth')]);

    expect(response.status).toBe(401);
  });

  it('accepts the request but drops and reports events that fail validation, as Stripe does asynchronously', async () => {
    const token = await openSession();
    await stream(token, [event('dup')]);

    const response = await stream(token, [
      event('dup'),
      event('fraction', '2.5'),
      { ...event('no-meter'), event_name: 'unknown_meter' },
      event('fine', '7'),
    ]);

    expect(response.status).toBe(202);
    expect(emulator.totals(KEY)).toEqual([expect.objectContaining({ total: 8, eventCount: 2 })]);
    expect(emulator.streamRejections(KEY).map((rejection) => rejection.code)).toEqual([
      'duplicate_meter_event',
      'meter_event_invalid_value',
      'no_meter',
    ]);
  });

  it('rejects a malformed event synchronously', async () => {
    const token = await openSession();

    const response = await stream(token, [{ event_name: 'api_calls', payload: { value: 3 } }]);

    expect(response.status).toBe(400);
    expect(errorOf(response)).toMatchObject({ type: 'invalid_request_error' });
  });
});
