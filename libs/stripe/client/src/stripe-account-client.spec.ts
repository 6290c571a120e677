import { type RunningStripeEmulator, startStripeEmulator } from '@flexsync/stripe-emulator';
import { StripeAccountClient, type MeterEventToSend } from './stripe-account-client';
import { StripeCallError } from './stripe-call-error';

const KEY = 'sk_test_client_spec_0001';

function failureOf(promise: Promise<unknown>): Promise<StripeCallError> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => {
      if (!(error instanceof StripeCallError)) {
        throw error;
      }
      return error;
    },
  );
}

describe('StripeAccountClient against the emulator', () => {
  let emulator: RunningStripeEmulator;
  const eventTime = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000);

  function client(options: { maxNetworkRetries?: number; timeoutMs?: number; apiKey?: string } = {}): StripeAccountClient {
    return new StripeAccountClient({ apiKey: options.apiKey ?? KEY, baseUrl: emulator.url, ...options });
  }

  function event(identifier: string, value: MeterEventToSend['value'] = 5): MeterEventToSend {
    return { eventName: 'api_calls', stripeCustomerId: 'cus_A', value, identifier, timestamp: eventTime };
  }

  beforeEach(async () => {
    emulator = await startStripeEmulator({
      accounts: [
        {
          apiKeys: [KEY],
          meters: [{ eventName: 'api_calls' }, { eventName: 'seats', customerPayloadKey: 'customer', valuePayloadKey: 'qty' }],
        },
      ],
    });
  });

  afterEach(async () => {
    await emulator.close();
  });

  it('retrieves the balance of a working key', async () => {
    await expect(client().retrieveBalance()).resolves.toEqual({
      livemode: false,
      available: [{ amount: 0, currency: 'usd' }],
      pending: [{ amount: 0, currency: 'usd' }],
    });
  });

  it('sends a meter event with its identifier as the Idempotency-Key and the event time in unix seconds', async () => {
    const receipt = await client().createMeterEvent(event('flexprice_1', 42n));

    expect(receipt).toEqual({
      identifier: 'flexprice_1',
      eventName: 'api_calls',
      timestamp: eventTime.getTime() / 1000,
      created: expect.any(Number),
      livemode: false,
    });
    expect(emulator.meterEvents()).toEqual([
      expect.objectContaining({ identifier: 'flexprice_1', idempotencyKey: 'flexprice_1', value: '42', customer: 'cus_A' }),
    ]);
  });

  it('replays the first answer when the same event is sent again', async () => {
    const first = await client().createMeterEvent(event('flexprice_again'));
    const second = await client().createMeterEvent(event('flexprice_again'));

    expect(second).toEqual(first);
    expect(emulator.totals(KEY)).toEqual([expect.objectContaining({ total: 5, eventCount: 1 })]);
  });

  it('reports an identifier Stripe already holds as duplicate_event', async () => {
    await client().createMeterEvent(event('flexprice_dup'));

    const error = await failureOf(client().createMeterEvent({ ...event('flexprice_dup'), idempotencyKey: 'another-key' }));

    expect(error).toMatchObject({ kind: 'duplicate_event', retryable: false, statusCode: 400, operation: 'createMeterEvent' });
  });

  it("lists a meter's event summaries per hour once Stripe has ingested the events", async () => {
    const hourEnd = Math.floor(eventTime.getTime() / 3_600_000) * 3_600_000 + 3_600_000;
    emulator.configureIngestion({ delayMs: 0 });
    await client().createMeterEvent(event('flexprice_s1', 5));
    await client().createMeterEvent(event('flexprice_s2', 8));
    const meterId = emulator.accounts()[0]?.meters.find((meter) => meter.event_name === 'api_calls')?.id ?? '';

    const summaries = await client().listMeterEventSummaries({
      meterId,
      stripeCustomerId: 'cus_A',
      startTime: new Date(hourEnd - 2 * 3_600_000),
      endTime: new Date(hourEnd),
      groupBy: 'hour',
    });

    expect(summaries).toEqual([
      { meterId, startTime: hourEnd / 1000 - 3600, endTime: hourEnd / 1000, aggregatedValue: 13 },
      { meterId, startTime: hourEnd / 1000 - 7200, endTime: hourEnd / 1000 - 3600, aggregatedValue: 0 },
    ]);
  });

  it('uses the payload keys of a meter that overrides them', async () => {
    await client().createMeterEvent({
      ...event('flexprice_seats', 3),
      eventName: 'seats',
      customerPayloadKey: 'customer',
      valuePayloadKey: 'qty',
    });

    expect(emulator.totals(KEY)).toEqual([expect.objectContaining({ eventName: 'seats', customer: 'cus_A', total: 3 })]);
  });

  it('sends negative whole numbers as corrections', async () => {
    await client().createMeterEvent(event('flexprice_up', 10));
    await client().createMeterEvent(event('flexprice_down', '-4'));

    expect(emulator.totals(KEY)).toEqual([expect.objectContaining({ total: 6 })]);
  });

  it.each([1.5, '2.25', Number.NaN, 2 ** 60])('refuses the value %p before calling Stripe', async (value) => {
    const error = await failureOf(client().createMeterEvent(event('flexprice_bad', value)));

    expect(error).toMatchObject({ kind: 'invalid_request', retryable: false, param: 'payload[value]', statusCode: undefined });
    expect(emulator.requestCounts().total).toBe(0);
  });

  it('refuses a timestamp given in milliseconds before calling Stripe', async () => {
    const error = await failureOf(client().createMeterEvent({ ...event('flexprice_ms'), timestamp: Date.now() }));

    expect(error).toMatchObject({ kind: 'invalid_request', param: 'timestamp' });
    expect(emulator.requestCounts().total).toBe(0);
  });

  it("passes on Stripe's refusal of a timestamp outside its window", async () => {
    const error = await failureOf(
      client().createMeterEvent({ ...event('flexprice_old'), timestamp: new Date(Date.now() - 40 * 86_400_000) }),
    );

    expect(error).toMatchObject({ kind: 'invalid_request', param: 'timestamp', statusCode: 400 });
  });

  it('reports an unknown key as an auth error that does not reveal the key', async () => {
    const secretKey = ['sk', 'test', 'revokedKeyNobodyKnows5678'].join('_');
    const error = await failureOf(client({ apiKey: secretKey }).retrieveBalance());

    expect(error).toMatchObject({ kind: 'auth', retryable: false, statusCode: 401 });
    expect(error.message).toMatch(/^auth error: /);
    expect(error.message).not.toContain(secretKey);
    expect(JSON.stringify(error)).not.toContain(secretKey);
  });

  it('leaves the stack trace limit as it found it, after calls that succeed and calls that fail', async () => {
    const limit = Error.stackTraceLimit;
    const stripeClient = client();

    await stripeClient.createMeterEvent(event('flexprice_stack_limit'));
    await failureOf(stripeClient.createMeterEvent({ ...event('flexprice_stack_limit'), idempotencyKey: 'another_key' }));
    await failureOf(client({ apiKey: 'sk_test_unknown_stack_limit' }).retrieveBalance());

    expect(Error.stackTraceLimit).toBe(limit);
  });

  it('masks its key for display', () => {
    expect(client().maskedApiKey).toBe('sk_test_…0001');
  });

  it('reports a rate-limited call as retryable rate_limited with the reason', async () => {
    emulator.setRateLimit(1, KEY);
    await client().createMeterEvent(event('flexprice_r1'));

    const error = await failureOf(client().createMeterEvent(event('flexprice_r2')));

    expect(error).toMatchObject({
      kind: 'rate_limited',
      retryable: true,
      statusCode: 429,
      stripeCode: 'rate_limit',
      rateLimitedReason: 'endpoint-rate',
    });
  });

  it('succeeds through two 500s by retrying under a fresh Idempotency-Key each time, with the same identifier', async () => {
    emulator.injectFault({ kind: 'status', status: 500, times: 2, pathPrefix: '/v1/billing/meter_events' });

    await client({ maxNetworkRetries: 2 }).createMeterEvent(event('flexprice_retry'));

    const calls = emulator.requests({ pathPrefix: '/v1/billing/meter_events' });
    expect(calls.map((call) => [call.status, call.idempotencyKey])).toEqual([
      [500, 'flexprice_retry'],
      [500, 'flexprice_retry~5xx1'],
      [200, 'flexprice_retry~5xx2'],
    ]);
    expect(emulator.meterEvents()).toEqual([expect.objectContaining({ identifier: 'flexprice_retry' })]);
  }, 20_000);

  it('keeps the Idempotency-Key after a dropped connection, so Stripe replays what it did', async () => {
    emulator.injectFault({ kind: 'drop', times: 1, pathPrefix: '/v1/billing/meter_events' });

    await client({ maxNetworkRetries: 1 }).createMeterEvent(event('flexprice_drop'));

    const keys = emulator.requests({ pathPrefix: '/v1/billing/meter_events' }).map((call) => call.idempotencyKey);
    expect(new Set(keys)).toEqual(new Set(['flexprice_drop']));
    expect(emulator.meterEvents()).toHaveLength(1);
  }, 20_000);

  it.each([
    { status: 500, kind: 'server', retryable: true },
    { status: 503, kind: 'server', retryable: true },
    { status: 409, kind: 'conflict', retryable: true },
    { status: 403, kind: 'auth', retryable: false },
  ])('reports an injected $status as $kind when retries are left to the caller', async ({ status, kind, retryable }) => {
    emulator.injectFault({ kind: 'status', status, times: 1 });

    const error = await failureOf(client().createMeterEvent(event(`flexprice_${status}`)));

    expect(error).toMatchObject({ kind, retryable, statusCode: status, requestId: expect.stringMatching(/^req_/) });
  });

  it('honours Stripe-Should-Retry: false on a 500', async () => {
    emulator.injectFault({ kind: 'status', status: 500, times: 1, shouldRetry: false });

    const error = await failureOf(client().retrieveBalance());

    expect(error).toMatchObject({ kind: 'server', retryable: false, shouldRetry: false });
  });

  it('reports dropped connections as a retryable network error', async () => {
    // stripe-node retries a closed connection once on its own, so drop twice.
    emulator.injectFault({ kind: 'drop', times: 2 });

    const error = await failureOf(client().retrieveBalance());

    expect(error).toMatchObject({ kind: 'network', retryable: true, statusCode: undefined });
  }, 20_000);

  it('reports a timeout as a retryable network error', async () => {
    emulator.injectFault({ kind: 'latency', latencyMs: 400, times: 1 });

    const error = await failureOf(client({ timeoutMs: 100 }).retrieveBalance());

    expect(error).toMatchObject({ kind: 'network', retryable: true });
  });

  it('cancels a meter event so it no longer counts', async () => {
    await client().createMeterEvent(event('flexprice_keep', 7));
    await client().createMeterEvent(event('flexprice_cancel', 3));

    const cancellation = await client().cancelMeterEvent({ eventName: 'api_calls', identifier: 'flexprice_cancel' });

    expect(cancellation).toEqual({ eventName: 'api_calls', identifier: 'flexprice_cancel', status: 'complete' });
    expect(emulator.totals(KEY)).toEqual([expect.objectContaining({ total: 7 })]);
    expect(emulator.requests({ pathPrefix: '/v1/billing/meter_event_adjustments' })[0]?.idempotencyKey).toBe('cancel:flexprice_cancel');
  });

  it('lists every meter across pages, optionally by status', async () => {
    for (let index = 0; index < 120; index += 1) {
      emulator.addMeter(KEY, { eventName: `bulk_${index}`, status: index % 2 === 0 ? 'active' : 'inactive' });
    }

    const all = await client().listMeters();
    const inactive = await client().listMeters({ status: 'inactive' });

    expect(all).toHaveLength(122);
    expect(inactive).toHaveLength(60);
    expect(all).toContainEqual({
      id: expect.stringMatching(/^mtr_/),
      eventName: 'seats',
      displayName: 'seats',
      status: 'active',
      aggregationFormula: 'sum',
      customerPayloadKey: 'customer',
      valuePayloadKey: 'qty',
      eventTimeWindow: null,
      created: expect.any(Number),
    });
  });

  it('waits for its rate limiter before each write', async () => {
    let acquired = 0;
    const limited = new StripeAccountClient({
      apiKey: KEY,
      baseUrl: emulator.url,
      rateLimiter: {
        acquire: () => {
          acquired += 1;
          return Promise.resolve();
        },
      },
    });

    await limited.createMeterEvent(event('flexprice_paced'));
    await limited.cancelMeterEvent({ eventName: 'api_calls', identifier: 'flexprice_paced' });
    await limited.retrieveBalance();

    expect(acquired).toBe(2);
  });

  describe('v2 meter event stream', () => {
    it('sends events in batches of 100 under one session', async () => {
      const events = Array.from({ length: 250 }, (_, index) => event(`flexprice_stream_${index}`, 2));

      await client().sendMeterEventStream(events);

      expect(emulator.totals(KEY)).toEqual([expect.objectContaining({ total: 500, eventCount: 250 })]);
      expect(emulator.requestCounts({ pathPrefix: '/v2/billing/meter_event_stream' }).accepted).toBe(3);
      expect(emulator.requestCounts({ pathPrefix: '/v2/billing/meter_event_session' }).accepted).toBe(1);
    });

    it('opens a new session and resends the batch when Stripe reports the token expired', async () => {
      const streaming = client();
      await streaming.sendMeterEventStream([event('flexprice_s1')]);
      emulator.advanceClock(16 * 60_000);

      await streaming.sendMeterEventStream([event('flexprice_s2')]);

      expect(emulator.meterEvents().map((recorded) => recorded.identifier)).toEqual(['flexprice_s1', 'flexprice_s2']);
      expect(emulator.requestCounts({ pathPrefix: '/v2/billing/meter_event_session' }).accepted).toBe(2);
      expect(emulator.requestCounts({ pathPrefix: '/v2/billing/meter_event_stream' }).byStatus).toEqual({ '202': 2, '401': 1 });
    });

    it('does not put the session token in its errors', async () => {
      const streaming = client();
      await streaming.sendMeterEventStream([event('flexprice_t1')]);
      emulator.injectFault({ kind: 'status', status: 401, pathPrefix: '/v2/billing/meter_event_stream' });

      const error = await failureOf(streaming.sendMeterEventStream([event('flexprice_t2')]));

      expect(error.kind).toBe('auth');
      expect(error.message).not.toMatch(/mes_tok_[A-Za-z0-9]{8}/);
    });
  });
});
