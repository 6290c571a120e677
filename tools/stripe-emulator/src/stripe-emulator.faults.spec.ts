import { errorOf, rawStripeCall, type RawStripeResponse } from './raw-stripe-call';
import { type RunningStripeEmulator, startStripeEmulator } from './stripe-emulator';

const KEY = 'sk_test_faults';

describe('stripe emulator: fault injection', () => {
  let emulator: RunningStripeEmulator;
  let randomValue: number;

  beforeEach(async () => {
    randomValue = 0.5;
    emulator = await startStripeEmulator({
      random: () => randomValue,
      accounts: [{ apiKeys: [KEY] }, { apiKeys: ['sk_test_faults_other'] }],
      meters: [{ eventName: 'api_calls' }],
    });
  });

  afterEach(async () => {
    await emulator.close();
  });

  function balance(apiKey = KEY): Promise<RawStripeResponse> {
    return rawStripeCall(emulator.url, { path: '/v1/balance', apiKey });
  }

  function meterEvent(identifier: string, headers: Record<string, string> = {}): Promise<RawStripeResponse> {
    return rawStripeCall(emulator.url, {
      path: '/v1/billing/meter_events',
      apiKey: KEY,
      headers,
      form: { event_name: 'api_calls', 'payload[stripe_customer_id]': 'cus_A', 'payload[value]': '1', identifier },
    });
  }

  it.each([
    { status: 401, type: 'invalid_request_error', shouldRetry: null },
    { status: 403, type: 'invalid_request_error', shouldRetry: null },
    { status: 409, type: 'invalid_request_error', shouldRetry: null },
    { status: 429, type: 'invalid_request_error', shouldRetry: null },
    { status: 500, type: 'api_error', shouldRetry: null },
    { status: 503, type: 'api_error', shouldRetry: null },
  ])('answers a Stripe-shaped $status for the next call and then recovers', async ({ status, type, shouldRetry }) => {
    emulator.injectFault({ kind: 'status', status, times: 1 });

    const faulted = await balance();
    const next = await balance();

    expect(faulted.status).toBe(status);
    expect(errorOf(faulted)).toMatchObject({ type, message: expect.any(String) });
    expect(faulted.headers.get('stripe-should-retry')).toBe(shouldRetry);
    expect(faulted.headers.get('request-id')).toMatch(/^req_/);
    expect(next.status).toBe(200);
  });

  it('sets Stripe-Should-Retry on an injected status when asked to', async () => {
    emulator.injectFault({ kind: 'status', status: 500, times: 1, shouldRetry: false });

    const faulted = await balance();

    expect(faulted.headers.get('stripe-should-retry')).toBe('false');
  });

  it('fails exactly the next N calls', async () => {
    emulator.injectFault({ kind: 'status', status: 503, times: 2 });

    const statuses = [(await balance()).status, (await balance()).status, (await balance()).status];

    expect(statuses).toEqual([503, 503, 200]);
    expect(emulator.faults()).toEqual([]);
  });

  it('fails calls at the configured rate', async () => {
    emulator.injectFault({ kind: 'status', status: 500, rate: 0.3 });

    randomValue = 0.29;
    const hit = await balance();
    randomValue = 0.3;
    const miss = await balance();

    expect(hit.status).toBe(500);
    expect(miss.status).toBe(200);
  });

  it('limits a fault to a path prefix', async () => {
    emulator.injectFault({ kind: 'status', status: 500, pathPrefix: '/v1/billing/meter_events' });

    expect((await balance()).status).toBe(200);
    expect((await meterEvent('ev-1')).status).toBe(500);
  });

  it('limits a fault to one account', async () => {
    emulator.injectFault({ kind: 'status', status: 401, account: 'sk_test_faults_other' });

    expect((await balance()).status).toBe(200);
    expect((await balance('sk_test_faults_other')).status).toBe(401);
  });

  it('adds latency to matching calls', async () => {
    emulator.injectFault({ kind: 'latency', latencyMs: 150, times: 1 });

    const started = Date.now();
    const response = await balance();

    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('drops the connection without an answer and records it', async () => {
    emulator.injectFault({ kind: 'drop', times: 1 });

    await expect(balance()).rejects.toThrow();
    const next = await balance();

    expect(next.status).toBe(200);
    expect(emulator.requestCounts()).toMatchObject({ total: 2, dropped: 1, accepted: 1 });
  });

  it('saves an injected 5xx against the idempotency key, as Stripe does, so a retry under the same key gets it replayed', async () => {
    emulator.injectFault({ kind: 'status', status: 500, times: 1 });

    const failed = await meterEvent('ev-retry', { 'Idempotency-Key': 'retry-key' });
    const replayed = await meterEvent('ev-retry', { 'Idempotency-Key': 'retry-key' });
    const fresh = await meterEvent('ev-retry', { 'Idempotency-Key': 'retry-key-2' });

    expect(failed.status).toBe(500);
    expect(replayed.status).toBe(500);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(fresh.status).toBe(200);
    expect(emulator.meterEvents()).toHaveLength(1);
  });

  it('is configured at run time through POST /__admin/faults and cleared with DELETE', async () => {
    const added = await rawStripeCall(emulator.url, {
      path: '/__admin/faults',
      json: { faults: [{ kind: 'status', status: 429, pathPrefix: '/v1/balance' }] },
    });
    const limited = await balance();
    const cleared = await rawStripeCall(emulator.url, { method: 'DELETE', path: '/__admin/faults' });
    const recovered = await balance();

    expect(added.status).toBe(200);
    expect(added.body['data']).toEqual([expect.objectContaining({ id: expect.any(String), kind: 'status', status: 429 })]);
    expect(limited.status).toBe(429);
    expect(cleared.status).toBe(200);
    expect(recovered.status).toBe(200);
  });

  it('refuses an invalid fault through the admin API', async () => {
    const response = await rawStripeCall(emulator.url, { path: '/__admin/faults', json: { kind: 'status', status: 418 } });

    expect(response.status).toBe(400);
  });

  it('applies faults given at start', async () => {
    const started = await startStripeEmulator({ faults: [{ kind: 'status', status: 503, times: 1 }] });
    try {
      const response = await rawStripeCall(started.url, { path: '/v1/balance', apiKey: 'sk_test_flexsync_default' });
      expect(response.status).toBe(503);
    } finally {
      await started.close();
    }
  });
});
