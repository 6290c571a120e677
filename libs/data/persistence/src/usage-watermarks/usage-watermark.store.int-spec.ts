import { DataSource } from 'typeorm';
import { stackEnv, uniqueTenant } from '@flexsync/testing';
import { dataSourceOptions } from '../data-source';
import { StripeUsageWatermark } from './stripe-usage-watermark.entity';
import { UsageWatermarkStore } from './usage-watermark.store';

describe('UsageWatermarkStore (real Postgres)', () => {
  let dataSource: DataSource;
  let store: UsageWatermarkStore;

  beforeAll(async () => {
    dataSource = await new DataSource(dataSourceOptions(stackEnv().DATABASE_URL)).initialize();
    store = new UsageWatermarkStore(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  it('keeps one watermark per tenant, environment and source that never moves back, adding the late rows', async () => {
    const scope = uniqueTenant('watermark');
    const other = uniqueTenant('watermark_other');
    const source = 'flexprice-meter-usage';
    expect(await store.ingestedThroughMs(scope, source)).toBeUndefined();

    await dataSource.transaction((tx) => store.advance(tx, scope, source, 1_000_000, 0));
    await dataSource.transaction((tx) => store.advance(tx, scope, source, 2_000_000, 3));
    await dataSource.transaction((tx) => store.advance(tx, scope, source, 1_500_000, 2));
    expect(await store.ingestedThroughMs(scope, source)).toBe(2_000_000);
    expect(await store.ingestedThroughMs(scope, 'playbook-events-processed')).toBeUndefined();
    expect(await store.ingestedThroughMs(other, source)).toBeUndefined();

    const stored = await dataSource.getRepository(StripeUsageWatermark).findOneByOrFail({ ...scope, usageSource: source });
    expect(stored).toMatchObject({ ingestedThroughMs: '2000000', lateRowsBeyondLimit: '5' });
    expect(stored.lastLateRowBeyondLimitAt).toBeInstanceOf(Date);
  });

  it('advances on the caller’s transaction: rolled back with it', async () => {
    const scope = uniqueTenant('watermark_rollback');
    await expect(
      dataSource.transaction(async (tx) => {
        await store.advance(tx, scope, 'flexprice-meter-usage', 5_000, 0);
        throw new Error('the window marks failed');
      }),
    ).rejects.toThrow('the window marks failed');
    expect(await store.ingestedThroughMs(scope, 'flexprice-meter-usage')).toBeUndefined();
  });
});
