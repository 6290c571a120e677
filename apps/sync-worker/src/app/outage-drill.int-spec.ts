import { quoteString } from '@flexsync/clickhouse';
import { uniqueTenant, TestTenant } from '@flexsync/testing';
import { onlyTenants, ScheduleDriver } from '../testing/schedule-driver';
import { HOUR_MS, hourAgo, testApiKey, UsageRow, useSyncHarness } from '../testing/sync-harness';

const CUSTOMERS = 100;
/** Meters per tenant: 100 customers × (4 + 3 + 3) meters = 1,000 aggregates per hour over the three tenants. */
const METERS_PER_TENANT = [4, 3, 3];
const HOURS_OF_USAGE = 8;
/** The drill's "now", taken once: its hours are fixed even when the real hour turns mid-drill. */
const DRILL_NOW = Date.now();
const drillHour = (hoursAgo: number): Date => hourAgo(hoursAgo, DRILL_NOW);

interface DrillTenant {
  tenant: TestTenant;
  apiKey: string;
  meters: string[];
}

/**
 * The outage drill: hourly ticks run, then the workers are down for five hours (ticks missed, one buffered by the
 * schedule), then they come back. Hours pass as explicit `firedAt` ticks over usage in the past hours, not in real
 * time. Afterwards Stripe must hold exactly what ClickHouse measured, per tenant, customer and meter.
 */
describe('outage drill: five hours without workers, then recovery (real Temporal, Postgres, ClickHouse; Stripe emulator)', () => {
  const spec = useSyncHarness();
  const tenants: DrillTenant[] = [];

  beforeAll(async () => {
    for (const [index, meterCount] of METERS_PER_TENANT.entries()) {
      const tenant = uniqueTenant(`drill${index}`);
      const apiKey = testApiKey(`drill${index}`);
      const meters = Array.from({ length: meterCount }, (_, m) => `meter_${m}`);
      spec.emulator.addAccount({ apiKeys: [apiKey], meters: meters.map((meter) => ({ eventName: `event_${meter}` })) });
      await spec.harness.seedTenant(tenant, {
        apiKey,
        meters: meters.map((meter) => ({ meterId: meter, eventName: `event_${meter}` })),
        customers: Array.from({ length: CUSTOMERS }, (_, c) => ({ customerId: `client_${c}`, stripeCustomerId: `cus_${index}_${c}` })),
      });
      // Sync was enabled before the drill's first hour of usage.
      await spec.harness.db.query(`UPDATE stripe_tenant_configs SET created_at = $3 WHERE tenant_id = $1 AND environment_id = $2`, [
        tenant.tenantId,
        tenant.environmentId,
        drillHour(HOURS_OF_USAGE),
      ]);
      const usage: UsageRow[] = [];
      for (let hour = 1; hour <= HOURS_OF_USAGE; hour += 1) {
        for (let c = 0; c < CUSTOMERS; c += 1) {
          for (const [m, meter] of meters.entries()) {
            const at = new Date(drillHour(hour).getTime() + ((c * 7 + m * 13) % 60) * 60_000);
            usage.push({ customerId: `client_${c}`, meterId: meter, quantity: String(((c + m + hour) % 9) + 1), at });
            usage.push({ customerId: `client_${c}`, meterId: meter, quantity: String(hour), at: new Date(at.getTime() + 1_000) });
          }
        }
      }
      await spec.harness.insertUsage(tenant, usage);
      tenants.push({ tenant, apiKey, meters });
    }
  });

  const tick = (hoursAgo: number): string => new Date(drillHour(hoursAgo).getTime() + 5 * 60_000).toISOString();

  async function measured(drill: DrillTenant): Promise<Map<string, string>> {
    const result = await spec.harness.clickhouse.query({
      query: `SELECT customer_id, meter_id, toString(sum(qty_billable)) AS total FROM events_processed
               WHERE tenant_id = ${quoteString(drill.tenant.tenantId)} AND environment_id = ${quoteString(drill.tenant.environmentId)}
               GROUP BY customer_id, meter_id`,
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ customer_id: string; meter_id: string; total: string }>();
    return new Map(rows.map((row) => [`${row.customer_id.replace('client_', '')}|event_${row.meter_id}`, String(Number(row.total))]));
  }

  function received(drill: DrillTenant): Map<string, string> {
    return new Map(
      spec.emulator
        .totals(drill.apiKey)
        .map((total) => [`${total.customer.replace(/^cus_\d+_/, '')}|${total.eventName}`, total.totalExact] as [string, string]),
    );
  }

  it('delivers every closed window exactly once after the outage: Σ Stripe == Σ ClickHouse per tenant, customer and meter', async () => {
    const driver = await ScheduleDriver.start(
      spec.harness,
      onlyTenants(
        spec.harness.pipeline().activities,
        tenants.map((t) => t.tenant.tenantId),
      ),
    );
    try {
      await drill(driver);
    } finally {
      jest.restoreAllMocks();
      await driver.close();
    }
  });

  async function drill(driver: ScheduleDriver): Promise<void> {
    // Before the outage: the ticks of seven and six hours ago.
    await driver.tick({ firedAt: tick(7) });
    await driver.tick({ firedAt: tick(6) });
    await driver.settle();

    // Workers down from five hours ago: the ticks of hours -5..-1 are missed, but for the one the schedule buffers.
    await driver.stopWorker();
    // The hour turns while the workers are down (as it did in a CI run at 19:59:09): the drill's hours must not move.
    const realNow = Date.now.bind(Date);
    jest.spyOn(Date, 'now').mockImplementation(() => realNow() + HOUR_MS);
    const buffered = await driver.startTick({ firedAt: tick(1) });

    // Recovery: the buffered tick runs as soon as a worker is back; later, the regular tick of this hour.
    await driver.startWorker();
    await spec.harness.temporal.workflow.getHandle(buffered).result();
    await driver.settle(90_000);
    await driver.tick({ firedAt: tick(0) });
    await driver.settle(90_000);

    for (const drill of tenants) {
      expect(received(drill)).toEqual(await measured(drill));
      expect(received(drill).size).toBe(CUSTOMERS * drill.meters.length);
      const open: { n: string }[] = await spec.harness.db.query(
        `SELECT count(*) AS n FROM stripe_sync_batches WHERE tenant_id = $1 AND environment_id = $2 AND sync_status <> 'completed'`,
        [drill.tenant.tenantId, drill.tenant.environmentId],
      );
      expect(Number(open[0].n)).toBe(0);
      const coverage = await spec.harness.pipeline().activities.PlanTenantCoverageActivity({
        ...drill.tenant,
        closedBy: drillHour(0).toISOString(),
        lookbackHours: 2,
        maxWindows: 100,
      });
      expect(coverage).toMatchObject({ undelivered: 0, beyondLimit: 0 });
      const windows: { n: string }[] = await spec.harness.db.query(
        `SELECT count(*) AS n FROM stripe_sync_windows
          WHERE tenant_id = $1 AND environment_id = $2 AND delivered_at IS NOT NULL AND window_end <= $3`,
        [drill.tenant.tenantId, drill.tenant.environmentId, drillHour(0)],
      );
      // Every hour from the coverage start (two hours before the config's hour) to the last closed hour.
      expect(Number(windows[0].n)).toBe(HOURS_OF_USAGE + 2);
    }
  }
});
