import { errorOf, rawStripeCall } from './raw-stripe-call';
import { type RunningStripeEmulator, startStripeEmulator } from './stripe-emulator';

const KEY = 'sk_test_objects';

describe('stripe emulator: meters and customers', () => {
  let emulator: RunningStripeEmulator;

  beforeEach(async () => {
    emulator = await startStripeEmulator({ accounts: [{ apiKeys: [KEY] }] });
  });

  afterEach(async () => {
    await emulator.close();
  });

  function createMeter(eventName: string): Promise<Record<string, unknown>> {
    return rawStripeCall(emulator.url, {
      path: '/v1/billing/meters',
      apiKey: KEY,
      form: {
        display_name: `Meter ${eventName}`,
        event_name: eventName,
        'default_aggregation[formula]': 'sum',
        'customer_mapping[event_payload_key]': 'stripe_customer_id',
        'customer_mapping[type]': 'by_id',
        'value_settings[event_payload_key]': 'value',
      },
    }).then((response) => response.body);
  }

  it("creates a meter from Stripe's form parameters", async () => {
    const meter = await createMeter('api_calls');

    expect(meter).toEqual({
      id: expect.stringMatching(/^mtr_/),
      object: 'billing.meter',
      created: expect.any(Number),
      customer_mapping: { event_payload_key: 'stripe_customer_id', type: 'by_id' },
      default_aggregation: { formula: 'sum' },
      display_name: 'Meter api_calls',
      event_name: 'api_calls',
      event_time_window: null,
      livemode: false,
      status: 'active',
      status_transitions: { deactivated_at: null },
      updated: expect.any(Number),
      value_settings: { event_payload_key: 'value' },
    });
  });

  it('refuses a second meter for the same event name', async () => {
    await createMeter('api_calls');
    const second = await rawStripeCall(emulator.url, {
      path: '/v1/billing/meters',
      apiKey: KEY,
      form: { display_name: 'again', event_name: 'api_calls', 'default_aggregation[formula]': 'sum' },
    });

    expect(second.status).toBe(400);
    expect(errorOf(second)).toMatchObject({ param: 'event_name' });
  });

  it('rejects an unknown aggregation formula', async () => {
    const response = await rawStripeCall(emulator.url, {
      path: '/v1/billing/meters',
      apiKey: KEY,
      form: { display_name: 'x', event_name: 'x', 'default_aggregation[formula]': 'median' },
    });

    expect(response.status).toBe(400);
    expect(errorOf(response)).toMatchObject({ param: 'default_aggregation[formula]' });
  });

  it('pages through meters newest first with limit, starting_after and has_more', async () => {
    for (const name of ['m1', 'm2', 'm3']) {
      await createMeter(name);
    }

    const first = await rawStripeCall(emulator.url, { path: '/v1/billing/meters?limit=2', apiKey: KEY });
    const data = first.body['data'] as Array<{ id: string; event_name: string }>;
    const second = await rawStripeCall(emulator.url, {
      path: `/v1/billing/meters?limit=2&starting_after=${data[1]?.id ?? ''}`,
      apiKey: KEY,
    });

    expect(first.body).toMatchObject({ object: 'list', has_more: true, url: '/v1/billing/meters' });
    expect(data.map((meter) => meter.event_name)).toEqual(['m3', 'm2']);
    expect(second.body).toMatchObject({ has_more: false, data: [expect.objectContaining({ event_name: 'm1' })] });
  });

  it('deactivates and reactivates a meter, and filters the list by status', async () => {
    const meter = await createMeter('api_calls');
    await createMeter('other');
    const id = String(meter['id']);

    const deactivated = await rawStripeCall(emulator.url, { method: 'POST', path: `/v1/billing/meters/${id}/deactivate`, apiKey: KEY });
    const inactive = await rawStripeCall(emulator.url, { path: '/v1/billing/meters?status=inactive', apiKey: KEY });
    const reactivated = await rawStripeCall(emulator.url, { method: 'POST', path: `/v1/billing/meters/${id}/reactivate`, apiKey: KEY });

    expect(deactivated.body).toMatchObject({ status: 'inactive', status_transitions: { deactivated_at: expect.any(Number) } });
    expect(inactive.body['data']).toEqual([expect.objectContaining({ id })]);
    expect(reactivated.body).toMatchObject({ status: 'active', status_transitions: { deactivated_at: null } });
  });

  it("answers Stripe's resource_missing for an unknown meter", async () => {
    const response = await rawStripeCall(emulator.url, { path: '/v1/billing/meters/mtr_missing', apiKey: KEY });

    expect(response.status).toBe(404);
    expect(errorOf(response)).toMatchObject({ type: 'invalid_request_error', code: 'resource_missing', param: 'id' });
  });

  it('creates, retrieves, lists, updates and deletes customers with metadata', async () => {
    const created = await rawStripeCall(emulator.url, {
      path: '/v1/customers',
      apiKey: KEY,
      form: { email: 'ada@example.com', name: 'Ada', 'metadata[flexprice_customer_id]': 'fx_cust_1' },
    });
    const id = String(created.body['id']);
    const retrieved = await rawStripeCall(emulator.url, { path: `/v1/customers/${id}`, apiKey: KEY });
    const listed = await rawStripeCall(emulator.url, { path: '/v1/customers?email=ada@example.com', apiKey: KEY });
    const updated = await rawStripeCall(emulator.url, {
      path: `/v1/customers/${id}`,
      apiKey: KEY,
      form: { 'metadata[flexprice_customer_id]': '', 'metadata[tier]': 'gold' },
    });
    const deleted = await rawStripeCall(emulator.url, { method: 'DELETE', path: `/v1/customers/${id}`, apiKey: KEY });
    const gone = await rawStripeCall(emulator.url, { path: `/v1/customers/${id}`, apiKey: KEY });

    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^cus_/),
      object: 'customer',
      email: 'ada@example.com',
      metadata: { flexprice_customer_id: 'fx_cust_1' },
    });
    expect(retrieved.body).toEqual(created.body);
    expect(listed.body['data']).toEqual([expect.objectContaining({ id })]);
    expect(updated.body['metadata']).toEqual({ tier: 'gold' });
    expect(deleted.body).toEqual({ id, object: 'customer', deleted: true });
    expect(gone.status).toBe(404);
  });
});
