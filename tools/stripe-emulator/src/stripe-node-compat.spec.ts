import Stripe from 'stripe';
import { type RunningStripeEmulator, startStripeEmulator } from './stripe-emulator';

const KEY = 'sk_test_stripe_node';

/** What the official SDK needs to talk to a local server instead of api.stripe.com. */
function sdkFor(emulator: RunningStripeEmulator, maxNetworkRetries = 0, apiKey = KEY): Stripe {
  return new Stripe(apiKey, {
    host: emulator.host,
    port: emulator.port,
    protocol: 'http',
    maxNetworkRetries,
    timeout: 5_000,
  });
}

function thrownBy(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );
}

describe('stripe-node (official SDK) against the emulator', () => {
  let emulator: RunningStripeEmulator;
  const now = (): number => Math.floor(Date.now() / 1000);

  beforeEach(async () => {
    emulator = await startStripeEmulator({
      accounts: [{ apiKeys: [KEY], meters: [{ eventName: 'api_calls' }] }],
      ingestionDelayMs: 0,
    });
  });

  afterEach(async () => {
    await emulator.close();
  });

  it('works unchanged for balance, meters, meter events, adjustments, summaries and customers', async () => {
    const stripe = sdkFor(emulator);

    const balance = await stripe.balance.retrieve();
    const meter = await stripe.billing.meters.create({
      display_name: 'Tokens',
      event_name: 'tokens',
      default_aggregation: { formula: 'sum' },
      customer_mapping: { event_payload_key: 'stripe_customer_id', type: 'by_id' },
      value_settings: { event_payload_key: 'value' },
    });
    const meters = await stripe.billing.meters.list({ status: 'active', limit: 100 });
    const customer = await stripe.customers.create({ email: 'sdk@example.com', metadata: { flexprice_customer_id: 'fx_1' } });
    const hour = Math.floor(now() / 3600) * 3600;
    const event = await stripe.billing.meterEvents.create(
      { event_name: 'tokens', payload: { stripe_customer_id: customer.id, value: '12' }, identifier: 'sdk-1', timestamp: hour + 1 },
      { idempotencyKey: 'sdk-1' },
    );
    await stripe.billing.meterEvents.create({
      event_name: 'tokens',
      payload: { stripe_customer_id: customer.id, value: '5' },
      identifier: 'sdk-2',
      timestamp: hour + 2,
    });
    const adjustment = await stripe.billing.meterEventAdjustments.create({
      event_name: 'tokens',
      type: 'cancel',
      cancel: { identifier: 'sdk-2' },
    });
    const summaries = await stripe.billing.meters.listEventSummaries(meter.id, {
      customer: customer.id,
      start_time: hour,
      end_time: hour + 3600,
    });
    const fetchedCustomer = await stripe.customers.retrieve(customer.id);

    expect(balance.object).toBe('balance');
    expect(meters.data.map((entry) => entry.event_name).sort()).toEqual(['api_calls', 'tokens']);
    expect(event).toMatchObject({ object: 'billing.meter_event', identifier: 'sdk-1', payload: { value: '12' } });
    expect(adjustment).toMatchObject({ object: 'billing.meter_event_adjustment', cancel: { identifier: 'sdk-2' } });
    expect(summaries.data).toEqual([expect.objectContaining({ aggregated_value: 12 })]);
    expect(fetchedCustomer).toMatchObject({ id: customer.id, metadata: { flexprice_customer_id: 'fx_1' } });
    expect(emulator.meterEvents({ account: KEY })).toEqual([expect.objectContaining({ identifier: 'sdk-1', idempotencyKey: 'sdk-1' })]);
  });

  it('auto-paginates meters across pages', async () => {
    for (let index = 0; index < 25; index += 1) {
      emulator.addMeter(KEY, { eventName: `bulk_${index}` });
    }

    const all = await sdkFor(emulator).billing.meters.list({ limit: 10 }).autoPagingToArray({ limit: 1000 });

    expect(all).toHaveLength(26);
  });

  it("retries an injected 500 under the same Idempotency-Key and so only gets the saved 500 replayed", async () => {
    emulator.injectFault({ kind: 'status', status: 500, times: 1, pathPrefix: '/v1/billing/meter_events' });

    const failure = await sdkFor(emulator, 2)
      .billing.meterEvents.create({
        event_name: 'api_calls',
        payload: { stripe_customer_id: 'cus_retry', value: '3' },
        identifier: 'retry-1',
      })
      .catch((error: unknown) => error);

    const calls = emulator.requests({ pathPrefix: '/v1/billing/meter_events' });
    expect(failure).toMatchObject({ statusCode: 500 });
    expect(calls.map((call) => [call.status, call.replayed === true])).toEqual([
      [500, false],
      [500, true],
      [500, true],
    ]);
    expect(new Set(calls.map((call) => call.idempotencyKey)).size).toBe(1);
    expect(calls[0]?.idempotencyKey).toMatch(/^stripe-node-retry-/);
    expect(emulator.totals(KEY)).toEqual([]);
  }, 20_000);

  it('retries after a dropped connection and records the event once', async () => {
    emulator.injectFault({ kind: 'drop', times: 1, pathPrefix: '/v1/billing/meter_events' });

    await sdkFor(emulator, 1).billing.meterEvents.create(
      { event_name: 'api_calls', payload: { stripe_customer_id: 'cus_drop', value: '1' }, identifier: 'drop-1' },
      { idempotencyKey: 'drop-key' },
    );

    expect(emulator.requestCounts({ pathPrefix: '/v1/billing/meter_events' })).toMatchObject({ dropped: 1, accepted: 1 });
    expect(emulator.meterEvents()).toHaveLength(1);
  }, 20_000);

  it('retries an injected 409 conflict, as stripe-node does for every 409', async () => {
    emulator.injectFault({ kind: 'status', status: 409, times: 1 });

    const balance = await sdkFor(emulator, 1).balance.retrieve();

    expect(balance.object).toBe('balance');
    expect(emulator.requestCounts()).toMatchObject({ total: 2, byStatus: { '409': 1, '200': 1 } });
  }, 20_000);

  it('does not retry a rate-limited call and surfaces StripeRateLimitError', async () => {
    emulator.setRateLimit(1, KEY);
    const stripe = sdkFor(emulator, 2);
    await stripe.billing.meterEvents.create({ event_name: 'api_calls', payload: { stripe_customer_id: 'c', value: '1' } });

    const error = await thrownBy(
      stripe.billing.meterEvents.create({ event_name: 'api_calls', payload: { stripe_customer_id: 'c', value: '1' } }),
    );

    expect(error).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect((error as Stripe.errors.StripeRateLimitError).code).toBe('rate_limit');
    expect((error as Stripe.errors.StripeRateLimitError).headers?.['stripe-rate-limited-reason']).toBe('endpoint-rate');
  });

  it('surfaces an unknown key as StripeAuthenticationError', async () => {
    const error = await thrownBy(sdkFor(emulator, 0, 'sk_test_unknown_to_the_emulator').balance.retrieve());

    expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    expect((error as Stripe.errors.StripeAuthenticationError).statusCode).toBe(401);
  });

  it('surfaces a duplicate identifier as StripeInvalidRequestError with Stripe\'s message', async () => {
    const stripe = sdkFor(emulator, 2);
    const params = { event_name: 'api_calls', payload: { stripe_customer_id: 'cus_d', value: '1' }, identifier: 'dup-1' };
    await stripe.billing.meterEvents.create(params);

    const error = await thrownBy(stripe.billing.meterEvents.create(params));

    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect((error as Stripe.errors.StripeInvalidRequestError).message).toBe('An event already exists with identifier dup-1.');
    expect(emulator.requestCounts({ pathPrefix: '/v1/billing/meter_events' }).total).toBe(2);
  });

  it('surfaces a reused Idempotency-Key with other parameters as StripeIdempotencyError', async () => {
    const stripe = sdkFor(emulator);
    await stripe.billing.meterEvents.create(
      { event_name: 'api_calls', payload: { stripe_customer_id: 'cus_i', value: '1' } },
      { idempotencyKey: 'same-key' },
    );

    const error = await thrownBy(
      stripe.billing.meterEvents.create(
        { event_name: 'api_calls', payload: { stripe_customer_id: 'cus_i', value: '2' } },
        { idempotencyKey: 'same-key' },
      ),
    );

    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('opens a v2 meter event session and streams events with its token', async () => {
    const stripe = sdkFor(emulator);

    const session = await stripe.v2.billing.meterEventSession.create();
    await stripe.v2.billing.meterEventStream.create(
      {
        events: [
          { event_name: 'api_calls', identifier: 'v2-1', payload: { stripe_customer_id: 'cus_v2', value: '4' } },
          {
            event_name: 'api_calls',
            identifier: 'v2-2',
            timestamp: new Date().toISOString(),
            payload: { stripe_customer_id: 'cus_v2', value: '6' },
          },
        ],
      },
      { apiKey: session.authentication_token },
    );

    expect(session.object).toBe('v2.billing.meter_event_session');
    expect(Date.parse(session.expires_at) - Date.parse(session.created)).toBe(15 * 60_000);
    expect(emulator.totals(KEY)).toEqual([expect.objectContaining({ customer: 'cus_v2', total: 10, eventCount: 2 })]);
  });

  it('surfaces an expired session token as TemporarySessionExpiredError', async () => {
    const stripe = sdkFor(emulator);
    const session = await stripe.v2.billing.meterEventSession.create();
    emulator.advanceClock(16 * 60_000);

    const error = await thrownBy(
      stripe.v2.billing.meterEventStream.create(
        { events: [{ event_name: 'api_calls', payload: { stripe_customer_id: 'cus_v2', value: '1' } }] },
        { apiKey: session.authentication_token },
      ),
    );

    expect(error).toBeInstanceOf(Stripe.errors.StripeError);
    expect(error).toMatchObject({ statusCode: 401, rawType: 'temporary_session_expired' });
    expect((error as Error).constructor.name).toBe('TemporarySessionExpiredError');
  });
});
