import { randomBytes } from 'node:crypto';
import { stackEnv, uniqueTenant } from '@flexsync/testing';
import { ClickHouseClient, createClickHouseClient } from './client';
import { EventsProcessedStore, ProcessedEvent, toClickHouseDateTime } from './events-processed';
import { applyClickHouseMigrations } from './migrations';
import { quoteString } from './sql';

describe('ClickHouse usage store (real server)', () => {
  let client: ClickHouseClient;
  let store: EventsProcessedStore;

  beforeAll(() => {
    const env = stackEnv();
    client = createClickHouseClient({ url: env.CLICKHOUSE_URL, database: env.CLICKHOUSE_DATABASE });
    store = new EventsProcessedStore(client);
  });

  afterAll(async () => {
    await client.close();
  });

  const hour = (iso: string) => new Date(iso);

  function event(
    tenant: ReturnType<typeof uniqueTenant>,
    customer: string,
    meter: string,
    qty: string,
    at: string,
    eventType = 'increment',
  ): ProcessedEvent {
    return {
      tenant_id: tenant.tenantId,
      environment_id: tenant.environmentId,
      customer_id: customer,
      meter_id: meter,
      event_type: eventType,
      qty_billable: qty,
      processed_at: toClickHouseDateTime(new Date(at)),
    };
  }

  it('re-applying migrations is a no-op', async () => {
    expect(await applyClickHouseMigrations(client)).toEqual([]);
  });

  it('groups a window by customer, meter and event type with exact decimal sums', async () => {
    const tenant = uniqueTenant('ch');
    await store.insert([
      event(tenant, 'client_123', 'meter_storage', '0.1', '2025-06-21T04:00:00Z'),
      event(tenant, 'client_123', 'meter_storage', '0.2', '2025-06-21T04:30:00Z'),
      event(tenant, 'client_123', 'meter_api', '5', '2025-06-21T04:59:59Z'),
      event(tenant, 'client_456', 'meter_storage', '42', '2025-06-21T04:10:00Z', 'set'),
      // Belongs to the next window: windows are half-open.
      event(tenant, 'client_123', 'meter_storage', '1000', '2025-06-21T05:00:00Z'),
      // Another tenant's usage in the same window must never leak in.
      event(uniqueTenant('other'), 'client_123', 'meter_storage', '7', '2025-06-21T04:15:00Z'),
    ]);
    const rows = [];
    for await (const row of store.aggregateWindow({
      ...tenant,
      windowStart: hour('2025-06-21T04:00:00Z'),
      windowEnd: hour('2025-06-21T05:00:00Z'),
    })) {
      rows.push(row);
    }
    expect(rows.map((r) => ({ ...r, quantity: Number(r.quantity).toString() }))).toEqual([
      { customerId: 'client_123', meterId: 'meter_api', eventType: 'increment', quantity: '5', eventCount: 1 },
      { customerId: 'client_123', meterId: 'meter_storage', eventType: 'increment', quantity: '0.3', eventCount: 2 },
      { customerId: 'client_456', meterId: 'meter_storage', eventType: 'set', quantity: '42', eventCount: 1 },
    ]);
    expect(rows.find((r) => r.meterId === 'meter_storage' && r.customerId === 'client_123')?.quantity).toMatch(/^0\.3(0*)$/);
  });

  it('limits a window to one customer when asked', async () => {
    const tenant = uniqueTenant('ch');
    await store.insert([
      event(tenant, 'client_a', 'meter_storage', '1', '2025-06-21T04:00:00Z'),
      event(tenant, 'client_b', 'meter_storage', '2', '2025-06-21T04:00:00Z'),
    ]);
    const rows = [];
    for await (const row of store.aggregateWindow({
      ...tenant,
      customerId: 'client_b',
      windowStart: hour('2025-06-21T04:00:00Z'),
      windowEnd: hour('2025-06-21T05:00:00Z'),
    })) {
      rows.push(row.customerId);
    }
    expect(rows).toEqual(['client_b']);
  });

  it('round-trips any string through the escaping helper unchanged (fuzz, 300 cases)', async () => {
    const samples = ["'", '\\', "\\'", '\n\r\t\0', "'); DROP TABLE events_processed; --", '\u00e9\u4e2d\ud83d\ude00'];
    for (let i = 0; i < 300 - samples.length; i += 1) {
      samples.push(
        Array.from(randomBytes(1 + (i % 40)))
          .map((byte) => String.fromCharCode(byte % 128))
          .join(''),
      );
    }
    const query = `SELECT ${samples.map((value, index) => `${quoteString(value)} AS s${index}`).join(', ')}`;
    const result = await client.query({ query, format: 'JSONEachRow' });
    const [row] = await result.json<Record<string, string>>();
    samples.forEach((value, index) => expect(row[`s${index}`]).toBe(value));
  });
});
