import { edgeTenant, stripeTotals } from '../testing/edge-tenant';
import { useSyncHarness } from '../testing/sync-harness';

/** Issue 8, path 5 (design rule 13): a series keeps its target; a remap moves it with a reversal and a full value. */
describe('StripeEventSyncWorkflow: corrections after a remap', () => {
  const spec = useSyncHarness();

  it('reverses what the old customer holds and sends the full value to the new one after a customer remap', async () => {
    const { tenant, apiKey, window, range } = await edgeTenant(spec, 'remapcus');
    const { activities } = spec.harness.pipeline();
    await spec.harness.runSync(range, activities);

    await spec.harness.db.query(
      `UPDATE customer_integration_mappings SET provider_customer_id = 'cus_a2'
        WHERE tenant_id = $1 AND environment_id = $2 AND customer_id = 'client_a'`,
      [tenant.tenantId, tenant.environmentId],
    );
    await spec.harness.runSync(range, activities);
    expect(stripeTotals(spec.emulator, apiKey)).toEqual({ 'cus_a/api_calls': '0', 'cus_a2/api_calls': '5', 'cus_b/api_calls': '6' });

    // Late usage after the move: the correction goes to the series' target now, the new customer.
    await spec.harness.insertUsage(tenant, [{ customerId: 'client_a', meterId: 'meter_api', quantity: '2', at: window }]);
    await spec.harness.runSync(range, activities);
    expect(stripeTotals(spec.emulator, apiKey)).toEqual({ 'cus_a/api_calls': '0', 'cus_a2/api_calls': '7', 'cus_b/api_calls': '6' });

    const ledger = await spec.harness.ledger(tenant);
    expect(new Set(ledger.map((row) => row.identifier)).size).toBe(ledger.length);
    expect(ledger.every((row) => row.syncStatus === 'completed')).toBe(true);
    expect(spec.emulator.meterEvents({ account: apiKey })).toHaveLength(ledger.length);
  });

  it('reverses the old meter and sends the full value to the new meter after a meter remap with late usage', async () => {
    const { tenant, apiKey, window, range } = await edgeTenant(spec, 'remapmeter');
    const { activities } = spec.harness.pipeline();
    await spec.harness.runSync(range, activities);

    spec.emulator.addMeter(apiKey, { eventName: 'api_calls_v2' });
    await spec.harness.db.query(
      `UPDATE meter_provider_mappings SET provider_meter_id = 'api_calls_v2'
        WHERE tenant_id = $1 AND environment_id = $2 AND meter_id = 'meter_api'`,
      [tenant.tenantId, tenant.environmentId],
    );
    await spec.harness.insertUsage(tenant, [{ customerId: 'client_b', meterId: 'meter_api', quantity: '4', at: window }]);
    await spec.harness.runSync(range, activities);

    expect(stripeTotals(spec.emulator, apiKey)).toEqual({
      'cus_a/api_calls': '0',
      'cus_b/api_calls': '0',
      'cus_a/api_calls_v2': '5',
      'cus_b/api_calls_v2': '10',
    });
  });
});
