import { edgeTenant, stripeTotals } from '../testing/edge-tenant';
import { useSyncHarness } from '../testing/sync-harness';

/** Design rule 11, second half: Stripe replays a saved 5xx for the same Idempotency-Key, so a retry needs a fresh one. */
describe('StripeEventSyncWorkflow: retries after a 5xx', () => {
  const spec = useSyncHarness();

  it('retries a push after a 5xx under a fresh Idempotency-Key with the same identifier, and it lands once', async () => {
    const { tenant, apiKey, range } = await edgeTenant(spec, 'fivexx');
    spec.emulator.injectFault({ kind: 'status', status: 500, times: 1, account: apiKey, pathPrefix: '/v1/billing/meter_events' });

    const { activities, registry } = spec.harness.pipeline();
    const result = await spec.harness.runSync(range, activities);

    expect(result.windows[0]).toMatchObject({ completed: 2, failed: 0 });
    const calls = spec.emulator.requests({ account: apiKey, pathPrefix: '/v1/billing/meter_events' });
    const failed = calls.find((call) => call.status === 500);
    expect(failed).toBeDefined();
    const ledger = await spec.harness.ledger(tenant);
    const failedRow = ledger.find((row) => failed?.idempotencyKey?.startsWith(row.identifier));
    const retries = calls.filter((call) => call !== failed && call.idempotencyKey?.startsWith(failedRow?.identifier ?? '?'));
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ status: 200, replayed: false });
    expect(retries[0]?.idempotencyKey).not.toBe(failed?.idempotencyKey);
    expect(
      spec.emulator
        .meterEvents({ account: apiKey })
        .map((event) => event.identifier)
        .sort(),
    ).toEqual(ledger.map((row) => row.identifier).sort());
    expect(stripeTotals(spec.emulator, apiKey)).toEqual({ 'cus_a/api_calls': '5', 'cus_b/api_calls': '6' });
    // Every call waited for the account's token bucket first, the retry included.
    expect(await registry.metrics()).toMatch(/^stripe_sync_rate_limiter_wait_seconds_count 3$/m);
  });

  it('uses a fresh key on a later run too, so a push that gave up after 5xx answers is not replayed its own 500', async () => {
    const { tenant, apiKey, range } = await edgeTenant(spec, 'fivexxlater');
    const fault = spec.emulator.injectFault({ kind: 'status', status: 503, account: apiKey, pathPrefix: '/v1/billing/meter_events' });
    const { activities } = spec.harness.pipeline();
    const gaveUp = await spec.harness.runSync(range, activities);
    expect(gaveUp.windows[0]).toMatchObject({ completed: 0, failed: 2 });
    spec.emulator.removeFault(fault.id);

    const later = await spec.harness.runSync(range, activities);

    expect(later.windows[0]).toMatchObject({ completed: 2, failed: 0 });
    expect((await spec.harness.ledger(tenant)).map((row) => row.syncStatus)).toEqual(['completed', 'completed']);
    const replays = spec.emulator.requests({ account: apiKey, pathPrefix: '/v1/billing/meter_events' }).filter((call) => call.replayed);
    expect(replays).toEqual([]);
    expect(stripeTotals(spec.emulator, apiKey)).toEqual({ 'cus_a/api_calls': '5', 'cus_b/api_calls': '6' });
  });
});
