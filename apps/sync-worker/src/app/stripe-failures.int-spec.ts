import { WorkflowFailedError } from '@temporalio/client';
import { TestTenant, uniqueTenant } from '@flexsync/testing';
import { HOUR_MS, hourAgo, testApiKey, useSyncHarness } from '../testing/sync-harness';

/** Design rule 7 and playbook §8: every failure is classified, recorded with its cause, and never left pending. */
describe('StripeEventSyncWorkflow: failure paths', () => {
  const spec = useSyncHarness();

  async function setUp(
    label: string,
    options: { register?: boolean } = {},
  ): Promise<{ tenant: TestTenant; apiKey: string; range: { timeFrom: string; timeTo: string } }> {
    const tenant = uniqueTenant(label);
    const apiKey = testApiKey(label);
    if (options.register ?? true) spec.emulator.addAccount({ apiKeys: [apiKey], meters: [{ eventName: 'api_calls' }] });
    await spec.harness.seedTenant(tenant, {
      apiKey,
      meters: [{ meterId: 'meter_api', eventName: 'api_calls' }],
      customers: [
        { customerId: 'client_a', stripeCustomerId: 'cus_a' },
        { customerId: 'client_b', stripeCustomerId: 'cus_b' },
      ],
    });
    const window = hourAgo(2);
    await spec.harness.insertUsage(tenant, [
      { customerId: 'client_a', meterId: 'meter_api', quantity: '5', at: window },
      { customerId: 'client_b', meterId: 'meter_api', quantity: '6', at: window },
    ]);
    return { tenant, apiKey, range: { timeFrom: window.toISOString(), timeTo: new Date(window.getTime() + HOUR_MS).toISOString() } };
  }

  it('fails pushes with "auth error" on a refused key, opens the circuit, fails fast while open and recovers after a probe', async () => {
    const { tenant, apiKey, range } = await setUp('auth', { register: false });
    const pipeline = spec.harness.pipeline((settings) => ({ ...settings, circuitCooldownSeconds: 600 }));

    const refused = await spec.harness.runSync({ ...tenant, ...range }, pipeline.activities);
    expect(refused.windows[0]).toMatchObject({ completed: 0, failed: 2 });
    const failed = await spec.harness.ledger(tenant);
    expect(failed.map((row) => row.syncStatus)).toEqual(['failed', 'failed']);
    for (const row of failed) expect(row.errorMessage).toMatch(/^auth error/);
    expect(await spec.harness.breaker(tenant)).toMatchObject({ state: 'open', failure_count: 1, next_probe_at: expect.any(Date) });
    expect(await pipeline.registry.metrics()).toContain(
      `stripe_sync_circuit_state{tenant_id="${tenant.tenantId}",environment_id="${tenant.environmentId}"} 2`,
    );
    const callsWhileClosed = spec.emulator.requests({ pathPrefix: '/v1/billing/meter_events' }).length;

    // While open: the failed rows are re-armed and fail fast, without a call to Stripe.
    const fastFail = await spec.harness.runSync({ ...tenant, ...range }, pipeline.activities);
    expect(fastFail.windows[0]).toMatchObject({ rearmed: 2, failed: 2 });
    expect(spec.emulator.requests({ pathPrefix: '/v1/billing/meter_events' })).toHaveLength(callsWhileClosed);
    for (const row of await spec.harness.ledger(tenant)) {
      expect(row.syncStatus).toBe('failed');
      expect(row.errorMessage).toMatch(/^auth error: circuit open/);
    }

    // The key is fixed on Stripe's side; once the cool-down is over (moved to now), one probe closes the circuit
    // and everything lands once.
    spec.emulator.addAccount({ apiKeys: [apiKey], meters: [{ eventName: 'api_calls' }] });
    await spec.harness.db.query(`UPDATE stripe_circuit_breakers SET next_probe_at = now() WHERE tenant_id = $1 AND environment_id = $2`, [
      tenant.tenantId,
      tenant.environmentId,
    ]);
    const recovered = await spec.harness.runSync({ ...tenant, ...range }, pipeline.activities);
    expect(recovered.windows[0]).toMatchObject({ rearmed: 2, completed: 2, failed: 0 });
    expect(await spec.harness.breaker(tenant)).toMatchObject({ state: 'closed', next_probe_at: null });
    expect(
      spec.emulator
        .totals(apiKey)
        .map((total) => total.totalExact)
        .sort(),
    ).toEqual(['5', '6']);

    // No secret in any log line, ledger error or metric.
    const everything = [
      ...spec.harness.logs,
      ...failed.map((row) => row.errorMessage ?? ''),
      await pipeline.registry.metrics(),
      JSON.stringify(await spec.harness.breaker(tenant)),
    ].join('\n');
    expect(everything).not.toContain(apiKey);
    expect(everything).not.toContain(apiKey.slice(8));
  });

  it('fails a page read ahead of a page whose key Stripe refused without calling Stripe again', async () => {
    const tenant = uniqueTenant('auth-read-ahead');
    const customers = Array.from({ length: 12 }, (_, index) => ({ customerId: `client_${index}`, stripeCustomerId: `cus_${index}` }));
    await spec.harness.seedTenant(tenant, {
      apiKey: testApiKey('auth-read-ahead'),
      meters: [{ meterId: 'meter_api', eventName: 'api_calls' }],
      customers,
    });
    const window = hourAgo(2);
    await spec.harness.insertUsage(
      tenant,
      customers.map(({ customerId }) => ({ customerId, meterId: 'meter_api', quantity: '1', at: window })),
    );
    // Pages of 2 (half of 4), up to 4 per call: the second page is prepared while the first is refused.
    const pipeline = spec.harness.pipeline((settings) => ({
      ...settings,
      circuitCooldownSeconds: 600,
      push: { ...settings.push, pageSize: 4, pagesPerCall: 4, concurrency: 1 },
    }));
    const before = spec.emulator.requests({ pathPrefix: '/v1/billing/meter_events' }).length;

    const refused = await spec.harness.runSync(
      { ...tenant, timeFrom: window.toISOString(), timeTo: new Date(window.getTime() + HOUR_MS).toISOString() },
      pipeline.activities,
    );

    expect(refused.windows[0]).toMatchObject({ completed: 0, failed: 12 });
    // One call met the refusal; the page read ahead and every later page failed fast on it.
    expect(spec.emulator.requests({ pathPrefix: '/v1/billing/meter_events' }).length - before).toBe(1);
    const rows = await spec.harness.ledger(tenant);
    expect(rows).toHaveLength(12);
    for (const row of rows) {
      expect(row.syncStatus).toBe('failed');
      expect(row.errorMessage).toMatch(/^auth error/);
    }
  });

  it('fails pushes whose meter or customer has no mapping, with the playbook messages, and sends them once mapped', async () => {
    const { tenant, apiKey, range } = await setUp('mapping');
    await spec.harness.insertUsage(tenant, [
      { customerId: 'client_a', meterId: 'meter_unmapped', quantity: '3', at: new Date(range.timeFrom) },
      { customerId: 'client_unmapped', meterId: 'meter_api', quantity: '4', at: new Date(range.timeFrom) },
    ]);
    const { activities } = spec.harness.pipeline();

    const first = await spec.harness.runSync({ ...tenant, ...range }, activities);
    expect(first.windows[0]).toMatchObject({ aggregateCount: 4, completed: 2, failed: 2 });
    const errors = (await spec.harness.ledger(tenant)).map((row) => [row.customerId, row.meterId, row.syncStatus, row.errorMessage]);
    expect(errors).toEqual([
      ['client_a', 'meter_api', 'completed', null],
      ['client_a', 'meter_unmapped', 'failed', 'meter mapping not found'],
      ['client_b', 'meter_api', 'completed', null],
      ['client_unmapped', 'meter_api', 'failed', 'customer mapping not found'],
    ]);

    spec.emulator.addMeter(apiKey, { eventName: 'unmapped_calls' });
    await spec.harness.addMeterMapping(tenant, { meterId: 'meter_unmapped', eventName: 'unmapped_calls' });
    await spec.harness.addCustomerMapping(tenant, { customerId: 'client_unmapped', stripeCustomerId: 'cus_late' });
    const second = await spec.harness.runSync({ ...tenant, ...range }, activities);
    expect(second.windows[0]).toMatchObject({ armed: 2, completed: 2, failed: 0 });
    expect((await spec.harness.ledger(tenant)).every((row) => row.syncStatus === 'completed' && row.revision === 0)).toBe(true);
    expect(
      Object.fromEntries(spec.emulator.totals(apiKey).map((total) => [`${total.customer}/${total.eventName}`, total.totalExact])),
    ).toEqual({
      'cus_a/api_calls': '5',
      'cus_b/api_calls': '6',
      'cus_a/unmapped_calls': '3',
      'cus_late/api_calls': '4',
    });
  });

  it('retries 409s and 500s with backoff until Stripe accepts, and records a persistent 409 as failed with its cause', async () => {
    const { tenant, apiKey, range } = await setUp('retry');
    const { activities, registry } = spec.harness.pipeline();
    spec.emulator.injectFault({ kind: 'status', status: 409, times: 2, account: apiKey, pathPrefix: '/v1/billing/meter_events' });
    spec.emulator.injectFault({ kind: 'status', status: 500, times: 2, account: apiKey, pathPrefix: '/v1/billing/meter_events' });

    const retried = await spec.harness.runSync({ ...tenant, ...range }, activities);
    expect(retried.windows[0]).toMatchObject({ completed: 2, failed: 0 });
    const statuses = spec.emulator.requests({ account: apiKey, pathPrefix: '/v1/billing/meter_events' }).map((request) => request.status);
    expect(statuses.filter((status) => status === 409)).toHaveLength(2);
    expect(statuses.filter((status) => status === 500)).toHaveLength(2);
    expect(
      spec.emulator
        .totals(apiKey)
        .map((total) => total.totalExact)
        .sort(),
    ).toEqual(['5', '6']);
    expect(await registry.metrics()).toMatch(/stripe_sync_stripe_calls_total\{result="conflict"\} 2/);

    const persistent = await setUp('conflict');
    const fault = spec.emulator.injectFault({
      kind: 'status',
      status: 409,
      account: persistent.apiKey,
      pathPrefix: '/v1/billing/meter_events',
    });
    const gaveUp = await spec.harness.runSync({ ...persistent.tenant, ...persistent.range }, activities);
    spec.emulator.removeFault(fault.id);
    expect(gaveUp.windows[0]).toMatchObject({ completed: 0, failed: 2 });
    for (const row of await spec.harness.ledger(persistent.tenant)) {
      expect(row.syncStatus).toBe('failed');
      expect(row.errorMessage).toMatch(/^conflict: .*\[status 409.*\(gave up after 4 attempts\)$/);
    }
    expect(spec.emulator.requests({ account: persistent.apiKey, pathPrefix: '/v1/billing/meter_events' })).toHaveLength(8);

    // The conflict clears: the next run re-sends the same identities and they land once.
    const cleared = await spec.harness.runSync({ ...persistent.tenant, ...persistent.range }, activities);
    expect(cleared.windows[0]).toMatchObject({ rearmed: 2, completed: 2 });
    expect(
      spec.emulator
        .totals(persistent.apiKey)
        .map((total) => total.totalExact)
        .sort(),
    ).toEqual(['5', '6']);
  });

  it('honours Stripe-Should-Retry: false by failing at once', async () => {
    const { tenant, apiKey, range } = await setUp('noretry');
    spec.emulator.injectFault({
      kind: 'status',
      status: 503,
      shouldRetry: false,
      times: 2,
      account: apiKey,
      pathPrefix: '/v1/billing/meter_events',
    });
    const result = await spec.harness.runSync({ ...tenant, ...range }, spec.harness.pipeline().activities);
    expect(result.windows[0]).toMatchObject({ failed: 2, completed: 0 });
    expect(spec.emulator.requests({ account: apiKey, pathPrefix: '/v1/billing/meter_events' })).toHaveLength(2);
    for (const row of await spec.harness.ledger(tenant)) expect(row.errorMessage).toMatch(/^stripe server error: .*status 503/);
  });

  it('fails a window older than Stripe accepts with a clear error instead of skipping it', async () => {
    const tenant = uniqueTenant('old');
    const apiKey = testApiKey('old');
    spec.emulator.addAccount({ apiKeys: [apiKey], meters: [{ eventName: 'api_calls' }] });
    await spec.harness.seedTenant(tenant, {
      apiKey,
      meters: [{ meterId: 'meter_api', eventName: 'api_calls' }],
      customers: [{ customerId: 'client_a', stripeCustomerId: 'cus_a' }],
    });
    const window = hourAgo(36 * 24);
    await spec.harness.insertUsage(tenant, [{ customerId: 'client_a', meterId: 'meter_api', quantity: '9', at: window }]);

    const result = await spec.harness.runSync(
      { ...tenant, timeFrom: window.toISOString(), timeTo: new Date(window.getTime() + HOUR_MS).toISOString() },
      spec.harness.pipeline().activities,
    );

    expect(result.windows[0]).toMatchObject({ aggregateCount: 1, failed: 1, completed: 0 });
    const [row] = await spec.harness.ledger(tenant);
    expect(row.syncStatus).toBe('failed');
    expect(row.errorMessage).toMatch(/^window too old for Stripe: meter event timestamp .* is beyond Stripe's 35-day limit/);
    // No meter event is sent (the pre-push meter check's one read of the account's meters is not a push).
    expect(spec.emulator.requests({ account: apiKey, pathPrefix: '/v1/billing/meter_events' })).toHaveLength(0);
  });

  it('refuses a window that overlaps an already-synced window of another size, so usage cannot be sent twice', async () => {
    const { tenant, apiKey, range } = await setUp('overlap');
    const { activities } = spec.harness.pipeline();
    await spec.harness.runSync({ ...tenant, ...range }, activities);

    const twoHourly = await spec.harness
      .runSync({ ...tenant, timeFrom: range.timeFrom, timeTo: range.timeTo, windowMinutes: 120 }, activities)
      .catch((error: unknown) => error);
    expect(twoHourly).toBeInstanceOf(WorkflowFailedError);
    expect((twoHourly as WorkflowFailedError).cause?.cause).toMatchObject({
      type: 'SyncWindowConflict',
      message: expect.stringMatching(/overlaps the already-synced window .* could send the same usage twice/),
    });
    expect(spec.emulator.meterEvents({ account: apiKey })).toHaveLength(2);
  });
});
