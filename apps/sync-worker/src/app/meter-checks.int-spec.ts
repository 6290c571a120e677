import { randomUUID } from 'node:crypto';
import { uniqueTenant } from '@flexsync/testing';
import { HOUR_MS, hourAgo, testApiKey, useSyncHarness } from '../testing/sync-harness';

/** Before a push, each mapped Stripe meter must exist, be active and aggregate with `sum`; other rows fail, unsent. */
describe('StripeEventSyncWorkflow: Stripe meter checks before the push', () => {
  const spec = useSyncHarness();

  it('sends only to usable meters (resolving a meter id to its event_name) and fails the others with the reason, listing meters once per run', async () => {
    const tenant = uniqueTenant('meter_checks');
    const apiKey = testApiKey('meter_checks');
    const suffix = randomUUID().replaceAll('-', '').slice(0, 10);
    spec.emulator.addAccount({
      apiKeys: [apiKey],
      meters: [
        { eventName: 'api_calls' },
        { id: `mtr_storage${suffix}`, eventName: 'storage_gb' },
        { id: `mtr_seats${suffix}`, eventName: 'seats.peak', formula: 'last' },
        { id: `mtr_retired${suffix}`, eventName: 'meter.retired', status: 'inactive' },
      ],
    });
    await spec.harness.seedTenant(tenant, {
      apiKey,
      meters: [
        { meterId: 'meter_api', eventName: 'api_calls' },
        { meterId: 'meter_storage', eventName: `mtr_storage${suffix}` },
        { meterId: 'meter_seats', eventName: 'seats.peak' },
        { meterId: 'meter_retired', eventName: `mtr_retired${suffix}` },
        { meterId: 'meter_gone', eventName: 'meter.gone' },
      ],
      customers: [{ customerId: 'client_a', stripeCustomerId: 'cus_a' }],
    });
    const first = hourAgo(3);
    const meters = ['meter_api', 'meter_storage', 'meter_seats', 'meter_retired', 'meter_gone'];
    await spec.harness.insertUsage(
      tenant,
      [first, new Date(first.getTime() + HOUR_MS)].flatMap((window) =>
        meters.map((meterId) => ({ customerId: 'client_a', meterId, quantity: '4', at: new Date(window.getTime() + 60_000) })),
      ),
    );

    const result = await spec.harness.runSync(
      { ...tenant, timeFrom: first.toISOString(), timeTo: new Date(first.getTime() + 2 * HOUR_MS).toISOString() },
      spec.harness.pipeline().activities,
    );

    expect(result.windows.map((window) => [window.completed, window.failed])).toEqual([
      [2, 3],
      [2, 3],
    ]);
    const reasons = new Map((await spec.harness.ledger(tenant)).map((row) => [row.meterId, [row.syncStatus, row.errorMessage, row.eventName]]));
    expect(Object.fromEntries(reasons)).toEqual({
      meter_api: ['completed', null, 'api_calls'],
      meter_storage: ['completed', null, 'storage_gb'],
      meter_seats: [
        'failed',
        `meter formula last is not sum: Stripe meter mtr_seats${suffix} (event_name 'seats.peak') aggregates with 'last', ` +
          "but the sync sends usage deltas that only a 'sum' meter adds up",
        null,
      ],
      meter_retired: ['failed', `meter inactive: Stripe meter mtr_retired${suffix} (event_name 'meter.retired') is inactive`, null],
      meter_gone: ['failed', "meter not found: no Stripe meter has id or event_name 'meter.gone'", null],
    });
    const sent = spec.emulator.meterEvents({ account: apiKey });
    expect(new Set(sent.map((event) => event.eventName))).toEqual(new Set(['api_calls', 'storage_gb']));
    expect(sent).toHaveLength(4);
    // Two windows, two push pages, one listing of the account's meters.
    expect(spec.emulator.requests({ account: apiKey, pathPrefix: '/v1/billing/meters' })).toHaveLength(1);
  });
});
