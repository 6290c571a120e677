import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { ledgerPayloadHash, meterEventTimestamp, pushIdentifier } from '@flexsync/sync-pipeline';
import { quoteString } from '@flexsync/clickhouse';
import { eventually, TestTenant, uniqueTenant } from '@flexsync/testing';
import { hourAgo, HOUR_MS, testApiKey, useSyncHarness } from '../testing/sync-harness';

/** Design rules 3 (write-ahead ledger) and 5 (late usage): nothing lost, nothing counted twice. */
describe('StripeEventSyncWorkflow: late usage and crash recovery', () => {
  const spec = useSyncHarness();

  async function tenantWithMeter(label: string): Promise<{ tenant: TestTenant; apiKey: string }> {
    const tenant = uniqueTenant(label);
    const apiKey = testApiKey(label);
    spec.emulator.addAccount({ apiKeys: [apiKey], meters: [{ eventName: 'api_calls' }] });
    await spec.harness.seedTenant(tenant, {
      apiKey,
      meters: [{ meterId: 'meter_api', eventName: 'api_calls' }],
      customers: [{ customerId: 'client_a', stripeCustomerId: 'cus_a' }],
    });
    return { tenant, apiKey };
  }

  const stripeTotal = (apiKey: string): string | undefined => spec.emulator.totals(apiKey)[0]?.totalExact;

  it('sends late usage as a correction with a new revision, and a negative correction when usage goes down', async () => {
    const { tenant, apiKey } = await tenantWithMeter('late');
    const window = hourAgo(3);
    const range = { ...tenant, timeFrom: window.toISOString(), timeTo: new Date(window.getTime() + HOUR_MS).toISOString() };
    const usage = (quantity: string, minute: number) => ({
      customerId: 'client_a',
      meterId: 'meter_api',
      quantity,
      at: new Date(window.getTime() + minute * 60_000),
    });
    const { activities } = spec.harness.pipeline();

    await spec.harness.insertUsage(tenant, [usage('10', 5)]);
    await spec.harness.runSync(range, activities);
    expect(stripeTotal(apiKey)).toBe('10');

    await spec.harness.insertUsage(tenant, [usage('4', 50)]);
    const late = await spec.harness.runSync(range, activities);
    expect(late.windows[0]).toMatchObject({ totalQuantity: '14', armed: 1, corrections: 1, completed: 1 });
    expect(stripeTotal(apiKey)).toBe('14');

    await spec.harness.insertUsage(tenant, [usage('-6', 55)]);
    const reversal = await spec.harness.runSync(range, activities);
    expect(reversal.windows[0]).toMatchObject({ totalQuantity: '8', corrections: 1, completed: 1 });
    expect(stripeTotal(apiKey)).toBe('8');

    const ledger = await spec.harness.ledger(tenant);
    expect(ledger.map((row) => [row.revision, row.aggregatedQuantity, row.sentValue, row.syncStatus])).toEqual([
      [0, '10.000000000000', '10', 'completed'],
      [1, '14.000000000000', '4', 'completed'],
      [2, '8.000000000000', '-6', 'completed'],
    ]);
    const identity = {
      ...tenant,
      customerId: 'client_a',
      meterId: 'meter_api',
      eventType: 'increment',
      windowStart: window,
      windowEnd: new Date(window.getTime() + HOUR_MS),
    };
    expect(ledger.map((row) => row.identifier)).toEqual([0, 1, 2].map((revision) => pushIdentifier({ ...identity, revision })));
    expect(spec.emulator.meterEvents({ account: apiKey }).map((event) => event.value)).toEqual(['10', '4', '-6']);

    // Equal totals: nothing more to send.
    const settled = await spec.harness.runSync(range, activities);
    expect(settled.windows[0]).toMatchObject({ armed: 0, unchanged: 1 });
    expect(spec.emulator.meterEvents({ account: apiKey })).toHaveLength(3);
  });

  it('sends a negative correction for usage that disappeared from ClickHouse, across aggregate page boundaries', async () => {
    const { tenant, apiKey } = await tenantWithMeter('vanish');
    await spec.harness.db.query(
      `INSERT INTO customer_integration_mappings (tenant_id, environment_id, customer_id, provider_type, provider_customer_id)
       SELECT $1, $2, 'client_' || n, 'stripe', 'cus_' || n FROM generate_series(1, 5) AS n`,
      [tenant.tenantId, tenant.environmentId],
    );
    const window = hourAgo(3);
    const range = { ...tenant, timeFrom: window.toISOString(), timeTo: new Date(window.getTime() + HOUR_MS).toISOString() };
    await spec.harness.insertUsage(
      tenant,
      [1, 2, 3, 4, 5].map((n) => ({ customerId: `client_${n}`, meterId: 'meter_api', quantity: String(n * 10), at: window })),
    );
    // One aggregate per ledger page, so vanished series fall inside, between and after pages.
    const { activities } = spec.harness.pipeline((settings) => ({ ...settings, aggregatePageSize: 1 }));
    await spec.harness.runSync(range, activities);

    const gone = `tenant_id = ${quoteString(tenant.tenantId)} AND customer_id IN ('client_1', 'client_3', 'client_5')`;
    await spec.harness.clickhouse.command({ query: `ALTER TABLE events_processed DELETE WHERE ${gone}` });
    await eventually(
      async () => {
        const result = await spec.harness.clickhouse.query({
          query: `SELECT count() AS n FROM events_processed WHERE ${gone}`,
          format: 'JSONEachRow',
        });
        const [row] = await result.json<{ n: string }>();
        return Number(row.n) === 0 ? true : undefined;
      },
      { what: 'the ClickHouse delete mutation', timeoutMs: 60_000, intervalMs: 200 },
    );
    const corrected = await spec.harness.runSync(range, activities);

    expect(corrected.windows[0]).toMatchObject({ aggregateCount: 2, corrections: 3, completed: 3, unchanged: 2 });
    const totals = Object.fromEntries(spec.emulator.totals(apiKey).map((total) => [total.customer, total.totalExact]));
    expect(totals).toEqual({ cus_1: '0', cus_2: '20', cus_3: '0', cus_4: '40', cus_5: '0' });
    const corrections = (await spec.harness.ledger(tenant)).filter((row) => row.revision === 1);
    expect(corrections.map((row) => [row.customerId, row.aggregatedQuantity, row.sentValue])).toEqual([
      ['client_1', '0.000000000000', '-10'],
      ['client_3', '0.000000000000', '-30'],
      ['client_5', '0.000000000000', '-50'],
    ]);
  });

  it('resumes pushes a run left pending after Stripe accepted them but before they were tracked, and Stripe counts them once', async () => {
    const { tenant, apiKey } = await tenantWithMeter('crash');
    const window = hourAgo(2);
    const range = { ...tenant, timeFrom: window.toISOString(), timeTo: new Date(window.getTime() + HOUR_MS).toISOString() };
    await spec.harness.insertUsage(tenant, [{ customerId: 'client_a', meterId: 'meter_api', quantity: '42', at: window }]);
    const { activities } = spec.harness.pipeline();

    // The worker "dies" right after the Stripe calls: the outcomes never reach TrackSyncBatchActivity.
    const crashing = {
      ...activities,
      SyncToStripeActivity: async (input: Parameters<typeof activities.SyncToStripeActivity>[0]) => {
        await activities.SyncToStripeActivity(input);
        throw ApplicationFailure.nonRetryable('worker died after calling Stripe');
      },
    };
    await expect(spec.harness.runSync(range, crashing)).rejects.toThrow(WorkflowFailedError);
    expect(stripeTotal(apiKey)).toBe('42');
    const [left] = await spec.harness.ledger(tenant);
    expect(left).toMatchObject({ syncStatus: 'pending', sentValue: '42', attemptCount: 1 });

    const resumed = await spec.harness.runSync(range, activities);
    expect(resumed.windows[0]).toMatchObject({ resumed: 1, armed: 0, completed: 1, failed: 0 });
    expect(stripeTotal(apiKey)).toBe('42');
    expect(spec.emulator.meterEvents({ account: apiKey })).toHaveLength(1);
    const [done] = await spec.harness.ledger(tenant);
    expect(done).toMatchObject({ id: left.id, identifier: left.identifier, syncStatus: 'completed', sentValue: '42', attemptCount: 2 });
  });

  it('resumes a pending row written ahead of a Stripe call that never happened, sending its frozen payload once', async () => {
    const { tenant, apiKey } = await tenantWithMeter('walog');
    const window = hourAgo(2);
    const windowEnd = new Date(window.getTime() + HOUR_MS);
    await spec.harness.insertUsage(tenant, [{ customerId: 'client_a', meterId: 'meter_api', quantity: '7', at: window }]);
    // What the write-ahead commit leaves when the process dies before the call: valued, one attempt, pending.
    const identifier = pushIdentifier({
      ...tenant,
      customerId: 'client_a',
      meterId: 'meter_api',
      eventType: 'increment',
      windowStart: window,
      windowEnd,
      revision: 0,
    });
    const timestamp = meterEventTimestamp({ start: window, end: windowEnd }, Date.now());
    if (!timestamp.ok) throw new Error(timestamp.reason);
    const payload = {
      identifier,
      aggregatedQuantity: '7',
      eventCount: '1',
      eventName: 'api_calls',
      stripeCustomerId: 'cus_a',
      value: '7',
      valuePrecision: 0,
      timestamp: timestamp.seconds,
    };
    await spec.harness.db.query(
      `INSERT INTO stripe_sync_windows (tenant_id, environment_id, window_start, window_end) VALUES ($1, $2, $3, $4)`,
      [tenant.tenantId, tenant.environmentId, window, windowEnd],
    );
    await spec.harness.db.query(
      `INSERT INTO stripe_sync_batches (tenant_id, environment_id, customer_id, provider_customer_id, meter_id, event_name, event_type,
                                        window_start, window_end, revision, identifier, payload_hash, aggregated_quantity, sent_value,
                                        value_precision, meter_event_timestamp, event_count, sync_status, attempt_count)
       VALUES ($1, $2, 'client_a', 'cus_a', 'meter_api', 'api_calls', 'increment', $3, $4, 0, $5, $6, 7, 7, 0, to_timestamp($7), 1, 'pending', 1)`,
      [tenant.tenantId, tenant.environmentId, window, windowEnd, identifier, ledgerPayloadHash(payload), timestamp.seconds],
    );

    const result = await spec.harness.runSync(
      { ...tenant, timeFrom: window.toISOString(), timeTo: windowEnd.toISOString() },
      spec.harness.pipeline().activities,
    );

    expect(result.windows[0]).toMatchObject({ resumed: 1, armed: 0, completed: 1 });
    expect(spec.emulator.meterEvents({ account: apiKey }).map((event) => [event.identifier, event.value, event.timestamp])).toEqual([
      [identifier, '7', timestamp.seconds],
    ]);
    expect(await spec.harness.ledger(tenant)).toEqual([expect.objectContaining({ identifier, syncStatus: 'completed', attemptCount: 2 })]);
  });

  it('continues as new on long runs and still pushes every row exactly once', async () => {
    const { tenant, apiKey } = await tenantWithMeter('can');
    await spec.harness.db.query(
      `INSERT INTO customer_integration_mappings (tenant_id, environment_id, customer_id, provider_type, provider_customer_id)
       SELECT $1, $2, 'client_' || n, 'stripe', 'cus_' || n FROM generate_series(1, 12) AS n`,
      [tenant.tenantId, tenant.environmentId],
    );
    const window = hourAgo(2);
    await spec.harness.insertUsage(
      tenant,
      Array.from({ length: 12 }, (_, index) => ({
        customerId: `client_${index + 1}`,
        meterId: 'meter_api',
        quantity: String(index + 1),
        at: window,
      })),
    );
    const { activities } = spec.harness.pipeline((settings) => ({ ...settings, push: { ...settings.push, pageSize: 2 } }));

    const result = await spec.harness.runSync(
      { ...tenant, timeFrom: window.toISOString(), timeTo: new Date(window.getTime() + HOUR_MS).toISOString(), historyEventBudget: 20 },
      activities,
    );

    expect(result.windows).toHaveLength(1);
    expect(result.windows[0]).toMatchObject({ aggregateCount: 12, armed: 12, completed: 12, failed: 0 });
    expect(spec.emulator.meterEvents({ account: apiKey })).toHaveLength(12);
    expect(spec.emulator.totals(apiKey).reduce((sum, total) => sum + BigInt(total.totalExact), 0n)).toBe(78n);
    expect(new Set((await spec.harness.ledger(tenant)).map((row) => row.runId)).size).toBeGreaterThan(1);
  });
});
