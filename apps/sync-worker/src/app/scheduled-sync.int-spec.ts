import {
  closedWindowRange,
  ScheduledSyncResult,
  STRIPE_EVENT_SYNC_WORKFLOW,
  STRIPE_SCHEDULED_SYNC_WORKFLOW,
  SyncWorkerActivities,
} from '@flexsync/sync-contracts';
import { TestTenant, uniqueTenant } from '@flexsync/testing';
import { hourAgo, HOUR_MS, testApiKey, UsageRow, useSyncHarness } from '../testing/sync-harness';

/** The hourly fan-out (playbook §7): every tenant with sync enabled gets its closed windows synced, once. */
describe('StripeScheduledSyncWorkflow (hourly + grace) on the real Temporal server', () => {
  const spec = useSyncHarness();

  interface Seeded {
    tenant: TestTenant;
    apiKey: string;
    usage: UsageRow[];
  }

  async function seed(label: string, windowMinutes: number, syncEnabled: boolean): Promise<Seeded> {
    const tenant = uniqueTenant(label);
    const apiKey = testApiKey(label);
    spec.emulator.addAccount({ apiKeys: [apiKey], meters: [{ eventName: 'api_calls' }] });
    await spec.harness.seedTenant(tenant, {
      apiKey,
      meters: [{ meterId: 'meter_api', eventName: 'api_calls' }],
      customers: [{ customerId: 'client_1', stripeCustomerId: `cus_${label}` }],
    });
    await spec.harness.db.query(
      `UPDATE stripe_tenant_configs SET aggregation_window_minutes = $3, sync_enabled = $4 WHERE tenant_id = $1 AND environment_id = $2`,
      [tenant.tenantId, tenant.environmentId, windowMinutes, syncEnabled],
    );
    const at = (hoursAgo: number, minutes: number) => new Date(hourAgo(hoursAgo).getTime() + minutes * 60_000);
    // Two closed hours, an hour beyond the look-back, and the hour still open.
    const usage: UsageRow[] = [
      { customerId: 'client_1', meterId: 'meter_api', quantity: '10', at: at(1, 5) },
      { customerId: 'client_1', meterId: 'meter_api', quantity: '20', at: at(1, 50) },
      { customerId: 'client_1', meterId: 'meter_api', quantity: '300', at: at(2, 30) },
      { customerId: 'client_1', meterId: 'meter_api', quantity: '4000', at: at(3, 30) },
      { customerId: 'client_1', meterId: 'meter_api', quantity: '50000', at: at(0, 0) },
    ];
    await spec.harness.insertUsage(tenant, usage);
    return { tenant, apiKey, usage };
  }

  /** What Stripe must hold after the tick: the usage of the windows the tick covers, and nothing else. */
  function expectedTotal(seeded: Seeded, firedAt: string, windowMinutes: number): string {
    const range = closedWindowRange(firedAt, 2, windowMinutes);
    if (!range) return '0';
    const from = Date.parse(range.timeFrom);
    const to = Date.parse(range.timeTo);
    return String(
      seeded.usage.filter((row) => row.at.getTime() >= from && row.at.getTime() < to).reduce((sum, row) => sum + Number(row.quantity), 0),
    );
  }

  function stripeTotal(apiKey: string): string {
    return spec.emulator.totals(apiKey).find((total) => total.eventName === 'api_calls')?.totalExact ?? '0';
  }

  it('syncs the closed windows of every enabled tenant, skips disabled ones, and a re-fired tick sends nothing twice', async () => {
    const hourly = await seed('sched_hourly', 60, true);
    const quarter = await seed('sched_quarter', 15, true);
    const daily = await seed('sched_daily', 1440, true);
    const disabled = await seed('sched_off', 60, false);
    const mine = new Set([hourly, quarter, daily, disabled].map((s) => s.tenant.tenantId));
    const pipeline = spec.harness.pipeline();
    // The real tenant query, narrowed to this spec's tenants: the shared database holds every other spec's too.
    const activities: SyncWorkerActivities = {
      ...pipeline.activities,
      ListSyncTenantsActivity: async () => (await pipeline.activities.ListSyncTenantsActivity()).filter((t) => mine.has(t.tenantId)),
    };
    const firedAt = new Date(hourAgo(0).getTime() + 5 * 60_000).toISOString();

    const result = await spec.harness.runWorkflow<ScheduledSyncResult>(
      STRIPE_SCHEDULED_SYNC_WORKFLOW,
      [{ firedAt, lookbackHours: 2 }],
      activities,
    );

    const outcomes = Object.fromEntries(result.tenants.map((t) => [t.tenantId, t.outcome]));
    expect(outcomes).toEqual({
      [hourly.tenant.tenantId]: 'completed',
      [quarter.tenant.tenantId]: 'completed',
      [daily.tenant.tenantId]: expect.stringMatching(/^(completed|nothing_closed)$/),
    });
    expect(stripeTotal(hourly.apiKey)).toBe(expectedTotal(hourly, firedAt, 60));
    expect(stripeTotal(hourly.apiKey)).toBe('330');
    expect(stripeTotal(quarter.apiKey)).toBe(expectedTotal(quarter, firedAt, 15));
    expect(stripeTotal(daily.apiKey)).toBe(expectedTotal(daily, firedAt, 1440));
    expect(stripeTotal(disabled.apiKey)).toBe('0');

    const again = await spec.harness.runWorkflow<ScheduledSyncResult>(
      STRIPE_SCHEDULED_SYNC_WORKFLOW,
      [{ firedAt, lookbackHours: 2 }],
      activities,
    );
    expect(again.tenants.map((t) => t.workflowId)).toEqual(result.tenants.map((t) => t.workflowId));
    expect(stripeTotal(hourly.apiKey)).toBe('330');
    expect(stripeTotal(quarter.apiKey)).toBe(expectedTotal(quarter, firedAt, 15));
  });

  it('runs the same fan-out when StripeEventSyncWorkflow is started bare, as the playbook’s cron command does', async () => {
    const seeded = await seed('sched_bare', 60, true);
    const pipeline = spec.harness.pipeline();
    const activities: SyncWorkerActivities = {
      ...pipeline.activities,
      ListSyncTenantsActivity: async () =>
        (await pipeline.activities.ListSyncTenantsActivity()).filter((t) => t.tenantId === seeded.tenant.tenantId),
    };

    const result = await spec.harness.runWorkflow<ScheduledSyncResult>(STRIPE_EVENT_SYNC_WORKFLOW, [], activities);

    expect(result.tenants).toHaveLength(1);
    expect(result.tenants[0].outcome).toBe('completed');
    expect(Date.parse(result.firedAt)).toBeGreaterThan(Date.now() - HOUR_MS);
    expect(stripeTotal(seeded.apiKey)).toBe(expectedTotal(seeded, result.firedAt, 60));
  });
});
