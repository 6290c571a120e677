import { errorOf, rawStripeCall, type RawStripeResponse } from './raw-stripe-call';
import { type RunningStripeEmulator, startStripeEmulator } from './stripe-emulator';

const KEY_A = 'sk_test_idem_a';
const KEY_B = 'sk_test_idem_b';

/** Starts a call once an earlier one is surely in flight. */
function sendLater(delayMs: number, send: () => Promise<RawStripeResponse>): Promise<RawStripeResponse> {
  return new Promise<void>((resolve) => setTimeout(resolve, delayMs)).then(send);
}

describe('stripe emulator: idempotency keys', () => {
  let emulator: RunningStripeEmulator;

  beforeEach(async () => {
    emulator = await startStripeEmulator({
      accounts: [{ apiKeys: [KEY_A] }, { apiKeys: [KEY_B] }],
      meters: [{ eventName: 'api_calls' }],
    });
  });

  afterEach(async () => {
    await emulator.close();
  });

  function send(
    idempotencyKey: string,
    fields: Record<string, string> = {},
    apiKey = KEY_A,
  ): Promise<RawStripeResponse> {
    return rawStripeCall(emulator.url, {
      path: '/v1/billing/meter_events',
      apiKey,
      headers: { 'Idempotency-Key': idempotencyKey },
      form: {
        event_name: 'api_calls',
        'payload[stripe_customer_id]': 'cus_A',
        'payload[value]': '3',
        identifier: 'ev-idem',
        ...fields,
      },
    });
  }

  it('replays the first response for a repeated key without recording a second event', async () => {
    const first = await send('key-1');
    const replay = await send('key-1');

    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.headers.get('original-request')).toBe(first.headers.get('request-id'));
    expect(emulator.meterEvents()).toHaveLength(1);
  });

  it('replays a duplicate-identifier rejection too, since that request did execute', async () => {
    await send('key-first');
    const rejected = await send('key-second');
    const replayed = await send('key-second');

    expect(rejected.status).toBe(400);
    expect(replayed.status).toBe(400);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.body).toEqual(rejected.body);
  });

  it('rejects the same key with different parameters with 400 idempotency_error', async () => {
    await send('key-2');
    const changed = await send('key-2', { 'payload[value]': '4' });

    expect(changed.status).toBe(400);
    expect(errorOf(changed)).toMatchObject({ type: 'idempotency_error' });
    expect(String(errorOf(changed)['message'])).toContain('key-2');
    expect(emulator.totals()).toEqual([expect.objectContaining({ total: 3 })]);
  });

  it('answers 409 to a second use of a key while the first request is still in flight', async () => {
    emulator.injectFault({ kind: 'latency', latencyMs: 200, times: 1 });

    const [first, second] = await Promise.all([
      send('key-3'),
      sendLater(50, () => send('key-3')),
    ]);

    expect(first.status).toBe(200);
    expect(second.status).toBe(409);
    expect(errorOf(second)).toMatchObject({ type: 'idempotency_error' });
    expect(emulator.meterEvents()).toHaveLength(1);
  });

  it('does not save a validation failure, so a corrected retry with the same key runs', async () => {
    const invalid = await rawStripeCall(emulator.url, {
      path: '/v1/billing/meter_events',
      apiKey: KEY_A,
      headers: { 'Idempotency-Key': 'key-4' },
      form: { event_name: 'api_calls', 'payload[stripe_customer_id]': 'cus_A', 'payload[value]': '1.5' },
    });
    const corrected = await send('key-4');

    expect(invalid.status).toBe(400);
    expect(corrected.status).toBe(200);
    expect(corrected.headers.get('idempotent-replayed')).toBeNull();
  });

  it('saves a 5xx under its key and replays it, while a fresh key with the same identifier goes through once', async () => {
    emulator.injectFault({ kind: 'status', status: 500, times: 1, pathPrefix: '/v1/billing/meter_events' });

    const failed = await send('key-500');
    const replayed = await send('key-500');
    const fresh = await send('key-500-fresh');
    const duplicate = await send('key-500-again');

    expect(failed.status).toBe(500);
    expect(replayed.status).toBe(500);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.body).toEqual(failed.body);
    expect(fresh.status).toBe(200);
    expect(duplicate.status).toBe(400);
    expect(String(errorOf(duplicate)['message'])).toContain('already exists with identifier ev-idem');
    expect(emulator.totals()).toEqual([expect.objectContaining({ total: 3 })]);
  });

  it('does not save an injected 429, which Stripe answers before executing', async () => {
    emulator.injectFault({ kind: 'status', status: 429, times: 1, pathPrefix: '/v1/billing/meter_events' });

    const limited = await send('key-429');
    const retried = await send('key-429');

    expect(limited.status).toBe(429);
    expect(retried.status).toBe(200);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
  });

  it('replays a saved success rather than a 5xx injected after it', async () => {
    const first = await send('key-ok');
    emulator.injectFault({ kind: 'status', status: 503, times: 1, pathPrefix: '/v1/billing/meter_events' });
    const replay = await send('key-ok');

    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(first.body);
  });

  it('forgets a key after 24 hours', async () => {
    await send('key-5');
    emulator.advanceClock(24 * 60 * 60 * 1000 + 1000);

    const later = await send('key-5', { identifier: 'ev-next-day' });

    expect(later.status).toBe(200);
    expect(later.headers.get('idempotent-replayed')).toBeNull();
    expect(emulator.meterEvents()).toHaveLength(2);
  });

  it('scopes keys to the account', async () => {
    await send('shared-key', {}, KEY_A);
    const otherAccount = await send('shared-key', {}, KEY_B);

    expect(otherAccount.status).toBe(200);
    expect(otherAccount.headers.get('idempotent-replayed')).toBeNull();
    expect(emulator.meterEvents()).toHaveLength(2);
  });

  it('rejects a key longer than 255 characters', async () => {
    const response = await send('k'.repeat(256));

    expect(response.status).toBe(400);
    expect(errorOf(response)).toMatchObject({ type: 'idempotency_error' });
  });
});
