import { DataSource } from 'typeorm';
import { stackEnv, uniqueTenant } from '@flexsync/testing';
import { dataSourceOptions } from '../data-source';
import { CustomerMappingStore } from './customer-mapping.store';

describe('CustomerMappingStore (real Postgres)', () => {
  let dataSource: DataSource;
  let store: CustomerMappingStore;

  beforeAll(async () => {
    dataSource = await new DataSource(dataSourceOptions(stackEnv().DATABASE_URL)).initialize();
    store = new CustomerMappingStore(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
  });

  const stripe = (providerCustomerId: string) => ({ providerType: 'stripe' as const, providerCustomerId });

  it('hands a deleted Stripe customer’s FlexPrice customer to a new one, recording whom the old row released', async () => {
    const scope = uniqueTenant('store_release');
    await store.transaction((writes) =>
      writes.insert(scope, stripe('cus_old'), { customerId: 'client_1', status: 'deleted', source: 'webhook', lastEventCreated: '10', metadata: { last_event_id: 'evt_1' } }),
    );
    await store.transaction(async (writes) => {
      const holder = await writes.lockHolderOf(scope, 'stripe', 'client_1');
      expect(holder?.providerCustomerId).toBe('cus_old');
      if (holder) await writes.releaseCustomer(holder);
      await writes.insert(scope, stripe('cus_new'), { customerId: 'client_1', status: 'mapped', source: 'manual', lastEventCreated: null, metadata: null });
    });
    const [rows] = await store.list(scope, { limit: 10, offset: 0 });
    expect(rows.map((r) => [r.providerCustomerId, r.customerId, r.metadata])).toEqual([
      ['cus_old', null, { last_event_id: 'evt_1', released_customer_id: 'client_1' }],
      ['cus_new', 'client_1', null],
    ]);
  });

  it('gives the sync worker the Stripe customer of mapped rows only, within the tenant', async () => {
    const scope = uniqueTenant('store_lookup');
    const other = uniqueTenant('store_lookup_other');
    await store.transaction(async (writes) => {
      await writes.insert(scope, stripe('cus_a'), { customerId: 'client_a', status: 'mapped', source: 'manual', lastEventCreated: null, metadata: null });
      await writes.insert(scope, stripe('cus_b'), { customerId: 'client_b', status: 'deleted', source: 'webhook', lastEventCreated: '1', metadata: null });
      await writes.insert(other, stripe('cus_c'), { customerId: 'client_c', status: 'mapped', source: 'manual', lastEventCreated: null, metadata: null });
    });
    const found = await store.stripeCustomerIds(scope, ['client_a', 'client_b', 'client_c', 'client_a']);
    expect([...found]).toEqual([['client_a', 'cus_a']]);
    expect(await store.stripeCustomerIds(scope, [])).toEqual(new Map());
  });

  it('answers MAPPING.NOT_FOUND for an id of another tenant or one that is no uuid', async () => {
    const scope = uniqueTenant('store_get');
    const other = uniqueTenant('store_get_other');
    const row = await store.transaction((writes) =>
      writes.insert(scope, stripe('cus_g'), { customerId: 'client_g', status: 'mapped', source: 'manual', lastEventCreated: null, metadata: null }),
    );
    await expect(store.get(scope, row.id)).resolves.toMatchObject({ providerCustomerId: 'cus_g' });
    await expect(store.get(other, row.id)).rejects.toMatchObject({ code: 'MAPPING.NOT_FOUND' });
    await expect(store.get(scope, 'not-a-uuid')).rejects.toMatchObject({ code: 'MAPPING.NOT_FOUND' });
  });
});
