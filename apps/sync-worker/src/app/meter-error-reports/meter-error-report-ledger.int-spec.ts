import { randomUUID } from 'node:crypto';
import type { StripeMeterErrorReportMessage } from '@flexsync/kafka';
import type { TenantScope } from '@flexsync/persistence';
import { MeterErrorReportLedger, SyncLedger } from '@flexsync/sync-pipeline';
import { uniqueTenant } from '@flexsync/testing';
import { HOUR_MS, hourAgo, testApiKey, useSyncHarness } from '../../testing/sync-harness';

/** The ledger side of Stripe's meter error reports, on real Postgres: marks by identifier, once, scoped to the tenant. */
describe('MeterErrorReportLedger', () => {
  const spec = useSyncHarness();

  async function syncedTenant(label: string): Promise<{ tenant: TenantScope; identifier: string; id: string }> {
    const tenant = uniqueTenant(label);
    const apiKey = testApiKey(label);
    spec.emulator.addAccount({ apiKeys: [apiKey], meters: [{ eventName: 'api_calls' }] });
    await spec.harness.seedTenant(tenant, {
      apiKey,
      meters: [{ meterId: 'meter_api', eventName: 'api_calls' }],
      customers: [{ customerId: 'client_a', stripeCustomerId: 'cus_a' }],
    });
    const window = hourAgo(2);
    await spec.harness.insertUsage(tenant, [{ customerId: 'client_a', meterId: 'meter_api', quantity: '3', at: window }]);
    await spec.harness.runSync(
      { ...tenant, timeFrom: window.toISOString(), timeTo: new Date(window.getTime() + HOUR_MS).toISOString() },
      spec.harness.pipeline().activities,
    );
    const [row] = await spec.harness.ledger(tenant);
    return { tenant, identifier: row.identifier, id: row.id };
  }

  function report(
    tenant: TenantScope,
    identifiers: string[],
    eventId = `evt_${randomUUID().replaceAll('-', '').slice(0, 20)}`,
  ): StripeMeterErrorReportMessage {
    return {
      schema_version: 1,
      tenant_id: tenant.tenantId,
      environment_id: tenant.environmentId,
      stripe_event_id: eventId,
      event_type: 'v1.billing.meter.error_report_triggered',
      stripe_created: Math.floor(Date.now() / 1000),
      livemode: false,
      meter: 'mtr_1',
      error_count: identifiers.length,
      samples: identifiers.map((identifier) => ({ code: 'archived_meter', message: 'The meter was deactivated.', identifier })),
    };
  }

  it('marks the named row whatever its status, once; the same report again changes nothing', async () => {
    const { tenant, identifier } = await syncedTenant('report_ledger');
    const ledger = new MeterErrorReportLedger(spec.harness.db);
    const first = report(tenant, [identifier, 'flexprice_not_ours']);

    expect(await ledger.apply(first)).toEqual({ duplicate: false, markedRows: 1, samples: 2, unknownIdentifiers: 1 });
    const [marked] = await spec.harness.ledger(tenant);
    expect(marked).toMatchObject({ syncStatus: 'failed', errorMessage: 'stripe rejected: archived_meter: The meter was deactivated.' });
    expect(await ledger.apply(first)).toEqual({ duplicate: true, markedRows: 0, samples: 2, unknownIdentifiers: 0 });
    expect(await spec.harness.ledger(tenant)).toEqual([marked]);
  });

  it('keeps a row a report marked failed when the push outcome "completed" is recorded after it (the report is the later word)', async () => {
    const { tenant, identifier, id } = await syncedTenant('report_race');
    // The state just before TrackSyncBatchActivity writes: Stripe answered, the outcome is not recorded yet.
    await spec.harness.db.query(
      `UPDATE stripe_sync_batches SET sync_status = 'pending' WHERE tenant_id = $1 AND environment_id = $2 AND id = $3`,
      [tenant.tenantId, tenant.environmentId, id],
    );
    await new MeterErrorReportLedger(spec.harness.db).apply(report(tenant, [identifier]));

    expect(await new SyncLedger(spec.harness.db).recordOutcomes(tenant, { completed: { ids: [id], latencyMs: [5] }, failed: [] })).toEqual({
      completed: 0,
      failed: 0,
    });
    expect((await spec.harness.ledger(tenant))[0]).toMatchObject({
      syncStatus: 'failed',
      errorMessage: expect.stringMatching(/^stripe rejected: /),
    });
  });

  it('never touches another tenant’s row that carries the same identifier text, but records the report', async () => {
    const { tenant, identifier } = await syncedTenant('report_scope');
    const other = uniqueTenant('report_scope_other');
    const before = await spec.harness.ledger(tenant);

    expect(await new MeterErrorReportLedger(spec.harness.db).apply(report(other, [identifier]))).toMatchObject({
      markedRows: 0,
      unknownIdentifiers: 1,
    });
    expect(await spec.harness.ledger(tenant)).toEqual(before);
    const recorded: { matched_rows: number }[] = await spec.harness.db.query(
      `SELECT matched_rows FROM stripe_meter_error_reports WHERE tenant_id = $1 AND environment_id = $2`,
      [other.tenantId, other.environmentId],
    );
    expect(recorded).toEqual([{ matched_rows: 0 }]);
  });
});
