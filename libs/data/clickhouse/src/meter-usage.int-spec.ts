import { randomUUID } from 'node:crypto';
import { stackEnv, uniqueTenant } from '@flexsync/testing';
import { ClickHouseClient, createClickHouseClient } from './client';
import { applyClickHouseMigrations } from './migrations';
import { MeterUsageRow, MeterUsageSchemaError, MeterUsageStore, METER_USAGE_DEDUPE_STRATEGIES } from './meter-usage';
import { quoteString } from './sql';

/** FlexPrice's `meter_usage` (ReplacingMergeTree) read as it is: each id once, latest ingestion wins, merged or not. */
describe('MeterUsageStore (real ClickHouse)', () => {
  let client: ClickHouseClient;
  let store: MeterUsageStore;

  beforeAll(async () => {
    const env = stackEnv();
    client = createClickHouseClient({ url: env.CLICKHOUSE_URL, database: env.CLICKHOUSE_DATABASE });
    await applyClickHouseMigrations(client);
    store = new MeterUsageStore(client);
  });

  afterAll(async () => {
    await client.close();
  });

  const WINDOW = { start: new Date('2026-11-20T10:00:00Z'), end: new Date('2026-11-20T11:00:00Z') };

  function row(tenant: ReturnType<typeof uniqueTenant>, fields: Partial<MeterUsageRow> & Pick<MeterUsageRow, 'qty_total'>): MeterUsageRow {
    return {
      id: randomUUID(),
      tenant_id: tenant.tenantId,
      environment_id: tenant.environmentId,
      external_customer_id: 'ext_cust_1',
      meter_id: 'meter_api',
      event_name: 'api_calls',
      timestamp: new Date('2026-11-20T10:15:00Z'),
      ingested_at: new Date('2026-11-20T10:15:01.250Z'),
      ...fields,
    };
  }

  async function totals(tenant: ReturnType<typeof uniqueTenant>, dedupe = store.dedupe, window = WINDOW): Promise<string[][]> {
    const out: string[][] = [];
    for await (const aggregate of store.aggregateWindow({ ...tenant, windowStart: window.start, windowEnd: window.end }, dedupe)) {
      out.push([aggregate.customerId, aggregate.meterId, aggregate.eventType, aggregate.quantity, String(aggregate.eventCount)]);
    }
    return out;
  }

  async function partsOf(tenant: ReturnType<typeof uniqueTenant>): Promise<number> {
    const result = await client.query({
      query: `SELECT count() AS n FROM (SELECT DISTINCT _part FROM meter_usage WHERE tenant_id = ${quoteString(tenant.tenantId)})`,
      format: 'JSONEachRow',
    });
    const [only] = await result.json<{ n: string }>();
    return Number(only.n);
  }

  it('checks the table exists and tells how the local schema stores ingested_at', async () => {
    await expect(store.describe()).resolves.toBe('milliseconds');
    await expect(new MeterUsageStore(client, { table: 'meter_usage_missing' }).describe()).rejects.toThrow(
      new MeterUsageSchemaError('meter usage table meter_usage_missing does not exist'),
    );
    await expect(new MeterUsageStore(client, { table: 'events_processed' }).describe()).rejects.toThrow(
      /lacks column\(s\) id, external_customer_id/,
    );
    expect(() => new MeterUsageStore(client, { table: 'meter_usage; DROP TABLE x' })).toThrow(/must be a ClickHouse name/);
  });

  it.each(METER_USAGE_DEDUPE_STRATEGIES)(
    '%s: an id inserted twice with different quantities in separate unmerged parts counts once with the later value, and OPTIMIZE FINAL leaves the total unchanged',
    async (dedupe) => {
      const tenant = uniqueTenant('dup');
      const first = row(tenant, { id: 'evt_same', qty_total: '10.12345678', ingested_at: new Date('2026-11-20T10:20:00.100Z') });
      // Separate INSERTs are separate parts; the later ingestion carries the value FlexPrice corrected to.
      await store.insert([first, row(tenant, { id: 'evt_other', qty_total: '1' })]);
      await store.insert([{ ...first, qty_total: '3.00000001', ingested_at: new Date('2026-11-20T10:20:00.900Z') }]);
      expect(await partsOf(tenant)).toBeGreaterThanOrEqual(2);

      const naive = await client.query({
        query: store.naiveAggregateSql({ ...tenant, windowStart: WINDOW.start, windowEnd: WINDOW.end }),
        format: 'JSONEachRow',
      });
      expect((await naive.json<{ quantity: string }>())[0].quantity).toBe('14.12345679');
      expect(await totals(tenant, dedupe)).toEqual([['ext_cust_1', 'meter_api', 'api_calls', '4.00000001', '2']]);

      await client.command({ query: `OPTIMIZE TABLE meter_usage PARTITION 20261120 FINAL` });
      expect(await totals(tenant, dedupe)).toEqual([['ext_cust_1', 'meter_api', 'api_calls', '4.00000001', '2']]);
    },
  );

  it('counts a re-ingested id with a lower quantity at the lower value, whichever part arrives first', async () => {
    const tenant = uniqueTenant('lower');
    const id = 'evt_lowered';
    // The newer version is written first: the version column decides, not the order of arrival.
    await store.insert([row(tenant, { id, qty_total: '2.5', ingested_at: new Date('2026-11-20T12:00:00.002Z') })]);
    await store.insert([row(tenant, { id, qty_total: '9', ingested_at: new Date('2026-11-20T12:00:00.001Z') })]);
    for (const dedupe of METER_USAGE_DEDUPE_STRATEGIES) {
      expect(await totals(tenant, dedupe)).toEqual([['ext_cust_1', 'meter_api', 'api_calls', '2.50000000', '1']]);
    }
  });

  it('puts an event at exactly a window boundary in the later window only', async () => {
    const tenant = uniqueTenant('edge');
    await store.insert([
      row(tenant, { qty_total: '5', timestamp: WINDOW.end }),
      row(tenant, { qty_total: '1', timestamp: new Date(WINDOW.end.getTime() - 1000) }),
    ]);
    const next = { start: WINDOW.end, end: new Date(WINDOW.end.getTime() + 3_600_000) };
    expect(await totals(tenant)).toEqual([['ext_cust_1', 'meter_api', 'api_calls', '1.00000000', '1']]);
    expect(await totals(tenant, store.dedupe, next)).toEqual([['ext_cust_1', 'meter_api', 'api_calls', '5.00000000', '1']]);
  });

  it('sums 10,001 rows of one customer and meter in one window exactly, to all 8 decimal places', async () => {
    const tenant = uniqueTenant('many');
    const rows = Array.from({ length: 10_001 }, (_, index) =>
      row(tenant, { qty_total: '0.00000001', timestamp: new Date(WINDOW.start.getTime() + (index % 3600) * 1000), id: `evt_${index}` }),
    );
    rows[0].qty_total = '99999999.99999999';
    await store.insert(rows);
    for (const dedupe of METER_USAGE_DEDUPE_STRATEGIES) {
      expect(await totals(tenant, dedupe)).toEqual([['ext_cust_1', 'meter_api', 'api_calls', '100000000.00009999', '10001']]);
    }
  });

  it('keeps tenants and customers apart, groups by external customer, meter and event name in byte order', async () => {
    const tenant = uniqueTenant('group');
    await store.insert([
      row(tenant, { external_customer_id: 'ext_b', qty_total: '1' }),
      row(tenant, { external_customer_id: 'ext_a', qty_total: '2', meter_id: 'meter_z' }),
      row(tenant, { external_customer_id: 'ext_a', qty_total: '3', meter_id: 'meter_z', event_name: 'api_calls_v2' }),
      row(uniqueTenant('other'), { external_customer_id: 'ext_a', qty_total: '100', meter_id: 'meter_z' }),
    ]);
    expect(await totals(tenant)).toEqual([
      ['ext_a', 'meter_z', 'api_calls', '2.00000000', '1'],
      ['ext_a', 'meter_z', 'api_calls_v2', '3.00000000', '1'],
      ['ext_b', 'meter_api', 'api_calls', '1.00000000', '1'],
    ]);
    const only: string[] = [];
    for await (const aggregate of store.aggregateWindow({
      ...tenant,
      windowStart: WINDOW.start,
      windowEnd: WINDOW.end,
      customerId: 'ext_b',
    })) {
      only.push(aggregate.customerId);
    }
    expect(only).toEqual(['ext_b']);
  });

  it('finds the event-time windows of rows ingested since a watermark, folding those older than the limit into one bucket', async () => {
    const tenant = uniqueTenant('since');
    const hour = (iso: string) => new Date(iso);
    await store.insert([
      row(tenant, { qty_total: '1', timestamp: hour('2026-11-20T10:59:59Z'), ingested_at: hour('2026-11-21T00:00:00.000Z') }),
      row(tenant, { qty_total: '1', timestamp: hour('2026-11-20T11:00:00Z'), ingested_at: hour('2026-11-21T00:00:00.500Z') }),
      row(tenant, { qty_total: '1', timestamp: hour('2026-11-20T11:30:00Z'), ingested_at: hour('2026-11-21T00:00:01.000Z') }),
      row(tenant, { qty_total: '1', timestamp: hour('2026-09-01T00:00:00Z'), ingested_at: hour('2026-11-21T00:00:02.000Z') }),
      // Before the watermark: already seen.
      row(tenant, { qty_total: '1', timestamp: hour('2026-11-20T08:00:00Z'), ingested_at: hour('2026-11-20T23:59:59.999Z') }),
    ]);
    const buckets = await store.ingestedSince(tenant, Date.parse('2026-11-21T00:00:00.000Z'), 3600, hour('2026-10-20T00:00:00Z'));
    expect(buckets.map((bucket) => [bucket.start.toISOString(), bucket.end.toISOString(), bucket.rows])).toEqual([
      ['1970-01-01T00:00:00.000Z', '2026-10-20T00:00:00.000Z', 1],
      ['2026-11-20T10:00:00.000Z', '2026-11-20T11:00:00.000Z', 1],
      ['2026-11-20T11:00:00.000Z', '2026-11-20T12:00:00.000Z', 2],
    ]);
  });
});
