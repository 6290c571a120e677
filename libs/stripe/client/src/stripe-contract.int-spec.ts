import { randomUUID } from 'node:crypto';
import { type RunningStripeEmulator, startStripeEmulator } from '@flexsync/stripe-emulator';
import { StripeAccountClient } from './stripe-account-client';

/**
 * Contract: every request shape this lib sends is one Stripe's API spec
 * accepts (stripe-mock validates against it), a malformed one is refused, and
 * the emulator the other tests rely on agrees with stripe-mock on both.
 */

const STRIPE_MOCK_URL = process.env['STRIPE_MOCK_URL'] ?? 'http://127.0.0.1:12111';
// stripe-mock accepts any key shaped like a test secret key with three `_` parts.
const STRIPE_MOCK_KEY = 'sk_test_123';
const EMULATOR_KEY = 'sk_test_contract';
const EVENT_NAME = 'api_calls';

type Outcome = 'accepted' | 'rejected';

interface Target {
  name: 'stripe-mock' | 'emulator';
  baseUrl: string;
  apiKey: string;
}

interface RawCase {
  description: string;
  method: 'GET' | 'POST';
  path: string;
  form?: Record<string, string>;
}

async function rawOutcome(target: Target, call: RawCase): Promise<{ outcome: Outcome; status: number; type: unknown }> {
  const query = call.method === 'GET' && call.form !== undefined ? `?${new URLSearchParams(call.form).toString()}` : '';
  const response = await fetch(`${target.baseUrl}${call.path}${query}`, {
    method: call.method,
    headers: { Authorization: `Bearer ${target.apiKey}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    ...(call.method === 'POST' ? { body: new URLSearchParams(call.form ?? {}).toString() } : {}),
  });
  const body = (await response.json()) as { error?: { type?: unknown } };
  return { outcome: response.ok ? 'accepted' : 'rejected', status: response.status, type: body.error?.type };
}

async function clientOutcome(run: () => Promise<unknown>): Promise<Outcome | string> {
  try {
    await run();
    return 'accepted';
  } catch (error) {
    return `rejected: ${error instanceof Error ? error.message : String(error)}`;
  }
}

describe('Stripe request contract: stripe-mock and the emulator agree', () => {
  let emulator: RunningStripeEmulator;
  let targets: Target[];

  beforeAll(async () => {
    const probe = await fetch(`${STRIPE_MOCK_URL}/v1/balance`, { headers: { Authorization: `Bearer ${STRIPE_MOCK_KEY}` } }).catch(
      (error: unknown) => {
        throw new Error(`stripe-mock is not reachable at ${STRIPE_MOCK_URL} (start the stack: npm run stack -- up): ${String(error)}`);
      },
    );
    expect(probe.status).toBe(200);
    emulator = await startStripeEmulator({ accounts: [{ apiKeys: [EMULATOR_KEY], meters: [{ eventName: EVENT_NAME }] }] });
    targets = [
      { name: 'stripe-mock', baseUrl: STRIPE_MOCK_URL, apiKey: STRIPE_MOCK_KEY },
      { name: 'emulator', baseUrl: emulator.url, apiKey: EMULATOR_KEY },
    ];
  });

  afterAll(async () => {
    await emulator.close();
  });

  function clients(): Array<[Target['name'], StripeAccountClient]> {
    return targets.map((target) => [target.name, new StripeAccountClient({ apiKey: target.apiKey, baseUrl: target.baseUrl })]);
  }

  async function outcomesOf(run: (client: StripeAccountClient) => Promise<unknown>): Promise<Record<string, Outcome | string>> {
    const results: Record<string, Outcome | string> = {};
    for (const [name, client] of clients()) {
      results[name] = await clientOutcome(() => run(client));
    }
    return results;
  }

  it('accepts the balance check', async () => {
    expect(await outcomesOf((client) => client.retrieveBalance())).toEqual({ 'stripe-mock': 'accepted', emulator: 'accepted' });
  });

  it('reads the account the key belongs to (GET /v1/account)', async () => {
    expect(await outcomesOf((client) => client.retrieveAccount())).toEqual({ 'stripe-mock': 'accepted', emulator: 'accepted' });
    for (const [, client] of clients()) expect((await client.retrieveAccount()).id).toMatch(/^acct_/);
  });

  it('accepts the meter event create the client sends', async () => {
    const identifier = `flexprice_contract_${randomUUID()}`;

    const outcomes = await outcomesOf((client) =>
      client.createMeterEvent({
        eventName: EVENT_NAME,
        stripeCustomerId: 'cus_contract',
        value: 25,
        identifier,
        timestamp: new Date(Date.now() - 60_000),
      }),
    );

    expect(outcomes).toEqual({ 'stripe-mock': 'accepted', emulator: 'accepted' });
  });

  it('accepts the negative correction the sync pipeline sends when usage shrinks after a push', async () => {
    const outcomes = await outcomesOf((client) =>
      client.createMeterEvent({
        eventName: EVENT_NAME,
        stripeCustomerId: 'cus_contract',
        value: -7,
        identifier: `flexprice_contract_${randomUUID()}`,
        timestamp: new Date(Date.now() - 60_000),
      }),
    );

    expect(outcomes).toEqual({ 'stripe-mock': 'accepted', emulator: 'accepted' });
  });

  it('accepts the cancel adjustment the client sends', async () => {
    const identifier = `flexprice_contract_${randomUUID()}`;
    const outcomes = await outcomesOf(async (client) => {
      await client.createMeterEvent({
        eventName: EVENT_NAME,
        stripeCustomerId: 'cus_contract',
        value: 3,
        identifier,
        timestamp: new Date(Date.now() - 60_000),
      });
      return client.cancelMeterEvent({ eventName: EVENT_NAME, identifier });
    });

    expect(outcomes).toEqual({ 'stripe-mock': 'accepted', emulator: 'accepted' });
  });

  it('accepts the meters list the client sends, with and without a status filter', async () => {
    expect(await outcomesOf((client) => client.listMeters())).toEqual({ 'stripe-mock': 'accepted', emulator: 'accepted' });
    expect(await outcomesOf((client) => client.listMeters({ status: 'active' }))).toEqual({
      'stripe-mock': 'accepted',
      emulator: 'accepted',
    });
  });

  it('accepts the event summaries request the client sends, per hour, per day and over the whole range', async () => {
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const day = Math.floor(Date.now() / 86_400_000) * 86_400_000;
    const emulatorMeterId = emulator.accounts()[0]?.meters[0]?.id ?? '';
    const results: Record<string, Array<Outcome | string>> = {};
    for (const [name, client] of clients()) {
      const meterId = name === 'emulator' ? emulatorMeterId : 'mtr_contract';
      results[name] = [
        await clientOutcome(() =>
          client.listMeterEventSummaries({
            meterId,
            stripeCustomerId: 'cus_contract',
            startTime: new Date(hour - 3 * 3_600_000),
            endTime: new Date(hour),
            groupBy: 'hour',
          }),
        ),
        await clientOutcome(() =>
          client.listMeterEventSummaries({
            meterId,
            stripeCustomerId: 'cus_contract',
            startTime: new Date(day - 86_400_000),
            endTime: new Date(day),
            groupBy: 'day',
          }),
        ),
        await clientOutcome(() =>
          client.listMeterEventSummaries({
            meterId,
            stripeCustomerId: 'cus_contract',
            startTime: new Date(hour - 60_000),
            endTime: new Date(hour),
          }),
        ),
      ];
    }

    expect(results).toEqual({ 'stripe-mock': ['accepted', 'accepted', 'accepted'], emulator: ['accepted', 'accepted', 'accepted'] });
  });

  it.each<{ description: string; form: Record<string, string> }>([
    { description: 'without customer', form: { start_time: '1700000000', end_time: '1700003600' } },
    { description: 'without start_time', form: { customer: 'cus_contract', end_time: '1700003600' } },
    {
      description: 'with an unknown grouping window',
      form: { customer: 'cus_contract', start_time: '1699999200', end_time: '1700002800', value_grouping_window: 'week' },
    },
  ])('rejects an event summaries request $description with 400 invalid_request_error on both', async ({ form }) => {
    const results: Record<string, unknown> = {};
    for (const target of targets) {
      const meterId = target.name === 'emulator' ? (emulator.accounts()[0]?.meters[0]?.id ?? '') : 'mtr_contract';
      results[target.name] = await rawOutcome(target, {
        description: 'summaries',
        method: 'GET',
        path: `/v1/billing/meters/${meterId}/event_summaries`,
        form,
      });
    }

    const expected = { outcome: 'rejected', status: 400, type: 'invalid_request_error' };
    expect(results).toEqual({ 'stripe-mock': expected, emulator: expected });
  });

  const validMeterEvent = {
    event_name: EVENT_NAME,
    'payload[stripe_customer_id]': 'cus_contract',
    'payload[value]': '1',
  };

  const malformed: RawCase[] = [
    {
      description: 'a meter event without event_name',
      method: 'POST',
      path: '/v1/billing/meter_events',
      form: { 'payload[stripe_customer_id]': 'cus_contract', 'payload[value]': '1' },
    },
    {
      description: 'a meter event without payload',
      method: 'POST',
      path: '/v1/billing/meter_events',
      form: { event_name: EVENT_NAME },
    },
    {
      description: 'a meter event with an unknown parameter',
      method: 'POST',
      path: '/v1/billing/meter_events',
      form: { ...validMeterEvent, customer_name: 'Ada' },
    },
    {
      description: 'a meter event with a non-numeric timestamp',
      method: 'POST',
      path: '/v1/billing/meter_events',
      form: { ...validMeterEvent, timestamp: 'yesterday' },
    },
    {
      description: 'an adjustment without type',
      method: 'POST',
      path: '/v1/billing/meter_event_adjustments',
      form: { event_name: EVENT_NAME, 'cancel[identifier]': 'whatever' },
    },
    {
      description: 'an adjustment of an unknown type',
      method: 'POST',
      path: '/v1/billing/meter_event_adjustments',
      form: { event_name: EVENT_NAME, type: 'refund', 'cancel[identifier]': 'whatever' },
    },
    {
      description: 'a meters list with a non-numeric limit',
      method: 'GET',
      path: '/v1/billing/meters',
      form: { limit: 'many' },
    },
    {
      description: 'a meters list with an unknown status',
      method: 'GET',
      path: '/v1/billing/meters',
      form: { status: 'archived' },
    },
    {
      description: 'a balance request with an unknown parameter',
      method: 'GET',
      path: '/v1/balance',
      form: { currency: 'usd' },
    },
  ];

  it.each(malformed)('rejects $description with 400 invalid_request_error on both', async (call) => {
    const results: Record<string, unknown> = {};
    for (const target of targets) {
      results[target.name] = await rawOutcome(target, call);
    }

    const expected = { outcome: 'rejected', status: 400, type: 'invalid_request_error' };
    expect(results).toEqual({ 'stripe-mock': expected, emulator: expected });
  });

  it('accepts the raw form of a well-formed meter event on both, as a control for the rejections', async () => {
    const results: Record<string, unknown> = {};
    for (const target of targets) {
      results[target.name] = (
        await rawOutcome(target, {
          description: 'valid',
          method: 'POST',
          path: '/v1/billing/meter_events',
          form: { ...validMeterEvent, identifier: `flexprice_contract_${randomUUID()}` },
        })
      ).outcome;
    }

    expect(results).toEqual({ 'stripe-mock': 'accepted', emulator: 'accepted' });
  });
});
