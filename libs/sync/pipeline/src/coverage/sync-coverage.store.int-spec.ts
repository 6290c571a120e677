import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@flexsync/persistence';
import { stackEnv, uniqueTenant } from '@flexsync/testing';
import { SyncCoverageStore } from './sync-coverage.store';

/** The window coverage record against real Postgres (the ledger's `stripe_sync_windows`). */
describe('SyncCoverageStore.recordWindow (real Postgres)', () => {
  let db: DataSource;

  beforeAll(async () => {
    db = await new DataSource(dataSourceOptions(stackEnv().DATABASE_URL)).initialize();
  });

  afterAll(async () => {
    await db.destroy();
  });

  const window = { start: new Date('2026-11-20T10:00:00Z'), end: new Date('2026-11-20T11:00:00Z') };

  it('answers delivered for a window aggregated after it closed with no row left to push', async () => {
    const tenant = uniqueTenant('cov-rec');
    const store = new SyncCoverageStore(db);
    await expect(store.recordWindow(tenant, window, new Date('2026-11-20T11:05:00Z'))).resolves.toEqual({ delivered: true });
    const [row] = await db.query(
      `SELECT delivered_at IS NOT NULL AS delivered FROM stripe_sync_windows WHERE tenant_id = $1 AND environment_id = $2`,
      [tenant.tenantId, tenant.environmentId],
    );
    expect(row).toEqual({ delivered: true });
  });

  it('answers not delivered while rows ingested after the last aggregation wait (usage_changed_at)', async () => {
    const tenant = uniqueTenant('cov-chg');
    const store = new SyncCoverageStore(db);
    await store.recordWindow(tenant, window, new Date('2026-11-20T11:05:00Z'));
    await db.query(`UPDATE stripe_sync_windows SET usage_changed_at = $3 WHERE tenant_id = $1 AND environment_id = $2`, [
      tenant.tenantId,
      tenant.environmentId,
      new Date('2026-11-21T00:00:00Z'),
    ]);
    await expect(store.recordWindow(tenant, window, new Date('2026-11-20T12:00:00Z'))).resolves.toEqual({ delivered: false });
    await expect(store.recordWindow(tenant, window, new Date('2026-11-21T00:00:01Z'))).resolves.toEqual({ delivered: true });
  });
});
