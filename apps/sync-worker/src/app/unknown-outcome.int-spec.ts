import type { TestTenant } from '@flexsync/testing';
import { edgeTenant, stripeTotals } from '../testing/edge-tenant';
import { HOUR_MS, useSyncHarness } from '../testing/sync-harness';

/**
 * Issue 8, path 3 (design rule 11): a push whose call may have reached Stripe is never re-sent after Stripe's 24 h
 * dedupe horizon; it waits as `unknown` for reconciliation. The worker's clock is moved, not the wall clock.
 */
describe('StripeEventSyncWorkflow: unknown outcomes past the dedupe horizon', () => {
  const spec = useSyncHarness();
  const DAY_AND_AN_HOUR_MS = 25 * HOUR_MS;

  async function states(tenant: TestTenant): Promise<{ syncStatus: string; errorMessage: string | null; due: Date | null }[]> {
    return spec.harness.db.query(
      `SELECT sync_status AS "syncStatus", error_message AS "errorMessage", next_attempt_at AS due
         FROM stripe_sync_batches WHERE tenant_id = $1 AND environment_id = $2 ORDER BY customer_id`,
      [tenant.tenantId, tenant.environmentId],
    );
  }

  const later = (offsetMs: number) =>
    spec.harness.pipeline((settings) => ({ ...settings, push: { ...settings.push, now: () => Date.now() + offsetMs } })).activities;

  it('marks a push that failed with 5xx answers unknown instead of re-sending it a day later', async () => {
    const { tenant, apiKey, range } = await edgeTenant(spec, 'unknown5xx');
    const fault = spec.emulator.injectFault({ kind: 'status', status: 500, account: apiKey, pathPrefix: '/v1/billing/meter_events' });
    await spec.harness.runSync(range, spec.harness.pipeline().activities);
    spec.emulator.removeFault(fault.id);
    const callsBefore = spec.emulator.requests({ account: apiKey, pathPrefix: '/v1/billing/meter_events' }).length;

    const result = await spec.harness.runSync(range, later(DAY_AND_AN_HOUR_MS));

    expect(spec.emulator.requests({ account: apiKey, pathPrefix: '/v1/billing/meter_events' })).toHaveLength(callsBefore);
    expect(result.windows[0]).toMatchObject({ completed: 0 });
    for (const row of await states(tenant)) {
      expect(row.syncStatus).toBe('unknown');
      expect(row.due).toBeNull();
      expect(row.errorMessage).toMatch(/outcome unknown: .*24 h/);
    }
    expect(stripeTotals(spec.emulator, apiKey)).toEqual({});
  });

  it('marks a push left pending after its call (a crash before tracking) unknown once past the horizon', async () => {
    const { tenant, apiKey, range } = await edgeTenant(spec, 'unknowncrash');
    await spec.harness.runSync(range, spec.harness.pipeline().activities);
    // The outcome was never recorded: what a crash between the Stripe call and TrackSyncBatchActivity leaves.
    await spec.harness.db.query(
      `UPDATE stripe_sync_batches SET sync_status = 'pending', completed_at = NULL WHERE tenant_id = $1 AND environment_id = $2`,
      [tenant.tenantId, tenant.environmentId],
    );
    const callsBefore = spec.emulator.requests({ account: apiKey, pathPrefix: '/v1/billing/meter_events' }).length;

    await spec.harness.runSync(range, later(DAY_AND_AN_HOUR_MS));

    expect(spec.emulator.requests({ account: apiKey, pathPrefix: '/v1/billing/meter_events' })).toHaveLength(callsBefore);
    expect((await states(tenant)).map((row) => row.syncStatus)).toEqual(['unknown', 'unknown']);
    expect(stripeTotals(spec.emulator, apiKey)).toEqual({ 'cus_a/api_calls': '5', 'cus_b/api_calls': '6' });
  });

  it('still re-sends inside the horizon, where Stripe dedupes the identifier', async () => {
    const { tenant, apiKey, range } = await edgeTenant(spec, 'insidehorizon');
    const fault = spec.emulator.injectFault({ kind: 'status', status: 500, account: apiKey, pathPrefix: '/v1/billing/meter_events' });
    await spec.harness.runSync(range, spec.harness.pipeline().activities);
    spec.emulator.removeFault(fault.id);

    await spec.harness.runSync(range, later(23 * HOUR_MS));

    expect((await states(tenant)).map((row) => row.syncStatus)).toEqual(['completed', 'completed']);
    expect(stripeTotals(spec.emulator, apiKey)).toEqual({ 'cus_a/api_calls': '5', 'cus_b/api_calls': '6' });
  });

  it('keeps retrying a push Stripe surely never took (429s) past the horizon', async () => {
    const { tenant, apiKey, range } = await edgeTenant(spec, 'limited');
    const fault = spec.emulator.injectFault({ kind: 'status', status: 429, account: apiKey, pathPrefix: '/v1/billing/meter_events' });
    await spec.harness.runSync(range, spec.harness.pipeline().activities);
    spec.emulator.removeFault(fault.id);

    await spec.harness.runSync(range, later(DAY_AND_AN_HOUR_MS));

    expect((await states(tenant)).map((row) => row.syncStatus)).toEqual(['completed', 'completed']);
    expect(stripeTotals(spec.emulator, apiKey)).toEqual({ 'cus_a/api_calls': '5', 'cus_b/api_calls': '6' });
  });
});
