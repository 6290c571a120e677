import { DataSource } from 'typeorm';
import { stackEnv, uniqueTenant } from '@flexsync/testing';
import { dataSourceOptions } from '../data-source';
import { MeterMappingStore, syncingStripeMeterMappingOf } from './meter-mapping.store';

describe('MeterMappingStore (real Postgres)', () => {
  let dataSource: DataSource;
  let store: MeterMappingStore;

  beforeAll(async () => {
    dataSource = await new DataSource(dataSourceOptions(stackEnv().DATABASE_URL)).initialize();
    store = new MeterMappingStore(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  const mapping = (meterId: string, syncEnabled = true) => ({
    meterId,
    providerType: 'stripe' as const,
    providerMeterId: `event_${meterId}`,
    syncEnabled,
    valuePrecision: 2,
  });

  it('refuses a second mapping for the same meter with MAPPING.DUPLICATE, while another tenant may map it', async () => {
    const scope = uniqueTenant('meter_dup');
    const other = uniqueTenant('meter_dup_other');
    await store.insert(scope, mapping('meter_api'));
    await expect(store.insert(scope, mapping('meter_api'))).rejects.toMatchObject({ code: 'MAPPING.DUPLICATE' });
    await expect(store.insert(other, mapping('meter_api'))).resolves.toMatchObject({ tenantId: other.tenantId, meterId: 'meter_api' });
  });

  it('answers MAPPING.NOT_FOUND for a meter of another tenant and for an id that breaks the meter id rule', async () => {
    const scope = uniqueTenant('meter_get');
    const other = uniqueTenant('meter_get_other');
    await store.insert(scope, mapping('meter_get'));
    await expect(store.get(scope, 'meter_get')).resolves.toMatchObject({ providerMeterId: 'event_meter_get', valuePrecision: 2 });
    await expect(store.get(other, 'meter_get')).rejects.toMatchObject({ code: 'MAPPING.NOT_FOUND' });
    await expect(store.get(scope, 'no spaces allowed')).rejects.toMatchObject({ code: 'MAPPING.NOT_FOUND' });
  });

  it('lists, updates and removes within the tenant only', async () => {
    const scope = uniqueTenant('meter_list');
    const other = uniqueTenant('meter_list_other');
    await store.insert(scope, mapping('meter_b', false));
    await store.insert(scope, mapping('meter_a'));
    await store.insert(other, mapping('meter_c'));
    const [all, total] = await store.list(scope, { limit: 10, offset: 0 });
    expect([all.map((m) => m.meterId), total]).toEqual([['meter_a', 'meter_b'], 2]);
    const [enabled] = await store.list(scope, { syncEnabled: true, limit: 10, offset: 0 });
    expect(enabled.map((m) => m.meterId)).toEqual(['meter_a']);

    const row = await store.get(scope, 'meter_b');
    row.syncEnabled = true;
    await store.save(row);
    expect((await store.get(scope, 'meter_b')).syncEnabled).toBe(true);

    await expect(store.remove(other, 'meter_a')).rejects.toMatchObject({ code: 'MAPPING.NOT_FOUND' });
    await store.remove(scope, 'meter_a');
    expect(await store.exists(scope, 'meter_a')).toBe(false);
    expect(await store.exists(scope, 'meter_b')).toBe(true);
    expect(await store.exists(other, 'meter_b')).toBe(false);
  });

  it('gives the sync worker every Stripe mapping of the tenant, synced or not, and no other tenant’s', async () => {
    const scope = uniqueTenant('meter_worker');
    const other = uniqueTenant('meter_worker_other');
    await store.insert(scope, mapping('meter_on'));
    await store.insert(scope, mapping('meter_off', false));
    await store.insert(other, mapping('meter_else'));
    const rows = await dataSource.transaction((manager) => store.stripeMappings(scope, manager));
    expect(rows.map((r) => [r.meterId, r.providerMeterId, r.valuePrecision, r.syncEnabled]).sort()).toEqual([
      ['meter_off', 'event_meter_off', 2, false],
      ['meter_on', 'event_meter_on', 2, true],
    ]);
  });

  it('its SQL condition holds for a meter of the same tenant with sync on only', async () => {
    const scope = uniqueTenant('meter_cond');
    const other = uniqueTenant('meter_cond_other');
    await store.insert(scope, mapping('meter_on'));
    await store.insert(scope, mapping('meter_off', false));
    await store.insert(other, mapping('meter_elsewhere'));
    const holds = async (meterId: string): Promise<boolean> => {
      const [row]: { holds: boolean }[] = await dataSource.query(
        `SELECT ${syncingStripeMeterMappingOf('b')} AS holds FROM (SELECT $1::text AS tenant_id, $2::text AS environment_id, $3::text AS meter_id) b`,
        [scope.tenantId, scope.environmentId, meterId],
      );
      return row.holds;
    };
    expect([await holds('meter_on'), await holds('meter_off'), await holds('meter_elsewhere')]).toEqual([true, false, false]);
  });
});
