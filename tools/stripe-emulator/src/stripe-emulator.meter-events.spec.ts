import { errorOf, rawStripeCall, type RawStripeResponse } from './raw-stripe-call';
import { DEFAULT_INGESTION_DELAY_MS, type RunningStripeEmulator, startStripeEmulator } from './stripe-emulator';

const KEY = 'sk_test_meter_events';
const NOW_MS = Date.UTC(2026, 10, 1, 12, 0, 0);
const NOW = NOW_MS / 1000;
const DAY = 86_400;

/** Starts a call once an earlier one is surely in flight. */
function sendLater(delayMs: number, send: () => Promise<RawStripeResponse>): Promise<RawStripeResponse> {
  return new Promise<void>((resolve) => setTimeout(resolve, delayMs)).then(send);
}

describe('stripe emulator: meter events', () => {
  let emulator: RunningStripeEmulator;

  beforeEach(async () => {
    emulator = await startStripeEmulator({
      now: () => NOW_MS,
      accounts: [
        {
          apiKeys: [KEY],
          meters: [
            { eventName: 'api_calls' },
            { eventName: 'seats', customerPayloadKey: 'customer', valuePayloadKey: 'quantity' },
            { eventName: 'retired', status: 'inactive' },
          ],
        },
      ],
    });
  });

  afterEach(async () => {
    await emulator.close();
  });

  function sendEvent(fields: Record<string, string>, headers: Record<string, string> = {}): Promise<RawStripeResponse> {
    return rawStripeCall(emulator.url, {
      path: '/v1/billing/meter_events',
      apiKey: KEY,
      headers,
      form: {
        event_name: 'api_calls',
        'payload[stripe_customer_id]': 'cus_A',
        'payload[value]': '5',
        timestamp: String(NOW - 60),
        ...fields,
      },
    });
  }

  it("accepts a meter event and answers with Stripe's billing.meter_event object", async () => {
    const response = await sendEvent({ identifier: 'ev-1' }, { 'Idempotency-Key': 'key-ev-1' });

    expect(response.status).toBe(200);
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(response.body).toEqual({
      object: 'billing.meter_event',
      created: NOW,
      event_name: 'api_calls',
      identifier: 'ev-1',
      livemode: false,
      payload: { stripe_customer_id: 'cus_A', value: '5' },
      timestamp: NOW - 60,
    });
    expect(emulator.meterEvents({ account: KEY })).toEqual([
      expect.objectContaining({
        identifier: 'ev-1',
        eventName: 'api_calls',
        customer: 'cus_A',
        value: '5',
        timestamp: NOW - 60,
        idempotencyKey: 'key-ev-1',
        source: 'v1',
        cancelled: false,
      }),
    ]);
  });

  it('generates an identifier when none is sent', async () => {
    const response = await sendEvent({});

    expect(response.status).toBe(200);
    expect(response.body['identifier']).toEqual(expect.any(String));
  });

  it('rejects a second meter event with the same identifier and keeps the first', async () => {
    await sendEvent({ identifier: 'ev-dup' });
    const second = await sendEvent({ identifier: 'ev-dup', 'payload[value]': '7' });

    expect(second.status).toBe(400);
    expect(errorOf(second)).toEqual({
      type: 'invalid_request_error',
      message: 'An event already exists with identifier ev-dup.',
    });
    expect(second.headers.get('stripe-should-retry')).toBe('false');
    expect(emulator.totals(KEY)).toEqual([expect.objectContaining({ customer: 'cus_A', total: 5, eventCount: 1 })]);
  });

  it('accepts an identifier again once the 24 hour uniqueness window has passed', async () => {
    await sendEvent({ identifier: 'ev-late' });
    emulator.advanceClock((DAY + 1) * 1000);

    const again = await sendEvent({ identifier: 'ev-late', timestamp: String(NOW + DAY) });

    expect(again.status).toBe(200);
  });

  it('keeps identifiers unique per account, not across accounts', async () => {
    emulator.addAccount({ apiKeys: ['sk_test_other'], meters: [{ eventName: 'api_calls' }] });
    await sendEvent({ identifier: 'shared-id' });

    const other = await rawStripeCall(emulator.url, {
      path: '/v1/billing/meter_events',
      apiKey: 'sk_test_other',
      form: { event_name: 'api_calls', 'payload[stripe_customer_id]': 'cus_A', 'payload[value]': '1', identifier: 'shared-id' },
    });

    expect(other.status).toBe(200);
  });

  it.each([
    { label: 'exactly 35 days old', timestamp: NOW - 35 * DAY, status: 200 },
    { label: 'older than 35 days', timestamp: NOW - 35 * DAY - 1, status: 400 },
    { label: 'exactly 5 minutes ahead', timestamp: NOW + 300, status: 200 },
    { label: 'more than 5 minutes ahead', timestamp: NOW + 301, status: 400 },
  ])('answers a timestamp $label with $status', async ({ timestamp, status }) => {
    const response = await sendEvent({ timestamp: String(timestamp) });

    expect(response.status).toBe(status);
    if (status === 400) {
      expect(errorOf(response)).toMatchObject({ type: 'invalid_request_error', param: 'timestamp' });
    }
  });

  it('rejects an event_name that no meter uses', async () => {
    const response = await sendEvent({ event_name: 'nobody_meters_this' });

    expect(response.status).toBe(400);
    expect(errorOf(response)).toMatchObject({ param: 'event_name', message: expect.stringContaining('No active meter') });
  });

  it('rejects events for an inactive meter and accepts them again after reactivation', async () => {
    const rejected = await sendEvent({ event_name: 'retired' });
    const meterId = emulator.accounts()[0]?.meters.find((meter) => meter.event_name === 'retired')?.id ?? '';
    await rawStripeCall(emulator.url, { method: 'POST', path: `/v1/billing/meters/${meterId}/reactivate`, apiKey: KEY });
    const accepted = await sendEvent({ event_name: 'retired' });

    expect(rejected.status).toBe(400);
    expect(errorOf(rejected)['message']).toContain('inactive');
    expect(accepted.status).toBe(200);
  });

  it.each(['1.5', 'abc', '', '1e3'])('rejects the non-integer value %j', async (value) => {
    const response = await sendEvent({ 'payload[value]': value });

    expect(response.status).toBe(400);
    expect(errorOf(response)).toMatchObject({ param: 'payload[value]' });
    expect(emulator.meterEvents()).toHaveLength(0);
  });

  it('accepts a negative whole number as a correction', async () => {
    await sendEvent({ identifier: 'up' });
    const response = await sendEvent({ identifier: 'down', 'payload[value]': '-2' });

    expect(response.status).toBe(200);
    expect(emulator.totals(KEY)).toEqual([expect.objectContaining({ total: 3, totalExact: '3', eventCount: 2 })]);
  });

  it("uses the meter's own payload keys for customer and value", async () => {
    const wrongKeys = await sendEvent({ event_name: 'seats' });
    const rightKeys = await rawStripeCall(emulator.url, {
      path: '/v1/billing/meter_events',
      apiKey: KEY,
      form: { event_name: 'seats', 'payload[customer]': 'cus_S', 'payload[quantity]': '4' },
    });

    expect(wrongKeys.status).toBe(400);
    expect(errorOf(wrongKeys)).toMatchObject({ param: 'payload[customer]' });
    expect(rightKeys.status).toBe(200);
    expect(emulator.totals(KEY)).toEqual([expect.objectContaining({ customer: 'cus_S', eventName: 'seats', total: 4 })]);
  });

  it.each([
    { label: 'without event_name', change: { event_name: undefined }, code: 'parameter_missing', param: 'event_name' },
    { label: 'with an unknown parameter', change: { colour: 'blue' }, code: 'parameter_unknown', param: 'colour' },
    {
      label: 'with a non-numeric timestamp',
      change: { timestamp: 'yesterday' },
      code: 'parameter_invalid_integer',
      param: 'timestamp',
    },
    { label: 'with a 101-character identifier', change: { identifier: 'x'.repeat(101) }, code: undefined, param: 'identifier' },
  ])('rejects a meter event $label before it runs', async ({ change, code, param }) => {
    const fields: Record<string, string> = {
      event_name: 'api_calls',
      'payload[stripe_customer_id]': 'cus_A',
      'payload[value]': '5',
    };
    for (const [key, value] of Object.entries(change as Record<string, string | undefined>)) {
      if (value === undefined) {
        delete fields[key];
      } else {
        fields[key] = value;
      }
    }
    const response = await rawStripeCall(emulator.url, { path: '/v1/billing/meter_events', apiKey: KEY, form: fields });

    expect(response.status).toBe(400);
    expect(errorOf(response)).toMatchObject({ type: 'invalid_request_error', param, ...(code === undefined ? {} : { code }) });
  });

  it('excludes a cancelled event from totals and event summaries', async () => {
    await sendEvent({ identifier: 'keep', 'payload[value]': '10' });
    await sendEvent({ identifier: 'drop', 'payload[value]': '4' });

    const adjustment = await rawStripeCall(emulator.url, {
      path: '/v1/billing/meter_event_adjustments',
      apiKey: KEY,
      form: { event_name: 'api_calls', type: 'cancel', 'cancel[identifier]': 'drop' },
    });
    const meterId = emulator.accounts()[0]?.meters.find((meter) => meter.event_name === 'api_calls')?.id ?? '';
    const hour = Math.floor(NOW / 3600) * 3600;
    emulator.advanceClock(DEFAULT_INGESTION_DELAY_MS);
    const summaries = await rawStripeCall(emulator.url, {
      path: `/v1/billing/meters/${meterId}/event_summaries?customer=cus_A&start_time=${hour - 3600}&end_time=${hour + 3600}`,
      apiKey: KEY,
    });

    expect(adjustment.status).toBe(200);
    expect(adjustment.body).toEqual({
      object: 'billing.meter_event_adjustment',
      cancel: { identifier: 'drop' },
      event_name: 'api_calls',
      livemode: false,
      status: 'complete',
      type: 'cancel',
    });
    expect(emulator.totals(KEY)).toEqual([expect.objectContaining({ total: 10, eventCount: 1 })]);
    expect(emulator.meterEvents({ account: KEY, includeCancelled: true })).toHaveLength(2);
    expect(summaries.body['data']).toEqual([
      expect.objectContaining({ object: 'billing.meter_event_summary', aggregated_value: 10, meter: meterId }),
    ]);
  });

  it('rejects cancelling an unknown identifier or the same event twice', async () => {
    await sendEvent({ identifier: 'once' });
    const cancel = (identifier: string): Promise<RawStripeResponse> =>
      rawStripeCall(emulator.url, {
        path: '/v1/billing/meter_event_adjustments',
        apiKey: KEY,
        form: { event_name: 'api_calls', type: 'cancel', 'cancel[identifier]': identifier },
      });

    const unknown = await cancel('never-sent');
    const first = await cancel('once');
    const second = await cancel('once');

    expect(unknown.status).toBe(400);
    expect(first.status).toBe(200);
    expect(second.status).toBe(400);
    expect(errorOf(second)).toMatchObject({ param: 'cancel[identifier]' });
  });

  it('rejects a cancellation sent more than 24 hours after the event', async () => {
    await sendEvent({ identifier: 'old' });
    emulator.advanceClock((DAY + 1) * 1000);

    const response = await rawStripeCall(emulator.url, {
      path: '/v1/billing/meter_event_adjustments',
      apiKey: KEY,
      form: { event_name: 'api_calls', type: 'cancel', 'cancel[identifier]': 'old' },
    });

    expect(response.status).toBe(400);
  });

  it('groups event summaries by hour, newest first', async () => {
    const hour = Math.floor(NOW / 3600) * 3600;
    await sendEvent({ identifier: 'h1', timestamp: String(hour - 3600 + 10), 'payload[value]': '2' });
    await sendEvent({ identifier: 'h2', timestamp: String(hour + 10), 'payload[value]': '3' });
    await sendEvent({ identifier: 'h3', timestamp: String(hour + 20), 'payload[value]': '4' });
    const meterId = emulator.accounts()[0]?.meters.find((meter) => meter.event_name === 'api_calls')?.id ?? '';
    emulator.advanceClock(DEFAULT_INGESTION_DELAY_MS);

    const response = await rawStripeCall(emulator.url, {
      path: `/v1/billing/meters/${meterId}/event_summaries?customer=cus_A&start_time=${hour - 3600}&end_time=${hour + 3600}&value_grouping_window=hour`,
      apiKey: KEY,
    });

    expect(response.body['data']).toEqual([
      expect.objectContaining({ start_time: hour, end_time: hour + 3600, aggregated_value: 7 }),
      expect.objectContaining({ start_time: hour - 3600, end_time: hour, aggregated_value: 2 }),
    ]);
  });

  it('answers 409 while another event for the same customer and meter is in flight', async () => {
    emulator.injectFault({ kind: 'latency', latencyMs: 150, times: 1, pathPrefix: '/v1/billing/meter_events' });

    const [slow, concurrent, otherCustomer] = await Promise.all([
      sendEvent({ identifier: 'c1' }),
      sendLater(40, () => sendEvent({ identifier: 'c2' })),
      sendLater(40, () => sendEvent({ identifier: 'c3', 'payload[stripe_customer_id]': 'cus_B' })),
    ]);

    expect(slow.status).toBe(200);
    expect(concurrent.status).toBe(409);
    expect(concurrent.headers.get('stripe-should-retry')).toBe('true');
    expect(otherCustomer.status).toBe(200);
  });
});
