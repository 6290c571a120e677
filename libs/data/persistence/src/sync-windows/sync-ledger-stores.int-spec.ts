import { DataSource } from 'typeorm';
import { stackEnv, uniqueTenant } from '@flexsync/testing';
import { dataSourceOptions } from '../data-source';
import { StripeSyncValueRemainder } from '../sync-remainders/stripe-sync-value-remainder.entity';
import { ValueRemainderStore } from '../sync-remainders/value-remainder.store';
import { StripeSyncWindow } from './stripe-sync-window.entity';
import { SyncWindowStore, WindowConflictError } from './sync-window.store';

const hour = (h: number) => new Date(Date.UTC(2025, 5, 21, h));

describe('stripe_sync_windows and stripe_sync_value_remainders stores (real Postgres)', () => {
  let dataSource: DataSource;
  const windows = new SyncWindowStore();
  const remainders = new ValueRemainderStore();

  beforeAll(async () => {
    dataSource = await new DataSource(dataSourceOptions(stackEnv().DATABASE_URL)).initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  it('registers a window once, readable through its entity', async () => {
    const scope = uniqueTenant('windows');
    await windows.register(dataSource.manager, scope, { start: hour(4), end: hour(5) });
    await windows.register(dataSource.manager, scope, { start: hour(4), end: hour(5) });
    const rows = await dataSource.getRepository(StripeSyncWindow).findBy({ tenantId: scope.tenantId, environmentId: scope.environmentId });
    expect(rows.map((w) => [w.windowStart.toISOString(), w.windowEnd.toISOString(), w.windowMinutes])).toEqual([
      ['2025-06-21T04:00:00.000Z', '2025-06-21T05:00:00.000Z', 60],
    ]);
  });

  it('refuses a window of another size overlapping a window that holds ledger rows', async () => {
    const scope = uniqueTenant('windows_conflict');
    await windows.register(dataSource.manager, scope, { start: hour(4), end: hour(5) });
    // Empty, the old window sent nothing that could repeat: a differently sized window may overlap it.
    await windows.register(dataSource.manager, scope, { start: hour(4), end: hour(6) });
    await dataSource.query(
      `INSERT INTO stripe_sync_batches (tenant_id, environment_id, customer_id, meter_id, event_type, window_start, window_end, identifier, payload_hash, aggregated_quantity, sync_status)
       VALUES ($1, $2, 'client_1', 'meter_1', 'api_call', $3, $4, $5, 'hash', 1, 'pending')`,
      [scope.tenantId, scope.environmentId, hour(4), hour(5), `flexprice_${scope.tenantId}`.slice(0, 100)],
    );
    await expect(windows.register(dataSource.manager, scope, { start: hour(4), end: hour(6) })).rejects.toBeInstanceOf(WindowConflictError);
  });

  it('writes and reads back the carried fraction of each series, exactly, within the tenant', async () => {
    const scope = uniqueTenant('remainders');
    const other = uniqueTenant('remainders_other');
    const series = { customerId: 'client_1', meterId: 'meter_1', eventType: 'api_call' };
    await remainders.write(dataSource.manager, scope, [{ ...series, precision: 2, remainder: '0.123456789012' }]);
    await remainders.write(dataSource.manager, scope, [{ ...series, precision: 3, remainder: '0.5' }]);
    expect(await remainders.read(dataSource.manager, scope, [series, { ...series, meterId: 'meter_2' }])).toEqual([
      { ...series, precision: 3, remainder: '0.500000000000' },
    ]);
    expect(await remainders.read(dataSource.manager, other, [series])).toEqual([]);
    const [row] = await dataSource.getRepository(StripeSyncValueRemainder).findBy({ tenantId: scope.tenantId, environmentId: scope.environmentId });
    expect(row).toMatchObject({ ...series, valuePrecision: 3, remainder: '0.500000000000' });
  });
});
