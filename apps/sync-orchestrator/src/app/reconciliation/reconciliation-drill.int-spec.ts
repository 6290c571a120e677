import { quoteString } from '@flexsync/clickhouse';
import type { ReconciliationResult } from '@flexsync/sync-contracts';
import { hourAgo, uniqueTenant } from '@flexsync/testing';
import { ReconciliationStack, type UsageSeed } from '../../testing/reconciliation-stack';
import { bearerFor } from '../../testing/sync-orchestrator.harness';

const LAG_SECONDS = 1;
const CUSTOMERS = 20;
const METERS: Record<string, string> = { meter_api: 'api_calls', meter_storage: 'storage_gb' };
const HOURS = [5, 4, 3];
const STRIPE_TIMEOUT_MS = 800;
/** The drill's "now", taken once: its usage, ranges and late window stay in the same hours if the hour turns mid-drill. */
const DRILL_NOW = Date.now();
const drillHour = (hoursAgo: number): Date => hourAgo(hoursAgo, DRILL_NOW);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The chaos drill of issue 9: a sync over three hours while Stripe answers 5xx, 429, times out (after recording the
 * event) and drops connections (before handling it); the uncertain pushes then outlast Stripe's 24 h dedupe (their
 * first sends moved back 25 h), so only Stripe's totals can settle them. Reconciliation settles them both ways,
 * re-sends the missing ones once under new identifiers, the system's own retries deliver the rest, and at the end
 * the reconciliation API reports every cell `match` and Stripe holds exactly what ClickHouse measured.
 */
describe('chaos drill: 5xx, 429, timeouts and dropped connections end in every cell match (real stack, Stripe emulator)', () => {
  let stack: ReconciliationStack;

  beforeAll(async () => {
    stack = await ReconciliationStack.start({
      ingestionLagSeconds: LAG_SECONDS,
      emulatorIngestionDelayMs: 300,
      stripeTimeoutMs: STRIPE_TIMEOUT_MS,
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('reconciles to all match after the faults, with unknown outcomes settled as counted and as re-sent', async () => {
    const tenant = uniqueTenant('recondrill');
    const customers = Object.fromEntries(Array.from({ length: CUSTOMERS }, (_, c) => [`client_${c}`, `cus_${c}`]));
    const { apiKey } = await stack.seedTenant(tenant, {
      meters: METERS,
      customers: { ...customers, client_timeout: 'cus_timeout', client_dropped: 'cus_dropped' },
    });
    const usage: UsageSeed[] = [];
    for (const hour of HOURS) {
      for (let c = 0; c < CUSTOMERS; c += 1) {
        for (const [m, meterId] of Object.keys(METERS).entries()) {
          const at = new Date(drillHour(hour).getTime() + ((c * 7 + m * 13) % 60) * 60_000);
          usage.push({ customerId: `client_${c}`, meterId, quantity: String(((c + m + hour) % 9) + 1), at });
        }
      }
    }
    await stack.insertUsage(tenant, usage);
    const auth = await bearerFor(tenant);
    const range = { time_from: drillHour(HOURS[0]).toISOString(), time_to: drillHour(HOURS[HOURS.length - 1] - 1).toISOString() };
    const syncOf = async (body: Record<string, unknown>): Promise<void> => {
      const started = await stack.orchestrator.http.post('/v1/stripe/sync/manual').set('Authorization', auth).send(body);
      expect(started.status).toBe(202);
      await stack.finished(started.body.workflow_id);
    };
    const reconcile = async (): Promise<ReconciliationResult> => {
      const started = await stack.orchestrator.http.post('/v1/stripe/sync/reconciliation').set('Authorization', auth).send(range);
      expect(started.status).toBe(202);
      return stack.finished<ReconciliationResult>(started.body.workflow_id);
    };
    const onMeterEvents = { account: apiKey, pathPrefix: '/v1/billing/meter_events' };

    // The outage: every kind of fault at once, at random.
    const faults = [
      stack.emulator.injectFault({ kind: 'status', status: 500, rate: 0.15, ...onMeterEvents }),
      stack.emulator.injectFault({ kind: 'status', status: 503, rate: 0.05, ...onMeterEvents }),
      stack.emulator.injectFault({ kind: 'status', status: 429, rate: 0.15, ...onMeterEvents }),
      stack.emulator.injectFault({ kind: 'latency', latencyMs: STRIPE_TIMEOUT_MS * 2, rate: 0.1, ...onMeterEvents }),
      stack.emulator.injectFault({ kind: 'drop', rate: 0.1, ...onMeterEvents }),
    ];
    await syncOf(range);
    for (const fault of faults) stack.emulator.removeFault(fault.id);
    // Two late customers whose pushes certainly end uncertain: one Stripe records but answers too late, one it never sees.
    const lateWindow = drillHour(4);
    await stack.insertUsage(tenant, [
      { customerId: 'client_timeout', meterId: 'meter_api', quantity: '11', at: lateWindow },
      { customerId: 'client_dropped', meterId: 'meter_api', quantity: '13', at: lateWindow },
    ]);
    const slow = stack.emulator.injectFault({ kind: 'latency', latencyMs: STRIPE_TIMEOUT_MS * 2, ...onMeterEvents });
    await syncOf({ ...range, entity_id: 'client_timeout', entity_type: 'customer' });
    stack.emulator.removeFault(slow.id);
    const dropped = stack.emulator.injectFault({ kind: 'drop', ...onMeterEvents });
    await syncOf({ ...range, entity_id: 'client_dropped', entity_type: 'customer' });
    stack.emulator.removeFault(dropped.id);

    // The outage outlasted Stripe's 24 h dedupe: every push whose outcome is uncertain is now `unknown`.
    const forced: { customer_id: string }[] = await stack.orchestrator.dataSource
      .query(
        `UPDATE stripe_sync_batches
          SET sync_status = 'unknown', next_attempt_at = NULL, completed_at = NULL, first_sent_at = now() - interval '25 hours'
        WHERE tenant_id = $1 AND environment_id = $2 AND sync_status <> 'completed' AND outcome_uncertain
        RETURNING customer_id`,
        [tenant.tenantId, tenant.environmentId],
      )
      .then((result: unknown[]) =>
        Array.isArray(result[0]) ? (result[0] as { customer_id: string }[]) : (result as { customer_id: string }[]),
      );
    await sleep(LAG_SECONDS * 1000 + 300);

    const settling = await reconcile();
    // What the hourly schedule would do next: the system's own retries of the pushes that failed for certain.
    await syncOf(range);
    await sleep(LAG_SECONDS * 1000 + 300);
    const final = await reconcile();
    const cells: { status: string }[] = [];
    let cursor: string | null = null;
    let totals: Record<string, number> = {};
    do {
      const page = await stack.orchestrator.http
        .get('/v1/stripe/sync/reconciliation')
        .set('Authorization', auth)
        .query({ ...range, limit: 50, ...(cursor === null ? {} : { cursor }) });
      expect(page.status).toBe(200);
      cells.push(...page.body.cells);
      totals = page.body.totals;
      cursor = page.body.next_cursor;
    } while (cursor !== null);

    const calls = stack.emulator.requests({ account: apiKey, pathPrefix: '/v1/billing/meter_events' });
    expect(new Set(calls.filter((call) => call.fault === 'status').map((call) => call.status))).toEqual(new Set([429, 500, 503]));
    expect(calls.some((call) => call.fault === 'drop')).toBe(true);
    expect(calls.some((call) => call.durationMs >= STRIPE_TIMEOUT_MS)).toBe(true);
    expect(forced.map((row) => row.customer_id)).toEqual(expect.arrayContaining(['client_timeout', 'client_dropped']));
    expect(settling.settledCompleted).toBeGreaterThanOrEqual(1);
    expect(settling.reidentified).toBeGreaterThanOrEqual(1);
    expect(final.totals).toEqual({ match: CUSTOMERS * 2 * HOURS.length + 2, drift: 0, pending: 0, unknown_outcome: 0 });
    expect(totals).toEqual({ match: CUSTOMERS * 2 * HOURS.length + 2, drift: 0, pending: 0, unknown_outcome: 0 });
    expect(cells).toHaveLength(CUSTOMERS * 2 * HOURS.length + 2);
    expect(cells.every((cell) => cell.status === 'match')).toBe(true);

    const measured = await stack.clickhouse.query({
      query: `SELECT customer_id, meter_id, toString(sum(qty_billable)) AS total FROM events_processed
               WHERE tenant_id = ${quoteString(tenant.tenantId)} AND environment_id = ${quoteString(tenant.environmentId)}
               GROUP BY customer_id, meter_id`,
      format: 'JSONEachRow',
    });
    const expected = new Map(
      (await measured.json<{ customer_id: string; meter_id: string; total: string }>()).map((row) => [
        `${row.customer_id.replace('client_', 'cus_')}|${METERS[row.meter_id]}`,
        String(Number(row.total)),
      ]),
    );
    const received = new Map(stack.emulator.totals(apiKey).map((total) => [`${total.customer}|${total.eventName}`, total.totalExact]));
    expect(received).toEqual(expected);
    const open: { n: string }[] = await stack.orchestrator.dataSource.query(
      `SELECT count(*) AS n FROM stripe_sync_batches WHERE tenant_id = $1 AND environment_id = $2 AND sync_status <> 'completed'`,
      [tenant.tenantId, tenant.environmentId],
    );
    expect(Number(open[0].n)).toBe(0);
  }, 240_000);
});
