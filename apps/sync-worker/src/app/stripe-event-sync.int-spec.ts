import { addDecimals, decimalToScaled, pushIdentifier, scaledToDecimal } from '@flexsync/sync-pipeline';
import { uniqueTenant } from '@flexsync/testing';
import { hourAgo, HOUR_MS, testApiKey, UsageRow, useSyncHarness } from '../testing/sync-harness';

/** Σ in Stripe == Σ in ClickHouse, and re-running sends nothing twice (design rules 1–6, playbook §6). */
describe('StripeEventSyncWorkflow: ClickHouse → ledger → Stripe', () => {
  const spec = useSyncHarness();

  function stripeTotals(apiKey: string): Record<string, string> {
    return Object.fromEntries(spec.emulator.totals(apiKey).map((total) => [`${total.customer}/${total.eventName}`, total.totalExact]));
  }

  /** Σ quantity × 10^precision of the rows, per Stripe customer and meter, as the exact whole number Stripe must hold. */
  function expectedTotals(
    rows: UsageRow[],
    customers: Record<string, string>,
    meters: Record<string, { eventName: string; precision: number }>,
  ) {
    const sums = new Map<string, bigint>();
    for (const row of rows) {
      const meter = meters[row.meterId];
      const key = `${customers[row.customerId]}/${meter.eventName}`;
      sums.set(key, (sums.get(key) ?? 0n) + decimalToScaled(row.quantity) * 10n ** BigInt(meter.precision));
    }
    return Object.fromEntries([...sums].map(([key, scaled]) => [key, scaledToDecimal(scaled)]));
  }

  it('sends exactly what ClickHouse measured across customers, meters, event types and windows, decimals included', async () => {
    const tenant = uniqueTenant('sum');
    const apiKey = testApiKey('sum');
    spec.emulator.addAccount({ apiKeys: [apiKey], meters: [{ eventName: 'api_calls' }, { eventName: 'storage_gb' }] });
    const meters = { meter_api: { eventName: 'api_calls', precision: 0 }, meter_storage: { eventName: 'storage_gb', precision: 3 } };
    const customers = { client_a: 'cus_a', client_b: 'cus_b' };
    await spec.harness.seedTenant(tenant, {
      apiKey,
      meters: Object.entries(meters).map(([meterId, meter]) => ({ meterId, ...meter })),
      customers: Object.entries(customers).map(([customerId, stripeCustomerId]) => ({ customerId, stripeCustomerId })),
    });
    const h3 = hourAgo(3);
    const at = (hours: number, minutes: number) => new Date(h3.getTime() + hours * HOUR_MS + minutes * 60_000);
    const usage: UsageRow[] = [
      { customerId: 'client_a', meterId: 'meter_api', quantity: '10', at: at(0, 0) },
      { customerId: 'client_a', meterId: 'meter_api', quantity: '5', at: at(0, 59) },
      { customerId: 'client_a', meterId: 'meter_api', quantity: '2', at: at(0, 30), eventType: 'set' },
      { customerId: 'client_a', meterId: 'meter_api', quantity: '7', at: at(1, 0) },
      { customerId: 'client_a', meterId: 'meter_storage', quantity: '1.5', at: at(0, 10) },
      { customerId: 'client_a', meterId: 'meter_storage', quantity: '0.25', at: at(0, 20) },
      { customerId: 'client_a', meterId: 'meter_storage', quantity: '2.125', at: at(2, 45) },
      { customerId: 'client_b', meterId: 'meter_api', quantity: '3', at: at(1, 15) },
      { customerId: 'client_b', meterId: 'meter_storage', quantity: '0.001', at: at(2, 0) },
      { customerId: 'client_b', meterId: 'meter_storage', quantity: '41.999', at: at(2, 59) },
    ];
    await spec.harness.insertUsage(tenant, usage);
    // Outside [h3, h0): must not be sent.
    await spec.harness.insertUsage(tenant, [{ customerId: 'client_a', meterId: 'meter_api', quantity: '1000', at: at(3, 0) }]);

    const pipeline = spec.harness.pipeline();
    const result = await spec.harness.runSync(
      { ...tenant, timeFrom: h3.toISOString(), timeTo: at(3, 0).toISOString() },
      pipeline.activities,
    );

    expect(result.windows.map((w) => [w.aggregateCount, w.armed, w.completed, w.failed])).toEqual([
      [3, 3, 3, 0],
      [2, 2, 2, 0],
      [2, 2, 2, 0],
    ]);
    expect(result.windows.map((w) => w.totalQuantity)).toEqual(['18.75', '10', '44.125']);
    expect(addDecimals(result.windows.map((w) => w.totalQuantity))).toBe(addDecimals(usage.map((row) => row.quantity)));
    expect(stripeTotals(apiKey)).toEqual(expectedTotals(usage, customers, meters));
    expect(stripeTotals(apiKey)).toEqual({
      'cus_a/api_calls': '24',
      'cus_a/storage_gb': '3875',
      'cus_b/api_calls': '3',
      'cus_b/storage_gb': '42000',
    });

    const ledger = await spec.harness.ledger(tenant);
    expect(ledger).toHaveLength(7);
    for (const row of ledger) {
      expect(row).toMatchObject({ syncStatus: 'completed', revision: 0, errorMessage: null, attemptCount: 1 });
      expect(row.stripeEventId).toBe(row.identifier);
      expect(row.identifier).toBe(
        pushIdentifier({
          ...tenant,
          ...row,
          windowStart: row.windowStart,
          windowEnd: new Date(row.windowStart.getTime() + HOUR_MS),
          revision: 0,
        }),
      );
      expect(row.workflowId).toMatch(/^test-sync-/);
    }
    // Every Stripe event carries the ledger identifier and a timestamp inside its window.
    const events = spec.emulator.meterEvents({ account: apiKey });
    expect(events.map((event) => event.identifier).sort()).toEqual(ledger.map((row) => row.identifier).sort());
    for (const event of events) {
      const row = ledger.find((r) => r.identifier === event.identifier);
      expect(event.idempotencyKey).toBe(event.identifier);
      expect(event.timestamp * 1000).toBeGreaterThanOrEqual(row?.windowStart.getTime() ?? 0);
      expect(event.timestamp * 1000).toBeLessThan((row?.windowStart.getTime() ?? 0) + HOUR_MS);
    }
    const metrics = await pipeline.registry.metrics();
    expect(metrics).toContain('stripe_sync_batches_total{status="completed"} 7');
    expect(metrics).toContain('stripe_sync_aggregates_total{result="new"} 7');
  });

  it('carries the sub-unit remainder to the next push of the same series, so Stripe trails by less than one unit', async () => {
    const tenant = uniqueTenant('carry');
    const apiKey = testApiKey('carry');
    spec.emulator.addAccount({ apiKeys: [apiKey], meters: [{ eventName: 'gpu_hours' }] });
    await spec.harness.seedTenant(tenant, {
      apiKey,
      meters: [{ meterId: 'meter_gpu', eventName: 'gpu_hours', precision: 0 }],
      customers: [{ customerId: 'client_c', stripeCustomerId: 'cus_c' }],
    });
    const windows = [hourAgo(4), hourAgo(3), hourAgo(2)];
    await spec.harness.insertUsage(
      tenant,
      ['0.6', '0.6', '0.9'].map((quantity, index) => ({ customerId: 'client_c', meterId: 'meter_gpu', quantity, at: windows[index] })),
    );

    await spec.harness.runSync(
      { ...tenant, timeFrom: windows[0].toISOString(), timeTo: hourAgo(1).toISOString() },
      spec.harness.pipeline().activities,
    );

    const ledger = await spec.harness.ledger(tenant);
    // 0.6 → 0 (carry 0.6); 0.6 + 0.6 → 1 (carry 0.2); 0.2 + 0.9 → 1 (carry 0.1): floor(2.1) = 2 in Stripe.
    expect(ledger.map((row) => [row.aggregatedQuantity, row.sentValue])).toEqual([
      ['0.600000000000', '0'],
      ['0.600000000000', '1'],
      ['0.900000000000', '1'],
    ]);
    expect(stripeTotals(apiKey)).toEqual({ 'cus_c/gpu_hours': '2' });
    const [carried] = await spec.harness.db.query(
      `SELECT remainder::text AS remainder FROM stripe_sync_value_remainders WHERE tenant_id = $1 AND environment_id = $2`,
      [tenant.tenantId, tenant.environmentId],
    );
    expect(carried).toEqual({ remainder: '0.100000000000' });
  });

  it('re-running a window sends nothing twice, with or without force_rerun, and keeps the same identities', async () => {
    const tenant = uniqueTenant('rerun');
    const apiKey = testApiKey('rerun');
    spec.emulator.addAccount({ apiKeys: [apiKey], meters: [{ eventName: 'api_calls' }] });
    await spec.harness.seedTenant(tenant, {
      apiKey,
      meters: [{ meterId: 'meter_api', eventName: 'api_calls' }],
      customers: [
        { customerId: 'client_a', stripeCustomerId: 'cus_ra' },
        { customerId: 'client_b', stripeCustomerId: 'cus_rb' },
      ],
    });
    const window = hourAgo(2);
    await spec.harness.insertUsage(tenant, [
      { customerId: 'client_a', meterId: 'meter_api', quantity: '11', at: window },
      { customerId: 'client_b', meterId: 'meter_api', quantity: '22', at: window },
    ]);
    const range = { ...tenant, timeFrom: window.toISOString(), timeTo: hourAgo(1).toISOString() };
    const pipeline = spec.harness.pipeline();

    await spec.harness.runSync(range, pipeline.activities);
    const first = await spec.harness.ledger(tenant);
    const totalsAfterFirst = stripeTotals(apiKey);
    expect(totalsAfterFirst).toEqual({ 'cus_ra/api_calls': '11', 'cus_rb/api_calls': '22' });

    const again = await spec.harness.runSync(range, pipeline.activities);
    expect(again.windows[0]).toMatchObject({ armed: 0, unchanged: 2, completed: 0, resent: 0 });
    const forced = await spec.harness.runSync({ ...range, forceRerun: true }, pipeline.activities);
    expect(forced.windows[0]).toMatchObject({ armed: 0, unchanged: 2, completed: 0, resent: 2, failed: 0 });

    expect(stripeTotals(apiKey)).toEqual(totalsAfterFirst);
    expect(spec.emulator.meterEvents({ account: apiKey })).toHaveLength(2);
    const resends = spec.emulator.requests({ account: apiKey, pathPrefix: '/v1/billing/meter_events' });
    expect(resends.filter((request) => request.replayed)).toHaveLength(2);
    const last = await spec.harness.ledger(tenant);
    expect(last.map((row) => [row.identifier, row.syncStatus, row.revision])).toEqual(first.map((row) => [row.identifier, 'completed', 0]));
  });
});
