import { Registry } from 'prom-client';
import { rawStripeCall } from '@flexsync/stripe-emulator';
import { createReconciliationService, type ReconciliationService } from '@flexsync/sync-pipeline';
import type { TestTenant } from '@flexsync/testing';
import { edgeTenant, stripeTotals } from '../testing/edge-tenant';
import { defaultPipelineSettings, useSyncHarness } from '../testing/sync-harness';

/**
 * Issue 9: reconciliation against Stripe's own meter totals (event summaries), per customer × meter × window, over
 * the real Postgres and ClickHouse and the emulator (which ingests asynchronously, like Stripe).
 */
describe('reconciliation against Stripe meter event summaries', () => {
  const spec = useSyncHarness();
  const INGESTION_DELAY_MS = 400;
  const LAG_SECONDS = 1;

  const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

  function service(registry = new Registry()): ReconciliationService {
    return createReconciliationService({
      db: spec.harness.db,
      clickhouse: spec.harness.clickhouse,
      secretBox: spec.harness.secretBox,
      registry,
      logger: spec.harness.logger,
      stripe: defaultPipelineSettings(spec.emulator.url).stripe,
      reconciliation: { ingestionLagSeconds: LAG_SECONDS, dedupeWindowHours: 24 },
    });
  }

  function request(tenant: TestTenant, range: { timeFrom: string; timeTo: string }) {
    return { ...tenant, timeFrom: new Date(range.timeFrom), timeTo: new Date(range.timeTo) };
  }

  async function forceUnknown(tenant: TestTenant): Promise<void> {
    // What the pusher leaves for a push whose call may have reached Stripe once its first send is past the 24 h dedupe.
    await spec.harness.db.query(
      `UPDATE stripe_sync_batches
          SET sync_status = 'unknown', completed_at = NULL, next_attempt_at = NULL, outcome_uncertain = true,
              first_sent_at = now() - interval '25 hours', error_message = 'outcome unknown: test'
        WHERE tenant_id = $1 AND environment_id = $2`,
      [tenant.tenantId, tenant.environmentId],
    );
  }

  async function ledger(tenant: TestTenant): Promise<{ status: string; identifier: string; superseded: string | null }[]> {
    return spec.harness.db.query(
      `SELECT sync_status AS status, identifier, superseded_identifier AS superseded FROM stripe_sync_batches
        WHERE tenant_id = $1 AND environment_id = $2 ORDER BY customer_id`,
      [tenant.tenantId, tenant.environmentId],
    );
  }

  beforeAll(() => {
    spec.emulator.configureIngestion({ delayMs: INGESTION_DELAY_MS });
  });

  it('reconciles a clean sync to all match once Stripe has ingested it, and pending before', async () => {
    const { tenant, range } = await edgeTenant(spec, 'reconclean');
    await spec.harness.runSync(range, spec.harness.pipeline().activities);

    const early = await service().reconcile(request(tenant, range));
    await sleep(LAG_SECONDS * 1000 + 100);
    const settled = await service().reconcile(request(tenant, range));

    expect(early.totals).toEqual({ match: 0, drift: 0, pending: 2, unknown_outcome: 0 });
    expect(settled.totals).toEqual({ match: 2, drift: 0, pending: 0, unknown_outcome: 0 });
    expect(settled.cells.map((cell) => [cell.customerId, cell.measuredValue, cell.deliveredValue, cell.stripeValue])).toEqual([
      ['client_a', '5', '5', '5'],
      ['client_b', '6', '6', '6'],
    ]);
    expect(settled.driftUnits).toBe('0');
  });

  it('shows an event sent to Stripe outside the pipeline as drift with the exact difference, and counts the verdicts', async () => {
    const { tenant, apiKey, window, range } = await edgeTenant(spec, 'reconinject');
    await spec.harness.runSync(range, spec.harness.pipeline().activities);
    const injected = await rawStripeCall(spec.emulator.url, {
      path: '/v1/billing/meter_events',
      apiKey,
      form: {
        event_name: 'api_calls',
        identifier: 'outside-the-pipeline',
        timestamp: String(Math.floor(window.getTime() / 1000) + 60),
        'payload[stripe_customer_id]': 'cus_a',
        'payload[value]': '7',
      },
    });
    await sleep(LAG_SECONDS * 1000 + 100);
    const registry = new Registry();

    const report = await service(registry).reconcile(request(tenant, range));

    expect(injected.status).toBe(200);
    expect(report.totals).toEqual({ match: 1, drift: 1, pending: 0, unknown_outcome: 0 });
    expect(report.cells.find((cell) => cell.customerId === 'client_a')).toMatchObject({
      status: 'drift',
      measuredValue: '5',
      deliveredValue: '5',
      stripeValue: '12',
      difference: '7',
      unexplained: '7',
    });
    expect(report.driftUnits).toBe('7');
    const cells = await registry.getSingleMetric('stripe_sync_reconciliation_cells_total')?.get();
    expect(cells?.values.map((value) => [value.labels.status, value.value])).toEqual(
      expect.arrayContaining([
        ['match', 1],
        ['drift', 1],
      ]),
    );
    expect(await ledger(tenant)).toEqual([
      expect.objectContaining({ status: 'completed' }),
      expect.objectContaining({ status: 'completed' }),
    ]);
  });

  it('settles unknown rows Stripe counted as completed, without sending anything', async () => {
    const { tenant, apiKey, range } = await edgeTenant(spec, 'reconcounted');
    await spec.harness.runSync(range, spec.harness.pipeline().activities);
    await forceUnknown(tenant);
    await sleep(LAG_SECONDS * 1000 + 100);
    const calls = spec.emulator.requests({ account: apiKey, pathPrefix: '/v1/billing/meter_events' }).length;
    const registry = new Registry();

    const report = await service(registry).reconcile(request(tenant, range));

    expect(report.settled).toEqual({ completed: 2, reidentified: [] });
    expect(report.totals).toEqual({ match: 2, drift: 0, pending: 0, unknown_outcome: 0 });
    expect((await ledger(tenant)).map((row) => [row.status, row.superseded])).toEqual([
      ['completed', null],
      ['completed', null],
    ]);
    expect(spec.emulator.requests({ account: apiKey, pathPrefix: '/v1/billing/meter_events' })).toHaveLength(calls);
    expect(report.unknownOutcomes).toBe(0);
    const settled = await registry.getSingleMetric('stripe_sync_unknown_outcomes_settled_total')?.get();
    expect(settled?.values.map((value) => [value.labels.outcome, value.value])).toEqual(
      expect.arrayContaining([
        ['counted', 2],
        ['reidentified', 0],
      ]),
    );
  });

  it('re-arms unknown rows Stripe never counted once, under a new identifier, and the next run delivers them', async () => {
    const { tenant, apiKey, range } = await edgeTenant(spec, 'reconmissing');
    const fault = spec.emulator.injectFault({ kind: 'status', status: 500, account: apiKey, pathPrefix: '/v1/billing/meter_events' });
    await spec.harness.runSync(range, spec.harness.pipeline().activities);
    spec.emulator.removeFault(fault.id);
    await forceUnknown(tenant);
    const before = await ledger(tenant);

    const report = await service().reconcile(request(tenant, range));
    const rearmed = await ledger(tenant);
    await spec.harness.runSync(range, spec.harness.pipeline().activities);
    await sleep(LAG_SECONDS * 1000 + 100);
    const after = await service().reconcile(request(tenant, range));

    expect(report.settled.completed).toBe(0);
    expect(report.settled.reidentified.map((push) => push.previous).sort()).toEqual(before.map((row) => row.identifier).sort());
    expect(report.totals).toEqual({ match: 0, drift: 0, pending: 2, unknown_outcome: 0 });
    expect(report.windowsToResend).toEqual([{ start: range.timeFrom, end: range.timeTo }]);
    for (const [index, row] of rearmed.entries()) {
      expect(row.status).toBe('pending');
      expect(row.superseded).toBe(before[index]?.identifier);
      expect(row.identifier).toMatch(/^flexprice_[0-9a-f]{64}$/);
      expect(row.identifier).not.toBe(before[index]?.identifier);
    }
    expect(stripeTotals(spec.emulator, apiKey)).toEqual({ 'cus_a/api_calls': '5', 'cus_b/api_calls': '6' });
    expect(
      spec.emulator
        .meterEvents({ account: apiKey })
        .map((event) => event.identifier)
        .sort(),
    ).toEqual(rearmed.map((row) => row.identifier).sort());
    expect(after.totals).toEqual({ match: 2, drift: 0, pending: 0, unknown_outcome: 0 });
  });

  it('leaves a row already re-identified once unknown when Stripe still misses it, and reports it', async () => {
    const { tenant, apiKey, range } = await edgeTenant(spec, 'recononcemore');
    const fault = spec.emulator.injectFault({ kind: 'status', status: 500, account: apiKey, pathPrefix: '/v1/billing/meter_events' });
    await spec.harness.runSync(range, spec.harness.pipeline().activities);
    await forceUnknown(tenant);
    await service().reconcile(request(tenant, range));
    await spec.harness.runSync(range, spec.harness.pipeline().activities);
    spec.emulator.removeFault(fault.id);
    await forceUnknown(tenant);

    const report = await service().reconcile(request(tenant, range));

    expect(report.settled).toEqual({ completed: 0, reidentified: [] });
    expect(report.totals).toEqual({ match: 0, drift: 0, pending: 0, unknown_outcome: 2 });
    expect((await ledger(tenant)).map((row) => row.status)).toEqual(['unknown', 'unknown']);
  });
});
