import { errorOf, rawStripeCall, type RawStripeResponse } from './raw-stripe-call';
import { type RunningStripeEmulator, startStripeEmulator } from './stripe-emulator';

const KEY_A = 'sk_test_rate_a';
const KEY_B = 'sk_test_rate_b';
const FROZEN_NOW = Date.UTC(2026, 10, 1);

describe('stripe emulator: rate limits', () => {
  let emulator: RunningStripeEmulator;

  beforeEach(async () => {
    // A frozen clock keeps the bucket from refilling between calls, so counts are exact.
    emulator = await startStripeEmulator({
      now: () => FROZEN_NOW,
      rateLimitPerSecond: 5,
      accounts: [{ apiKeys: [KEY_A] }, { apiKeys: [KEY_B] }],
      meters: [{ eventName: 'api_calls' }],
    });
  });

  afterEach(async () => {
    await emulator.close();
  });

  async function sendMany(count: number, apiKey = KEY_A): Promise<RawStripeResponse[]> {
    const responses: RawStripeResponse[] = [];
    for (let index = 0; index < count; index += 1) {
      responses.push(
        await rawStripeCall(emulator.url, {
          path: '/v1/billing/meter_events',
          apiKey,
          form: {
            event_name: 'api_calls',
            'payload[stripe_customer_id]': 'cus_A',
            'payload[value]': '1',
            identifier: `${apiKey}-${emulator.meterEvents().length}-${index}`,
          },
        }),
      );
    }
    return responses;
  }

  it("answers 429 with Stripe's rate_limit error and headers once an account exceeds its per-second budget", async () => {
    const responses = await sendMany(8);

    expect(responses.map((response) => response.status)).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    const limited = responses[5] as RawStripeResponse;
    expect(errorOf(limited)).toMatchObject({ type: 'invalid_request_error', code: 'rate_limit' });
    expect(limited.headers.get('stripe-rate-limited-reason')).toBe('endpoint-rate');
    expect(limited.headers.get('request-id')).toMatch(/^req_/);
    expect(emulator.meterEvents()).toHaveLength(5);
    expect(emulator.requestCounts({ account: KEY_A })).toMatchObject({ total: 8, accepted: 5, rejected: 3, byStatus: { '200': 5, '429': 3 } });
  });

  it('limits each account on its own', async () => {
    await sendMany(6, KEY_A);
    const other = await sendMany(5, KEY_B);

    expect(other.every((response) => response.status === 200)).toBe(true);
  });

  it('refills the bucket as time passes', async () => {
    await sendMany(6);
    emulator.advanceClock(400);

    const after = await sendMany(3);

    expect(after.map((response) => response.status)).toEqual([200, 200, 429]);
  });

  it('does not count other endpoints against the meter event limit', async () => {
    await sendMany(5);

    const balance = await rawStripeCall(emulator.url, { path: '/v1/balance', apiKey: KEY_A });

    expect(balance.status).toBe(200);
  });

  it('changes the limit at run time through the admin API', async () => {
    const change = await rawStripeCall(emulator.url, { path: '/__admin/rate-limit', json: { perSecond: 2, account: KEY_A } });

    const responses = await sendMany(3);

    expect(change.status).toBe(200);
    expect(responses.map((response) => response.status)).toEqual([200, 200, 429]);
  });
});
