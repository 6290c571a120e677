import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { MeterUsageRow, MeterUsageStore } from '@flexsync/clickhouse';
import { STRIPE_TENANT_COVERAGE_WORKFLOW, SyncWorkerActivities, TenantCoverageResult } from '@flexsync/sync-contracts';
import { TestTenant, uniqueTenant } from '@flexsync/testing';
import { hourAgo, HOUR_MS, testApiKey, useSyncHarness } from '../testing/sync-harness';

const DAY_MS = 24 * HOUR_MS;

/** Issue 10 / design rule 14: FlexPrice's `meter_usage` read as it is, late rows found through `ingested_at`. */
describe('flexprice-meter-usage source through the sync pipeline', () => {
  const spec = useSyncHarness();

  const store = (): MeterUsageStore => new MeterUsageStore(spec.harness.clickhouse);

  async function meterUsageTenant(label: string): Promise<{ tenant: TestTenant; apiKey: string }> {
    const tenant = uniqueTenant(label);
    const apiKey = testApiKey(label);
    spec.emulator.addAccount({ apiKeys: [apiKey], meters: [{ eventName: 'api_calls' }] });
    // With this source the customer mapping's customer_id is FlexPrice's external customer id.
    await spec.harness.seedTenant(tenant, {
      apiKey,
      meters: [{ meterId: 'meter_api', eventName: 'api_calls' }],
      customers: [{ customerId: 'ext_cust_1', stripeCustomerId: `cus_${label}` }],
    });
    await spec.harness.db.query(
      `UPDATE stripe_tenant_configs SET usage_source = 'flexprice-meter-usage', created_at = $3 WHERE tenant_id = $1 AND environment_id = $2`,
      [tenant.tenantId, tenant.environmentId, hourAgo(6)],
    );
    return { tenant, apiKey };
  }

  function usage(tenant: TestTenant, fields: Partial<MeterUsageRow> & Pick<MeterUsageRow, 'qty_total' | 'timestamp'>): MeterUsageRow {
    return {
      id: randomUUID(),
      tenant_id: tenant.tenantId,
      environment_id: tenant.environmentId,
      external_customer_id: 'ext_cust_1',
      meter_id: 'meter_api',
      event_name: 'api_calls',
      ingested_at: new Date(),
      ...fields,
    };
  }

  const stripeTotal = (apiKey: string): string => spec.emulator.totals(apiKey)[0]?.totalExact ?? '0';

  function scheduledRun(tenant: TestTenant, activities: SyncWorkerActivities): Promise<TenantCoverageResult> {
    return spec.harness.runWorkflow<TenantCoverageResult>(
      STRIPE_TENANT_COVERAGE_WORKFLOW,
      [{ ...tenant, firedAt: new Date().toISOString(), lookbackHours: 2, maxWindows: 72 }],
      activities,
    );
  }

  it('sends each id once with its latest quantity, keyed by external_customer_id, on event-time windows', async () => {
    const { tenant, apiKey } = await meterUsageTenant('mu-sync');
    const window = hourAgo(3);
    const at = (minutes: number) => new Date(window.getTime() + minutes * 60_000);
    const first = usage(tenant, { id: 'evt_a', qty_total: '10', timestamp: at(5), ingested_at: new Date(Date.now() - 60_000) });
    await store().insert([
      first,
      usage(tenant, { qty_total: '2', timestamp: at(59) }),
      usage(tenant, { qty_total: '1000', timestamp: at(60) }),
    ]);
    // Re-ingested in a part of its own, not merged: the later ingestion's quantity is what FlexPrice bills.
    await store().insert([{ ...first, qty_total: '7', ingested_at: new Date() }]);

    const { activities } = spec.harness.pipeline();
    const range = { ...tenant, timeFrom: window.toISOString(), timeTo: new Date(window.getTime() + HOUR_MS).toISOString() };
    const result = await spec.harness.runSync(range, activities);

    expect(result.windows[0]).toMatchObject({ aggregateCount: 1, eventCount: 2, totalQuantity: '9', completed: 1 });
    expect(stripeTotal(apiKey)).toBe('9');
    expect(spec.emulator.meterEvents({ account: apiKey }).map((event) => event.customer)).toEqual([`cus_mu-sync`]);
    const [row] = await spec.harness.ledger(tenant);
    expect(row).toMatchObject({ customerId: 'ext_cust_1', eventType: 'api_calls', aggregatedQuantity: '9.000000000000' });
  });

  it('sends a late row and a re-ingested lower quantity for a synced window as exact corrections, re-aggregating only changed windows', async () => {
    const { tenant, apiKey } = await meterUsageTenant('mu-late');
    const window = hourAgo(3);
    const at = (minutes: number) => new Date(window.getTime() + minutes * 60_000);
    const earlier = new Date(Date.now() - HOUR_MS);
    const b = usage(tenant, { id: 'evt_b', qty_total: '5', timestamp: at(20), ingested_at: earlier });
    await store().insert([usage(tenant, { qty_total: '10', timestamp: at(10), ingested_at: earlier }), b]);
    const { activities, registry } = spec.harness.pipeline();

    const first = await scheduledRun(tenant, activities);
    expect(first.windowsSynced).toBeGreaterThanOrEqual(1);
    expect(stripeTotal(apiKey)).toBe('15');

    // Nothing ingested since: no window is read again (no look-back re-reads with this source).
    expect((await scheduledRun(tenant, activities)).windowsSynced).toBe(0);

    await store().insert([usage(tenant, { qty_total: '4', timestamp: at(30) })]);
    const late = await scheduledRun(tenant, activities);
    expect(late.windowsSynced).toBe(1);
    expect(stripeTotal(apiKey)).toBe('19');

    await store().insert([{ ...b, qty_total: '2', ingested_at: new Date() }]);
    await scheduledRun(tenant, activities);
    expect(stripeTotal(apiKey)).toBe('16');

    const ledger = await spec.harness.ledger(tenant);
    expect(ledger.map((row) => [row.revision, row.sentValue, row.syncStatus])).toEqual([
      [0, '15', 'completed'],
      [1, '4', 'completed'],
      [2, '-3', 'completed'],
    ]);
    // The overlap re-reads the last rows once more: harmless, nothing new reaches Stripe.
    await scheduledRun(tenant, activities);
    expect(spec.emulator.meterEvents({ account: apiKey })).toHaveLength(3);
    expect(await registry.getSingleMetricAsString('stripe_sync_late_usage_windows_total')).toMatch(
      /stripe_sync_late_usage_windows_total \d+/,
    );
  });

  it('picks up in the next run a row ingested while a run was reading, even one stamped before the run began', async () => {
    const { tenant, apiKey } = await meterUsageTenant('mu-during');
    const window = hourAgo(2);
    await store().insert([
      usage(tenant, { qty_total: '3', timestamp: new Date(window.getTime() + 60_000), ingested_at: new Date(Date.now() - HOUR_MS) }),
    ]);
    const { activities } = spec.harness.pipeline();
    let inserted = false;
    const racing: SyncWorkerActivities = {
      ...activities,
      AggregateEventsActivity: async (input) => {
        const summary = await activities.AggregateEventsActivity(input);
        if (!inserted && input.window.start === window.toISOString()) {
          inserted = true;
          // Written after the read, with an ingestion time a minute old (a writer's clock, an insert in flight).
          await store().insert([
            usage(tenant, { qty_total: '8', timestamp: new Date(window.getTime() + 120_000), ingested_at: new Date(Date.now() - 60_000) }),
          ]);
        }
        return summary;
      },
    };
    await scheduledRun(tenant, racing);
    expect(inserted).toBe(true);
    expect(stripeTotal(apiKey)).toBe('3');

    const next = await scheduledRun(tenant, activities);
    expect(next.windowsSynced).toBe(1);
    expect(stripeTotal(apiKey)).toBe('11');
  });

  it('reports a late row older than Stripe accepts (metric, warning, watermark status) instead of dropping it silently', async () => {
    const { tenant, apiKey } = await meterUsageTenant('mu-old');
    const { activities, registry } = spec.harness.pipeline();
    await scheduledRun(tenant, activities);

    await store().insert([usage(tenant, { qty_total: '6', timestamp: new Date(hourAgo(0).getTime() - 40 * DAY_MS) })]);
    await scheduledRun(tenant, activities);

    const metric = await registry.getSingleMetricAsString('stripe_sync_late_usage_beyond_limit_rows_total');
    expect(metric).toContain(`{tenant_id="${tenant.tenantId}",environment_id="${tenant.environmentId}"} 1`);
    const [status] = await spec.harness.db.query(
      `SELECT late_rows_beyond_limit::int AS rows, last_late_row_beyond_limit_at IS NOT NULL AS reported
         FROM stripe_usage_watermarks WHERE tenant_id = $1 AND environment_id = $2`,
      [tenant.tenantId, tenant.environmentId],
    );
    expect(status).toEqual({ rows: 1, reported: true });
    expect(spec.harness.logs.some((line) => line.includes(tenant.tenantId) && line.includes('"late_rows_beyond_limit":1'))).toBe(true);
    expect(stripeTotal(apiKey)).toBe('0');
  });

  it('fails the sync of a tenant whose source table does not exist, naming it, instead of syncing zero', async () => {
    const { tenant, apiKey } = await meterUsageTenant('mu-missing');
    const { activities, usageSources } = spec.harness.pipeline((settings) => ({
      ...settings,
      usage: { defaultSource: 'playbook-events-processed', meterUsageTable: 'meter_usage_missing' },
    }));
    const window = hourAgo(2);
    const range = { ...tenant, timeFrom: window.toISOString(), timeTo: new Date(window.getTime() + HOUR_MS).toISOString() };
    const failure = await spec.harness.runSync(range, activities).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    let root = failure as Error;
    while (root.cause instanceof Error) root = root.cause;
    expect(root.message).toBe('usage source flexprice-meter-usage: meter usage table meter_usage_missing does not exist');
    expect(spec.emulator.meterEvents({ account: apiKey })).toHaveLength(0);
    // The playbook default still verifies, so other tenants of this worker keep syncing.
    await expect(usageSources.verifyDefault()).resolves.toMatchObject({ name: 'playbook-events-processed' });
  });

  it('refuses to start a worker whose default source cannot be read, and a tenant config naming an unknown source', async () => {
    const { usageSources } = spec.harness.pipeline((settings) => ({
      ...settings,
      usage: { defaultSource: 'flexprice-meter-usage', meterUsageTable: 'flexprice.no_such_table' },
    }));
    await expect(usageSources.verifyDefault()).rejects.toThrow(
      'usage source flexprice-meter-usage: meter usage table flexprice.no_such_table does not exist',
    );
    const tenant = uniqueTenant('mu-unknown');
    await spec.harness.seedTenant(tenant, { apiKey: testApiKey('mu-unknown') });
    await expect(
      spec.harness.db.query(`UPDATE stripe_tenant_configs SET usage_source = 'kafka-topic' WHERE tenant_id = $1 AND environment_id = $2`, [
        tenant.tenantId,
        tenant.environmentId,
      ]),
    ).rejects.toThrow(/ck_stripe_tenant_configs_usage_source/);
  });
});
