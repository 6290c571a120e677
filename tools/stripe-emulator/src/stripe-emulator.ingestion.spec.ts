import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { handleAdminRequest } from './admin-api';
import { METER_ERROR_REPORT_EVENT, NO_METER_FOUND_EVENT } from './meter-error-reports';
import { errorOf, rawStripeCall, type RawStripeResponse } from './raw-stripe-call';
import { type RunningStripeEmulator, startStripeEmulator } from './stripe-emulator';

const KEY = 'sk_test_ingestion';
const NOW_MS = Date.UTC(2026, 10, 1, 12, 0, 0);
const HOUR = Math.floor(NOW_MS / 1000 / 3600) * 3600;
const WEBHOOK_SECRET = 'whsec_ingestion_spec';

interface ReceivedWebhook {
  signature: string;
  body: string;
}

async function startReceiver(): Promise<{ url: string; received: ReceivedWebhook[]; close: () => Promise<void> }> {
  const received: ReceivedWebhook[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ signature: String(request.headers['stripe-signature']), body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/stripe/t/e`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('stripe emulator: asynchronous ingestion, formulas and error reports', () => {
  let emulator: RunningStripeEmulator;

  beforeEach(async () => {
    emulator = await startStripeEmulator({
      now: () => NOW_MS,
      ingestionDelayMs: 5_000,
      accounts: [
        {
          apiKeys: [KEY],
          meters: [{ eventName: 'tokens' }, { eventName: 'requests', formula: 'count' }, { eventName: 'seats', formula: 'last' }],
        },
      ],
    });
  });

  afterEach(async () => {
    await emulator.close();
  });

  function meterId(eventName: string): string {
    return emulator.accounts()[0]?.meters.find((meter) => meter.event_name === eventName)?.id ?? '';
  }

  function send(eventName: string, identifier: string, value: string, timestamp: number, customer = 'cus_A'): Promise<RawStripeResponse> {
    return rawStripeCall(emulator.url, {
      path: '/v1/billing/meter_events',
      apiKey: KEY,
      form: {
        event_name: eventName,
        identifier,
        timestamp: String(timestamp),
        'payload[stripe_customer_id]': customer,
        'payload[value]': value,
      },
    });
  }

  function summaries(eventName: string, query: string): Promise<RawStripeResponse> {
    return rawStripeCall(emulator.url, { path: `/v1/billing/meters/${meterId(eventName)}/event_summaries?${query}`, apiKey: KEY });
  }

  function hourSummaries(eventName: string, customer = 'cus_A'): Promise<RawStripeResponse> {
    return summaries(eventName, `customer=${customer}&start_time=${HOUR - 3600}&end_time=${HOUR}&value_grouping_window=hour`);
  }

  it('counts an accepted event in summaries only once the ingestion delay has passed', async () => {
    await send('tokens', 'ev-1', '7', HOUR - 60);

    const during = await hourSummaries('tokens');
    emulator.advanceClock(4_999);
    const justBefore = await hourSummaries('tokens');
    emulator.advanceClock(1);
    const after = await hourSummaries('tokens');

    expect(during.body['data']).toEqual([expect.objectContaining({ aggregated_value: 0 })]);
    expect(justBefore.body['data']).toEqual([expect.objectContaining({ aggregated_value: 0 })]);
    expect(after.body['data']).toEqual([
      {
        id: expect.stringMatching(/^mtrusg_/) as unknown,
        object: 'billing.meter_event_summary',
        aggregated_value: 7,
        start_time: HOUR - 3600,
        end_time: HOUR,
        livemode: false,
        meter: meterId('tokens'),
      },
    ]);
  });

  it('aggregates with the meter formula: count counts events, last takes the latest value', async () => {
    await send('requests', 'r-1', '10', HOUR - 300);
    await send('requests', 'r-2', '20', HOUR - 200);
    await send('seats', 's-1', '5', HOUR - 100);
    await send('seats', 's-2', '3', HOUR - 300);
    emulator.advanceClock(5_000);

    const count = await hourSummaries('requests');
    const last = await hourSummaries('seats');

    expect(count.body['data']).toEqual([expect.objectContaining({ aggregated_value: 2 })]);
    expect(last.body['data']).toEqual([expect.objectContaining({ aggregated_value: 5 })]);
  });

  it.each([
    ['start_time', `customer=cus_A&start_time=${HOUR - 3599}&end_time=${HOUR}&value_grouping_window=hour`],
    ['end_time', `customer=cus_A&start_time=${HOUR - 3600}&end_time=${HOUR - 30}`],
    ['start_time', `customer=cus_A&start_time=${HOUR}&end_time=${HOUR}`],
  ])('rejects a %s not aligned to the grouping window or not before end_time with 400', async (param, query) => {
    const response = await summaries('tokens', query);

    expect(response.status).toBe(400);
    expect(errorOf(response)).toMatchObject({ type: 'invalid_request_error', param });
  });

  it('rejects a summaries request without customer with parameter_missing', async () => {
    const response = await summaries('tokens', `start_time=${HOUR - 3600}&end_time=${HOUR}`);

    expect(response.status).toBe(400);
    expect(errorOf(response)).toMatchObject({ code: 'parameter_missing', param: 'customer' });
  });

  it('rejects, after the delay, events of a meter deactivated meanwhile and reports them in a signed error report', async () => {
    const receiver = await startReceiver();
    try {
      emulator.configureIngestion({ errorReportWebhook: { url: receiver.url, secret: WEBHOOK_SECRET } });
      await send('tokens', 'lost-1', '4', HOUR - 60);
      await send('tokens', 'lost-2', '6', HOUR - 50);
      await rawStripeCall(emulator.url, { path: `/v1/billing/meters/${meterId('tokens')}/deactivate`, apiKey: KEY, form: {} });
      emulator.advanceClock(5_000);

      const deliveries = await emulator.settleIngestion();

      expect(deliveries).toEqual([expect.objectContaining({ meterId: meterId('tokens'), identifiers: ['lost-1', 'lost-2'], status: 200 })]);
      expect(receiver.received).toHaveLength(1);
      const [webhook] = receiver.received;
      const event = Stripe.webhooks.constructEvent(webhook?.body ?? '', webhook?.signature ?? '', WEBHOOK_SECRET);
      expect(event.type).toBe(METER_ERROR_REPORT_EVENT);
      expect(event.data.object).toMatchObject({
        meter: meterId('tokens'),
        reason: {
          error_count: 2,
          error_types: [
            {
              code: 'archived_meter',
              error_count: 2,
              sample_errors: [
                expect.objectContaining({ request: { identifier: 'lost-1' } }),
                expect.objectContaining({ request: { identifier: 'lost-2' } }),
              ],
            },
          ],
        },
      });
      expect(emulator.totals(KEY)).toEqual([]);
      expect(emulator.meterEvents({ account: KEY })).toEqual([
        expect.objectContaining({
          identifier: 'lost-1',
          ingestion: 'rejected',
          rejection: expect.objectContaining({ code: 'archived_meter' }) as unknown,
        }),
        expect.objectContaining({ identifier: 'lost-2', ingestion: 'rejected' }),
      ]);
    } finally {
      await receiver.close();
    }
  });

  it('reports v2 stream events it dropped: no_meter_found for an unknown event name, an error report per meter otherwise', async () => {
    const receiver = await startReceiver();
    try {
      emulator.configureIngestion({ errorReportWebhook: { url: receiver.url, secret: WEBHOOK_SECRET } });
      const session = await rawStripeCall(emulator.url, { path: '/v2/billing/meter_event_session', apiKey: KEY, json: {} });
      const timestamp = new Date(NOW_MS - 60_000).toISOString();
      const streamed = await rawStripeCall(emulator.url, {
        path: '/v2/billing/meter_event_stream',
        apiKey: String(session.body['authentication_token']),
        json: {
          events: [
            { event_name: 'nope', identifier: 'st-nope', timestamp, payload: { stripe_customer_id: 'cus_A', value: '1' } },
            { event_name: 'tokens', identifier: 'st-bad', timestamp, payload: { stripe_customer_id: 'cus_A', value: '1.5' } },
            { event_name: 'tokens', identifier: 'st-ok', timestamp, payload: { stripe_customer_id: 'cus_A', value: '2' } },
          ],
        },
      });

      const deliveries = await emulator.settleIngestion();

      expect(streamed.status).toBe(202);
      expect(deliveries).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ type: NO_METER_FOUND_EVENT, meterId: null, identifiers: ['st-nope'], status: 200 }),
          expect.objectContaining({ type: METER_ERROR_REPORT_EVENT, meterId: meterId('tokens'), identifiers: ['st-bad'], status: 200 }),
        ]),
      );
      expect(deliveries).toHaveLength(2);
      // Stripe's typed union of snapshot events does not list the v1.billing.meter.* (thin) types: read them as JSON.
      const reports = receiver.received.map((webhook) => {
        Stripe.webhooks.constructEvent(webhook.body, webhook.signature, WEBHOOK_SECRET);
        return JSON.parse(webhook.body) as { type: string; data: { object: unknown } };
      });
      expect(reports.find((report) => report.type === METER_ERROR_REPORT_EVENT)?.data.object).toMatchObject({
        reason: { error_types: [{ code: 'meter_event_invalid_value', error_count: 1 }] },
      });
    } finally {
      await receiver.close();
    }
  });

  it('rejects events for a customer the account does not hold when configured, counting the others', async () => {
    const customer = await rawStripeCall(emulator.url, { path: '/v1/customers', apiKey: KEY, form: { email: 'a@example.com' } });
    const known = String(customer.body['id']);
    emulator.configureIngestion({ rejectUnknownCustomers: true });
    await send('tokens', 'known-1', '3', HOUR - 60, known);
    await send('tokens', 'ghost-1', '9', HOUR - 60, 'cus_ghost');
    emulator.advanceClock(5_000);

    const knownSummary = await hourSummaries('tokens', known);
    const ghostSummary = await hourSummaries('tokens', 'cus_ghost');

    expect(knownSummary.body['data']).toEqual([expect.objectContaining({ aggregated_value: 3 })]);
    expect(ghostSummary.body['data']).toEqual([expect.objectContaining({ aggregated_value: 0 })]);
    expect(emulator.meterEvents({ account: KEY, customer: 'cus_ghost' })).toEqual([
      expect.objectContaining({ rejection: expect.objectContaining({ code: 'meter_event_customer_not_found' }) as unknown }),
    ]);
  });

  it('configures ingestion through the admin API and refuses a bad delay with 400', async () => {
    const configured = await handleAdminRequest(emulator, 'POST', '/__admin/ingestion', new URLSearchParams(), '{"delayMs":0}');
    const bad = await handleAdminRequest(emulator, 'POST', '/__admin/ingestion', new URLSearchParams(), '{"delayMs":-1}');
    await send('tokens', 'now-1', '2', HOUR - 60);
    const immediate = await hourSummaries('tokens');
    emulator.reset();

    expect(configured).toEqual({ status: 200, body: { delayMs: 0, rejectUnknownCustomers: false, errorReportWebhook: null } });
    expect(bad.status).toBe(400);
    expect(immediate.body['data']).toEqual([expect.objectContaining({ aggregated_value: 2 })]);
    expect(emulator.ingestion().delayMs).toBe(5_000);
  });
});
