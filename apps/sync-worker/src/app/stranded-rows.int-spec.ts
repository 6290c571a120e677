import type { TestTenant } from '@flexsync/testing';
import { edgeTenant, hourRange, stripeTotals } from '../testing/edge-tenant';
import { hourAgo, useSyncHarness } from '../testing/sync-harness';

interface RetryState {
  customerId: string;
  meterId: string;
  syncStatus: string;
  errorMessage: string | null;
  /** Seconds from now until the system's own next attempt; null when it will not retry on its own. */
  dueInSeconds: number | null;
}

/** Issue 8, path 2: failed rows are retried by the system itself (bounded backoff) or once their cause is fixed. */
describe('StripeEventSyncWorkflow: stranded failed rows', () => {
  const spec = useSyncHarness();

  async function retryStates(tenant: TestTenant): Promise<RetryState[]> {
    return spec.harness.db.query(
      `SELECT customer_id AS "customerId", meter_id AS "meterId", sync_status AS "syncStatus", error_message AS "errorMessage",
              extract(epoch FROM next_attempt_at - now())::float8 AS "dueInSeconds"
         FROM stripe_sync_batches WHERE tenant_id = $1 AND environment_id = $2
        ORDER BY window_start, customer_id, meter_id, revision`,
      [tenant.tenantId, tenant.environmentId],
    );
  }

  it('gives a push that failed past its attempt budget a next attempt with growing, capped backoff, cleared once it lands', async () => {
    const { tenant, apiKey, range } = await edgeTenant(spec, 'backoff');
    const fault = spec.emulator.injectFault({ kind: 'status', status: 503, account: apiKey, pathPrefix: '/v1/billing/meter_events' });
    const { activities } = spec.harness.pipeline();

    await spec.harness.runSync(range, activities);
    const first = await retryStates(tenant);
    expect(first.map((row) => row.syncStatus)).toEqual(['failed', 'failed']);
    for (const row of first) {
      expect(row.dueInSeconds).toBeGreaterThan(25);
      expect(row.dueInSeconds).toBeLessThanOrEqual(60);
    }

    await spec.harness.runSync(range, activities);
    for (const row of await retryStates(tenant)) {
      expect(row.syncStatus).toBe('failed');
      expect(row.dueInSeconds).toBeGreaterThan(55);
      expect(row.dueInSeconds).toBeLessThanOrEqual(120);
    }

    spec.emulator.removeFault(fault.id);
    await spec.harness.runSync(range, activities);
    expect((await retryStates(tenant)).map((row) => [row.syncStatus, row.dueInSeconds])).toEqual([
      ['completed', null],
      ['completed', null],
    ]);
    expect(stripeTotals(spec.emulator, apiKey)).toEqual({ 'cus_a/api_calls': '5', 'cus_b/api_calls': '6' });
  });

  it('makes rows failed for a missing mapping due as soon as the mapping exists, when any window of the tenant is synced', async () => {
    const { tenant, apiKey, window } = await edgeTenant(spec, 'stranded', 4);
    await spec.harness.insertUsage(tenant, [
      { customerId: 'client_a', meterId: 'meter_new', quantity: '3', at: window },
      { customerId: 'client_new', meterId: 'meter_api', quantity: '4', at: window },
    ]);
    const { activities } = spec.harness.pipeline();

    await spec.harness.runSync(hourRange(tenant, window), activities);
    const stranded = (await retryStates(tenant)).filter((row) => row.syncStatus === 'failed');
    expect(stranded.map((row) => row.errorMessage)).toEqual(['meter mapping not found', 'customer mapping not found']);
    for (const row of stranded) expect(row.dueInSeconds).toBeGreaterThan(25);

    // Fixed the next day, by the tenant admin alone: no operator, no resync of that window.
    spec.emulator.addMeter(apiKey, { eventName: 'new_calls' });
    await spec.harness.addMeterMapping(tenant, { meterId: 'meter_new', eventName: 'new_calls' });
    await spec.harness.addCustomerMapping(tenant, { customerId: 'client_new', stripeCustomerId: 'cus_new' });
    await spec.harness.runSync(hourRange(tenant, hourAgo(1)), activities);
    for (const row of (await retryStates(tenant)).filter((entry) => entry.syncStatus === 'failed')) {
      expect(row.dueInSeconds).toBeLessThanOrEqual(0);
    }

    // The scheduler visits windows with due rows; that visit sends them.
    await spec.harness.runSync(hourRange(tenant, window), activities);
    expect((await retryStates(tenant)).every((row) => row.syncStatus === 'completed' && row.dueInSeconds === null)).toBe(true);
    expect(stripeTotals(spec.emulator, apiKey)).toEqual({
      'cus_a/api_calls': '5',
      'cus_b/api_calls': '6',
      'cus_a/new_calls': '3',
      'cus_new/api_calls': '4',
    });
  });

  it('makes rows failed with "auth error" due once a probe finds the key working again', async () => {
    const { tenant, apiKey, window } = await edgeTenant(spec, 'authfix', 4);
    const fault = spec.emulator.injectFault({ kind: 'status', status: 401, account: apiKey, pathPrefix: '/v1/billing/meter_events' });
    const { activities } = spec.harness.pipeline();

    await spec.harness.runSync(hourRange(tenant, window), activities);
    spec.emulator.removeFault(fault.id);
    const refused = (await retryStates(tenant)).filter((row) => row.syncStatus === 'failed');
    expect(refused).toHaveLength(2);
    for (const row of refused) {
      expect(row.errorMessage).toMatch(/^auth error/);
      expect(row.dueInSeconds).toBeGreaterThan(25);
    }

    // The cool-down is over: the next window's sync probes, the key works, and the refused rows come due.
    await spec.harness.db.query(`UPDATE stripe_circuit_breakers SET next_probe_at = now() WHERE tenant_id = $1 AND environment_id = $2`, [
      tenant.tenantId,
      tenant.environmentId,
    ]);
    await spec.harness.insertUsage(tenant, [{ customerId: 'client_a', meterId: 'meter_api', quantity: '1', at: hourAgo(1) }]);
    await spec.harness.runSync(hourRange(tenant, hourAgo(1)), activities);
    expect(await spec.harness.breaker(tenant)).toMatchObject({ state: 'closed' });
    for (const row of (await retryStates(tenant)).filter((entry) => entry.syncStatus === 'failed')) {
      expect(row.dueInSeconds).toBeLessThanOrEqual(0);
    }
    await spec.harness.runSync(hourRange(tenant, window), activities);
    expect(stripeTotals(spec.emulator, apiKey)).toEqual({ 'cus_a/api_calls': '6', 'cus_b/api_calls': '6' });
  });

  it("gives up for good on permanent causes: Stripe-Should-Retry false, and windows past Stripe's 35-day limit", async () => {
    const { tenant, apiKey, range } = await edgeTenant(spec, 'permanent');
    spec.emulator.injectFault({ kind: 'status', status: 503, shouldRetry: false, account: apiKey, pathPrefix: '/v1/billing/meter_events' });
    await spec.harness.runSync(range, spec.harness.pipeline().activities);
    expect((await retryStates(tenant)).map((row) => [row.syncStatus, row.dueInSeconds])).toEqual([
      ['failed', null],
      ['failed', null],
    ]);

    const old = await edgeTenant(spec, 'tooold', 36 * 24);
    await spec.harness.runSync(old.range, spec.harness.pipeline().activities);
    for (const row of await retryStates(old.tenant)) {
      expect(row.syncStatus).toBe('failed');
      expect(row.errorMessage).toMatch(/^window too old for Stripe/);
      expect(row.dueInSeconds).toBeNull();
    }
  });

  it('still sends a row given up for good when an operator retries it (the run POST /batches/:id/retry starts)', async () => {
    const { tenant, apiKey, range } = await edgeTenant(spec, 'operatorretry');
    const fault = spec.emulator.injectFault({
      kind: 'status',
      status: 503,
      shouldRetry: false,
      account: apiKey,
      pathPrefix: '/v1/billing/meter_events',
    });
    const { activities } = spec.harness.pipeline();
    await spec.harness.runSync(range, activities);
    spec.emulator.removeFault(fault.id);

    // What the retry endpoint starts: the batch's window, limited to its customer.
    await spec.harness.runSync({ ...range, customerId: 'client_a' }, activities);

    expect((await retryStates(tenant)).map((row) => [row.customerId, row.syncStatus])).toEqual([
      ['client_a', 'completed'],
      ['client_b', 'failed'],
    ]);
    expect(stripeTotals(spec.emulator, apiKey)).toEqual({ 'cus_a/api_calls': '5' });
  });
});
