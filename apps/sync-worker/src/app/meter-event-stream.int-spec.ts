import { MeterErrorReportLedger } from '@flexsync/sync-pipeline';
import type { SyncWorkerActivities } from '@flexsync/sync-contracts';
import { uniqueTenant } from '@flexsync/testing';
import { hourAgo, testApiKey, useSyncHarness } from '../testing/sync-harness';
import { hourRange } from '../testing/edge-tenant';

const CUSTOMERS = 250;
const SESSION_TTL_MS = 15 * 60_000;

/** Issue 12: large windows go through the v2 meter event stream, validated asynchronously. */
describe('StripeEventSyncWorkflow through the v2 meter event stream', () => {
  const spec = useSyncHarness();

  it('sends a large window by stream with v1 identifiers and exact totals, survives a session expiring mid-window, and surfaces an asynchronous rejection on its row', async () => {
    const tenant = uniqueTenant('stream');
    const apiKey = testApiKey('stream');
    // `ghost_calls` has an active `sum` meter (so the push's meter check passes it) that reads the customer from another
    // payload key: the stream accepts the event and Stripe rejects it afterwards (`meter_event_no_customer_defined`).
    spec.emulator.addAccount({
      apiKeys: [apiKey],
      meters: [{ eventName: 'api_calls' }, { eventName: 'ghost_calls', customerPayloadKey: 'account_ref' }],
    });
    const customers = Array.from({ length: CUSTOMERS }, (_, c) => ({ customerId: `client_${c}`, stripeCustomerId: `cus_${c}` }));
    await spec.harness.seedTenant(tenant, {
      apiKey,
      meters: [
        { meterId: 'meter_api', eventName: 'api_calls' },
        { meterId: 'meter_ghost', eventName: 'ghost_calls' },
      ],
      customers,
    });
    const window = hourAgo(2);
    await spec.harness.insertUsage(tenant, [
      ...customers.map((customer, c) => ({ customerId: customer.customerId, meterId: 'meter_api', quantity: String(c + 1), at: window })),
      { customerId: 'client_0', meterId: 'meter_ghost', quantity: '9', at: window },
    ]);

    // One page per activity call, so the session can expire between pages.
    const { activities } = spec.harness.pipeline((settings) => ({
      ...settings,
      push: {
        ...settings.push,
        pageSize: 100,
        streamAboveRows: 50,
        streamConcurrency: 1,
        streamPagesPerCall: 1,
        streamValidationSeconds: 600,
      },
    }));
    let pages = 0;
    const expiringMidWindow: SyncWorkerActivities = {
      ...activities,
      SyncToStripeActivity: async (input) => {
        const page = await activities.SyncToStripeActivity(input);
        pages += 1;
        // Stripe's clock passes the session's 15 minutes while the client still holds its token.
        if (pages === 1) spec.emulator.advanceClock(SESSION_TTL_MS + 60_000);
        return page;
      },
    };
    const range = hourRange(tenant, window);
    const result = await spec.harness.runSync(range, expiringMidWindow);

    expect(result.windows[0]).toMatchObject({ armed: CUSTOMERS + 1, failed: 0 });
    expect(spec.emulator.requests({ account: apiKey, pathPrefix: '/v1/billing/meter_events' })).toEqual([]);
    const streamCalls = spec.emulator.requests({ account: apiKey, pathPrefix: '/v2/billing/meter_event_stream' });
    // Pages of 100, 100 and 51 rows: one request each, and the one the expired session refused.
    expect(streamCalls.filter((call) => call.status === 202)).toHaveLength(3);
    expect(streamCalls.filter((call) => call.status !== 202).map((call) => call.errorType)).toEqual(['temporary_session_expired']);
    expect(spec.emulator.requests({ account: apiKey, pathPrefix: '/v2/billing/meter_event_session' })).toHaveLength(2);

    const ledger = await spec.harness.ledger(tenant);
    expect(ledger.map((row) => row.syncStatus)).toEqual(ledger.map(() => 'validating'));
    const received = spec.emulator.meterEvents({ account: apiKey });
    expect(received.map((event) => event.identifier).sort()).toEqual(
      ledger
        .filter((row) => row.meterId === 'meter_api')
        .map((row) => row.identifier)
        .sort(),
    );
    expect(Object.fromEntries(spec.emulator.totals(apiKey).map((total) => [total.customer, total.totalExact]))).toEqual(
      Object.fromEntries(customers.map((customer, c) => [customer.stripeCustomerId, String(c + 1)])),
    );

    // Stripe's error report names the ghost event; the handler marks its row by identifier.
    const rejections = spec.emulator.streamRejections(apiKey);
    expect(rejections.map((rejection) => rejection.eventName)).toEqual(['ghost_calls']);
    const applied = await new MeterErrorReportLedger(spec.harness.db).apply({
      schema_version: 1,
      tenant_id: tenant.tenantId,
      environment_id: tenant.environmentId,
      stripe_event_id: `evt_${tenant.tenantId}`,
      event_type: 'v1.billing.meter.error_report_triggered',
      stripe_created: Math.floor(Date.now() / 1000),
      livemode: false,
      meter: null,
      error_count: rejections.length,
      samples: rejections.map((rejection) => ({
        identifier: rejection.identifier ?? '',
        code: rejection.code,
        message: rejection.message,
      })),
    });
    const marked = applied.markedRows;
    expect(marked).toBe(1);

    // Past the validation period (here 1 s) the next push activity for the tenant settles the rest (a sync limited to
    // another customer, so the rejected row is not re-armed by the aggregation meanwhile).
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const { activities: later } = spec.harness.pipeline((settings) => ({
      ...settings,
      push: { ...settings.push, streamAboveRows: 50, streamValidationSeconds: 1 },
    }));
    await spec.harness.runSync({ ...range, customerId: 'client_1' }, later);
    const settled = await spec.harness.ledger(tenant);
    const ghost = settled.find((row) => row.meterId === 'meter_ghost');
    expect(ghost).toMatchObject({ syncStatus: 'failed' });
    expect(ghost?.errorMessage).toMatch(/^stripe rejected: /);
    expect(settled.filter((row) => row.meterId === 'meter_api').map((row) => row.syncStatus)).toEqual(customers.map(() => 'completed'));
  });
  it('streams several half-size pages per activity call, committing each page while the one before it is sent, with exact totals', async () => {
    const tenant = uniqueTenant('stream_pages');
    const apiKey = testApiKey('stream_pages');
    spec.emulator.addAccount({ apiKeys: [apiKey], meters: [{ eventName: 'api_calls' }] });
    const customers = Array.from({ length: CUSTOMERS }, (_, c) => ({ customerId: `client_${c}`, stripeCustomerId: `cus_${c}` }));
    await spec.harness.seedTenant(tenant, { apiKey, meters: [{ meterId: 'meter_api', eventName: 'api_calls' }], customers });
    const window = hourAgo(2);
    await spec.harness.insertUsage(
      tenant,
      customers.map((customer, c) => ({ customerId: customer.customerId, meterId: 'meter_api', quantity: String(c + 1), at: window })),
    );

    const { activities } = spec.harness.pipeline((settings) => ({
      ...settings,
      push: { ...settings.push, pageSize: 100, streamAboveRows: 50, streamPagesPerCall: 3, streamValidationSeconds: 600 },
    }));
    const calls: { rows: number; validating: number; done: boolean }[] = [];
    const counted: SyncWorkerActivities = {
      ...activities,
      SyncToStripeActivity: async (input) => {
        const page = await activities.SyncToStripeActivity(input);
        calls.push({ rows: page.rows, validating: page.validating ?? 0, done: page.done });
        return page;
      },
    };
    const result = await spec.harness.runSync(hourRange(tenant, window), counted);

    expect(result.windows[0]).toMatchObject({ armed: CUSTOMERS, failed: 0 });
    // Pages of 50 (half of 100), three a call: 150 rows, then 100 and the last 0 rows of the window (the third page).
    expect(calls.slice(0, 2)).toEqual([
      { rows: 150, validating: 150, done: false },
      { rows: 100, validating: 100, done: true },
    ]);
    const streamCalls = spec.emulator.requests({ account: apiKey, pathPrefix: '/v2/billing/meter_event_stream' });
    expect(streamCalls.map((call) => call.status)).toEqual(Array.from({ length: 5 }, () => 202));
    const ledger = await spec.harness.ledger(tenant);
    expect(ledger.map((row) => row.syncStatus)).toEqual(ledger.map(() => 'validating'));
    expect(
      spec.emulator
        .meterEvents({ account: apiKey })
        .map((event) => event.identifier)
        .sort(),
    ).toEqual(ledger.map((row) => row.identifier).sort());
    expect(Object.fromEntries(spec.emulator.totals(apiKey).map((total) => [total.customer, total.totalExact]))).toEqual(
      Object.fromEntries(customers.map((customer, c) => [customer.stripeCustomerId, String(c + 1)])),
    );
  });
});
