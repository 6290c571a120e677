import { bundleSyncWorkflows } from '@flexsync/temporal';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import {
  ScheduledSyncResult,
  scheduledTenantSyncWorkflowId,
  STRIPE_EVENT_SYNC_WORKFLOW,
  SyncWorkerActivities,
} from '@flexsync/sync-contracts';
import { TestTenant, uniqueTenant } from '@flexsync/testing';
import { onlyTenants, ScheduleDriver } from '../testing/schedule-driver';
import { hourAgo, HOUR_MS, testApiKey, UsageRow, useSyncHarness } from '../testing/sync-harness';

const DAY_MS = 24 * HOUR_MS;
/** The spec's "now", taken once: its hours and days stay put when the real hour turns mid-spec. */
const SPEC_NOW = Date.now();
const specHour = (hoursAgo: number): Date => hourAgo(hoursAgo, SPEC_NOW);

/** The hourly fan-out (playbook §7), coverage-driven: every closed window of every enabled tenant is delivered once. */
describe('StripeScheduledSyncWorkflow (hourly + grace) on the real Temporal server', () => {
  const spec = useSyncHarness();
  let bundle: WorkflowBundleWithSourceMap;
  const drivers: ScheduleDriver[] = [];

  beforeAll(async () => {
    bundle = await bundleSyncWorkflows();
  });

  afterEach(async () => {
    await Promise.all(drivers.splice(0).map((driver) => driver.close()));
    spec.emulator.clearFaults();
  });

  interface Seeded {
    tenant: TestTenant;
    apiKey: string;
    usage: UsageRow[];
  }

  async function seed(
    label: string,
    options: { windowMinutes?: number; syncEnabled?: boolean; createdAt?: Date; tenant?: TestTenant; usage?: UsageRow[] } = {},
  ): Promise<Seeded> {
    const tenant = options.tenant ?? uniqueTenant(label);
    const apiKey = testApiKey(label);
    spec.emulator.addAccount({ apiKeys: [apiKey], meters: [{ eventName: 'api_calls' }] });
    await spec.harness.seedTenant(tenant, {
      apiKey,
      meters: [{ meterId: 'meter_api', eventName: 'api_calls' }],
      customers: [{ customerId: 'client_1', stripeCustomerId: `cus_${label}` }],
    });
    await spec.harness.db.query(
      `UPDATE stripe_tenant_configs SET aggregation_window_minutes = $3, sync_enabled = $4, created_at = $5
        WHERE tenant_id = $1 AND environment_id = $2`,
      [
        tenant.tenantId,
        tenant.environmentId,
        options.windowMinutes ?? 60,
        options.syncEnabled ?? true,
        options.createdAt ?? new Date(SPEC_NOW),
      ],
    );
    const at = (hoursAgo: number, minutes: number) => new Date(specHour(hoursAgo).getTime() + minutes * 60_000);
    // By default: two closed hours, an hour beyond the look-back, and the hour still open.
    const usage: UsageRow[] = options.usage ?? [
      { customerId: 'client_1', meterId: 'meter_api', quantity: '10', at: at(1, 5) },
      { customerId: 'client_1', meterId: 'meter_api', quantity: '20', at: at(1, 50) },
      { customerId: 'client_1', meterId: 'meter_api', quantity: '300', at: at(2, 30) },
      { customerId: 'client_1', meterId: 'meter_api', quantity: '4000', at: at(3, 30) },
      { customerId: 'client_1', meterId: 'meter_api', quantity: '50000', at: at(0, 0) },
    ];
    await spec.harness.insertUsage(tenant, usage);
    return { tenant, apiKey, usage };
  }

  function usageBetween(seeded: Seeded, fromMs: number, toMs: number): string {
    return String(
      seeded.usage
        .filter((row) => row.at.getTime() >= fromMs && row.at.getTime() < toMs)
        .reduce((sum, row) => sum + Number(row.quantity), 0),
    );
  }

  function stripeTotal(apiKey: string): string {
    return spec.emulator.totals(apiKey).find((total) => total.eventName === 'api_calls')?.totalExact ?? '0';
  }

  async function driverFor(
    seeded: Seeded[],
    activities: SyncWorkerActivities = spec.harness.pipeline().activities,
  ): Promise<ScheduleDriver> {
    const driver = await ScheduleDriver.start(
      spec.harness,
      onlyTenants(
        activities,
        seeded.map((s) => s.tenant.tenantId),
      ),
      bundle,
    );
    drivers.push(driver);
    return driver;
  }

  const tickAt = (hourStart: Date): string => new Date(hourStart.getTime() + 5 * 60_000).toISOString();

  async function statuses(tenant: TestTenant): Promise<string[]> {
    return (await spec.harness.ledger(tenant)).map((row) => row.syncStatus);
  }

  it('syncs the closed windows of every enabled tenant, skips disabled ones, and a re-fired tick sends nothing twice', async () => {
    const hourly = await seed('sched_hourly', { windowMinutes: 60 });
    const quarter = await seed('sched_quarter', { windowMinutes: 15 });
    const daily = await seed('sched_daily', { windowMinutes: 1440 });
    const disabled = await seed('sched_off', { windowMinutes: 60, syncEnabled: false });
    const driver = await driverFor([hourly, quarter, daily, disabled]);
    const firedAt = tickAt(specHour(0));

    const result = await driver.tick({ firedAt, lookbackHours: 2 });
    await driver.settle();

    expect(result).toMatchObject({ firedAt, started: 3, alreadyRunning: 0, failedToStart: 0 });
    // A tenant's coverage starts `lookbackHours` before the hour its config was created in (now): hours 1 and 2 ago.
    expect(stripeTotal(hourly.apiKey)).toBe('330');
    expect(stripeTotal(quarter.apiKey)).toBe('330');
    // The open day is never pushed; yesterday's day window is due only if the coverage began before midnight.
    const todayMs = Math.floor(SPEC_NOW / DAY_MS) * DAY_MS;
    const coverageFrom = specHour(2).getTime();
    expect(stripeTotal(daily.apiKey)).toBe(coverageFrom < todayMs ? usageBetween(daily, todayMs - DAY_MS, todayMs) : '0');
    expect(stripeTotal(disabled.apiKey)).toBe('0');

    await driver.tick({ firedAt, lookbackHours: 2 });
    await driver.settle();
    expect(stripeTotal(hourly.apiKey)).toBe('330');
    expect(stripeTotal(quarter.apiKey)).toBe('330');
    expect(await statuses(hourly.tenant)).toEqual(['completed', 'completed']);
  });

  it('heals a five-hour outage by itself: the first tick after it syncs every closed window not yet delivered', async () => {
    const usage: UsageRow[] = [1, 2, 3, 4, 5, 6, 7, 8].map((hoursAgo) => ({
      customerId: 'client_1',
      meterId: 'meter_api',
      quantity: String(10 ** (hoursAgo - 1)),
      at: new Date(specHour(hoursAgo).getTime() + 20 * 60_000),
    }));
    const seeded = await seed('sched_outage', { createdAt: specHour(9), usage });
    const driver = await driverFor([seeded]);

    // Ticks ran until seven hours ago; the five after were missed (workers down); then the schedule fires again.
    await driver.tick({ firedAt: tickAt(specHour(6)), lookbackHours: 2 });
    await driver.settle();
    expect(stripeTotal(seeded.apiKey)).toBe(usageBetween(seeded, 0, specHour(6).getTime()));

    await driver.tick({ firedAt: tickAt(specHour(0)), lookbackHours: 2 });
    await driver.settle();

    expect(stripeTotal(seeded.apiKey)).toBe('11111111');
    expect(new Set(await statuses(seeded.tenant))).toEqual(new Set(['completed']));
    const plan = await spec.harness.pipeline().activities.PlanTenantCoverageActivity({
      ...seeded.tenant,
      closedBy: specHour(0).toISOString(),
      lookbackHours: 2,
      maxWindows: 100,
    });
    expect(plan).toMatchObject({ undelivered: 0, beyondLimit: 0 });
  });

  it('is not held up by a slow tenant: the tick returns, and the next one serves the others while it still runs', async () => {
    const slow = await seed('sched_slow');
    const quick = await seed('sched_quick');
    const slowAccount = spec.emulator.accounts().find((account) => account.apiKeys.includes(slow.apiKey));
    // Slow but inside the push's 5 s timeout: a timed-out push would be an unknown outcome, another spec's subject.
    spec.emulator.injectFault({ kind: 'latency', latencyMs: 3_000, account: slowAccount?.id });
    const driver = await driverFor([slow, quick]);

    const first = await driver.tick({ firedAt: tickAt(specHour(0)), lookbackHours: 2 });
    expect(first).toMatchObject({ started: 2, alreadyRunning: 0 });
    // The fan-out only started the runs: the slow tenant's push is still waiting on Stripe.
    expect(stripeTotal(slow.apiKey)).toBe('0');

    const second = await driver.tick({ firedAt: tickAt(specHour(0)), lookbackHours: 2 });
    expect(second.alreadyRunning).toBeGreaterThanOrEqual(1);
    expect(second.started + second.alreadyRunning).toBe(2);

    await driver.settle();
    expect(stripeTotal(slow.apiKey)).toBe('330');
    expect(stripeTotal(quick.apiKey)).toBe('330');
  });

  it('syncs both tenants whose ids joined with "-" would be the same (a-b/c and a/b-c)', async () => {
    const base = uniqueTenant('sched_ids');
    const left = await seed('sched_ids_l', { tenant: { tenantId: `${base.tenantId}-x`, environmentId: 'y' } });
    const right = await seed('sched_ids_r', { tenant: { tenantId: base.tenantId, environmentId: 'x-y' } });
    const driver = await driverFor([left, right]);

    const result = await driver.tick({ firedAt: tickAt(specHour(0)), lookbackHours: 2 });
    await driver.settle();

    expect(result).toMatchObject({ started: 2, alreadyRunning: 0, failedToStart: 0 });
    expect(stripeTotal(left.apiKey)).toBe('330');
    expect(stripeTotal(right.apiKey)).toBe('330');
  });

  it('takes a change of aggregation_window_minutes from 60 to 1440 at 14:30 from the next day, syncing 14:00–24:00 hourly', async () => {
    // Two days ago (D) and yesterday (D+1), so both days have closed.
    const dayD = Math.floor(SPEC_NOW / DAY_MS) * DAY_MS - 2 * DAY_MS;
    const hour = (day: number, h: number, m = 0) => new Date(dayD + day * DAY_MS + h * HOUR_MS + m * 60_000);
    const usage: UsageRow[] = [];
    for (let day = 0; day < 2; day += 1) {
      for (let h = 0; h < 24; h += 1)
        usage.push({ customerId: 'client_1', meterId: 'meter_api', quantity: String(h + 1), at: hour(day, h, 30) });
    }
    const seeded = await seed('sched_resize', { createdAt: hour(0, 2), usage });
    const driver = await driverFor([seeded]);

    await driver.tick({ firedAt: hour(0, 14, 35).toISOString(), lookbackHours: 2 });
    await driver.settle();
    expect(stripeTotal(seeded.apiKey)).toBe(usageBetween(seeded, 0, hour(0, 14).getTime()));

    await spec.harness.db.query(
      `UPDATE stripe_tenant_configs SET aggregation_window_minutes = 1440 WHERE tenant_id = $1 AND environment_id = $2`,
      [seeded.tenant.tenantId, seeded.tenant.environmentId],
    );
    await driver.tick({ firedAt: hour(1, 0, 5).toISOString(), lookbackHours: 2 });
    await driver.settle();
    expect(stripeTotal(seeded.apiKey)).toBe(usageBetween(seeded, 0, hour(1, 0).getTime()));

    await driver.tick({ firedAt: hour(2, 0, 5).toISOString(), lookbackHours: 2 });
    await driver.settle();
    expect(stripeTotal(seeded.apiKey)).toBe(usageBetween(seeded, 0, hour(2, 0).getTime()));

    const windows: { window_start: Date; window_minutes: number }[] = await spec.harness.db.query(
      `SELECT window_start, window_minutes FROM stripe_sync_windows WHERE tenant_id = $1 AND environment_id = $2 ORDER BY window_start`,
      [seeded.tenant.tenantId, seeded.tenant.environmentId],
    );
    expect(windows.map((w) => w.window_minutes)).toEqual([...Array<number>(24).fill(60), 1440]);
    expect(new Set(await statuses(seeded.tenant))).toEqual(new Set(['completed']));
  });

  it('reports windows never delivered that are older than Stripe accepts: metric and log line, not planned', async () => {
    const seeded = await seed('sched_old', { createdAt: new Date(Date.now() - 36 * DAY_MS), usage: [] });
    const pipeline = spec.harness.pipeline();
    const plan = await pipeline.activities.PlanTenantCoverageActivity({
      ...seeded.tenant,
      closedBy: specHour(0).toISOString(),
      lookbackHours: 2,
      maxWindows: 72,
    });

    expect(plan.beyondLimit).toBeGreaterThanOrEqual(24);
    expect(plan.beyondLimit).toBeLessThanOrEqual(28);
    expect(plan.windows).toHaveLength(72);
    expect(Date.parse(plan.windows[0].start)).toBeGreaterThan(Date.now() - 35 * DAY_MS);
    expect(plan.oldestUndelivered).toBe(plan.windows[0].start);
    const metrics = await pipeline.registry.getSingleMetricAsString('stripe_sync_windows_beyond_limit');
    expect(metrics).toContain(`tenant_id="${seeded.tenant.tenantId}"`);
    expect(metrics).toContain(`} ${plan.beyondLimit}`);
    expect(spec.harness.logs.some((line) => line.includes(seeded.tenant.tenantId) && line.includes("beyond Stripe's age limit"))).toBe(
      true,
    );
  });

  it('reads the tenant list a page at a time, continuing as new between pages, and starts every tenant once', async () => {
    const prefix = uniqueTenant('sched_page').tenantId;
    const seeded: Seeded[] = [];
    for (const label of ['a', 'b', 'c']) {
      seeded.push(await seed(`sched_page_${label}`, { tenant: { tenantId: `${prefix}_${label}`, environmentId: 'env' } }));
    }
    const pipeline = spec.harness.pipeline();
    // The real keyset query, started at this spec's tenants and ended after them (the database holds every spec's).
    const activities: SyncWorkerActivities = {
      ...pipeline.activities,
      ListSyncTenantsActivity: async (input) => {
        const page = await pipeline.activities.ListSyncTenantsActivity({
          ...input,
          after: input.after ?? { tenantId: prefix, environmentId: '' },
        });
        const tenants = page.tenants.filter((tenant) => tenant.tenantId.startsWith(`${prefix}_`));
        return { tenants, next: tenants.length === page.tenants.length ? page.next : undefined };
      },
    };
    const driver = await ScheduleDriver.start(spec.harness, activities, bundle);
    drivers.push(driver);

    const result = await driver.tick({ firedAt: tickAt(specHour(0)), lookbackHours: 2, tenantPageSize: 1 });
    await driver.settle();

    expect(result).toMatchObject({ started: 3, alreadyRunning: 0, failedToStart: 0, pages: 4 });
    for (const tenant of seeded) expect(stripeTotal(tenant.apiKey)).toBe('330');
  });

  it('runs the same fan-out when StripeEventSyncWorkflow is started bare, as the playbook’s cron command does, across pages', async () => {
    const seeded = await seed('sched_bare');
    const pipeline = spec.harness.pipeline();
    // One tenant a page, so the bare run has to continue as new with the next page (as the fan-out, not as itself).
    const activities: SyncWorkerActivities = {
      ...pipeline.activities,
      ListSyncTenantsActivity: async (input) =>
        // Page 1: the real query, from just before this spec's tenant; page 2: past it (the database holds every spec's).
        input.after
          ? { tenants: [] }
          : pipeline.activities.ListSyncTenantsActivity({ after: { tenantId: seeded.tenant.tenantId, environmentId: '' }, limit: 1 }),
    };
    const result = await spec.harness.runWorkflow<ScheduledSyncResult>(STRIPE_EVENT_SYNC_WORKFLOW, [], activities);

    expect(result).toMatchObject({ started: 1, failedToStart: 0, pages: 2 });
    expect(Date.parse(result.firedAt)).toBeGreaterThan(Date.now() - HOUR_MS);
    // The tenant run was started on the run's own queue, whose worker is gone now.
    await spec.harness.temporal.workflow
      .getHandle(scheduledTenantSyncWorkflowId(seeded.tenant))
      .terminate('test cleanup')
      .catch(() => undefined);
  });
});
