import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { stackEnv, uniqueTenant } from '@flexsync/testing';
import { dataSourceOptions } from '../data-source';
import { StripeMeterErrorReport } from './stripe-meter-error-report.entity';
import { MeterErrorReportStore, type MeterErrorReportRecord } from './meter-error-report.store';

describe('MeterErrorReportStore (real Postgres)', () => {
  let dataSource: DataSource;
  const store = new MeterErrorReportStore();

  beforeAll(async () => {
    dataSource = await new DataSource(dataSourceOptions(stackEnv().DATABASE_URL)).initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  const report = (): MeterErrorReportRecord => ({
    stripeEventId: `evt_${randomUUID().replaceAll('-', '')}`,
    eventType: 'v1.billing.meter.error_report_triggered',
    stripeMeterId: 'mtr_1',
    errorCount: 7,
    sampleCount: 2,
    errorCodes: ['archived_meter', 'meter_event_customer_not_found'],
    stripeCreated: 1_780_000_000,
  });

  it('records a report once per tenant and environment, and says when a redelivery recorded nothing', async () => {
    const scope = uniqueTenant('error_report');
    const other = uniqueTenant('error_report_other');
    const first = report();
    const id = await dataSource.transaction((tx) => store.record(tx, scope, first));
    expect(id).toEqual(expect.any(String));
    expect(await dataSource.transaction((tx) => store.record(tx, scope, first))).toBeUndefined();
    // The same Stripe event id under another tenant is that tenant's own report.
    expect(await dataSource.transaction((tx) => store.record(tx, other, first))).toEqual(expect.any(String));

    await dataSource.transaction((tx) => store.setMatchedRows(tx, other, id as string, 9));
    await dataSource.transaction((tx) => store.setMatchedRows(tx, scope, id as string, 2));
    const stored = await dataSource.getRepository(StripeMeterErrorReport).findOneByOrFail({ id });
    expect(stored).toMatchObject({
      ...scope,
      stripeEventId: first.stripeEventId,
      stripeMeterId: 'mtr_1',
      errorCount: 7,
      sampleCount: 2,
      matchedRows: 2,
      errorCodes: ['archived_meter', 'meter_event_customer_not_found'],
      stripeCreatedAt: new Date(1_780_000_000_000),
    });
  });
});
