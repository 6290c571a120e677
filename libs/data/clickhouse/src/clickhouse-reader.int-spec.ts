import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stackDir, stackEnv, uniqueTenant } from '@flexsync/testing';
import { clickHouseCheck } from './clickhouse-check';
import { clickHouseCredentialsFrom } from './clickhouse-env';
import { ClickHouseClient, createClickHouseClient } from './client';
import { EventsProcessedStore, toClickHouseDateTime, type UsageAggregate } from './events-processed';

/** The stack's SELECT-only user (`sync_reader`, readonly profile in the stack's users.xml; password in reader.env). */
function readerCredentials(): { username: string; password: string } {
  const file = join(stackDir(), 'clickhouse', 'reader.env');
  if (!existsSync(file)) throw new Error(`no ${file}: restart ClickHouse with \`tools/stack/stack.sh restart-service clickhouse\``);
  const vars = Object.fromEntries(
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  return { username: vars.CLICKHOUSE_READER_USERNAME, password: vars.CLICKHOUSE_READER_PASSWORD };
}

describe("the sync worker's aggregation as a SELECT-only ClickHouse user", () => {
  const env = stackEnv();
  let writer: ClickHouseClient;
  let reader: ClickHouseClient;

  beforeAll(() => {
    const { username, password } = readerCredentials();
    writer = createClickHouseClient({ url: env.CLICKHOUSE_URL, database: env.CLICKHOUSE_DATABASE });
    reader = createClickHouseClient({
      url: env.CLICKHOUSE_URL,
      database: env.CLICKHOUSE_DATABASE,
      ...clickHouseCredentialsFrom({ CLICKHOUSE_URL: env.CLICKHOUSE_URL, CLICKHOUSE_USERNAME: username, CLICKHOUSE_PASSWORD: password }),
    });
  });

  afterAll(async () => {
    await writer.close();
    await reader.close();
  });

  it('aggregates a window, and answers the readiness probe, with SELECT rights only', async () => {
    const tenant = uniqueTenant('ch_reader');
    const at = (iso: string) => toClickHouseDateTime(new Date(iso));
    await new EventsProcessedStore(writer).insert([
      {
        ...scope(tenant),
        customer_id: 'client_r',
        meter_id: 'meter_r',
        event_type: 'increment',
        qty_billable: '2.5',
        processed_at: at('2025-07-01T10:05:00Z'),
      },
      {
        ...scope(tenant),
        customer_id: 'client_r',
        meter_id: 'meter_r',
        event_type: 'increment',
        qty_billable: '1.5',
        processed_at: at('2025-07-01T10:55:00Z'),
      },
    ]);
    const rows: UsageAggregate[] = [];
    for await (const row of new EventsProcessedStore(reader).aggregateWindow({
      ...tenant,
      windowStart: new Date('2025-07-01T10:00:00Z'),
      windowEnd: new Date('2025-07-01T11:00:00Z'),
    })) {
      rows.push(row);
    }
    expect(rows.map((r) => ({ ...r, quantity: Number(r.quantity) }))).toEqual([
      { customerId: 'client_r', meterId: 'meter_r', eventType: 'increment', quantity: 4, eventCount: 2 },
    ]);
    await expect(clickHouseCheck(reader).probe()).resolves.toBeUndefined();
  });

  it('refuses the SELECT-only user any write, DDL, other database, and a wrong password', async () => {
    const tenant = uniqueTenant('ch_reader_write');
    await expect(
      new EventsProcessedStore(reader).insert([
        { ...scope(tenant), customer_id: 'c', meter_id: 'm', event_type: 'increment', qty_billable: '1', processed_at: at0() },
      ]),
    ).rejects.toThrow(/readonly mode/);
    await expect(reader.command({ query: 'CREATE TABLE reader_probe (a UInt8) ENGINE = Memory' })).rejects.toThrow(/readonly mode/);
    await expect(reader.query({ query: 'SELECT 1 FROM default.system_probe_absent' })).rejects.toThrow(/Access denied to database default/);
    const wrong = createClickHouseClient({
      url: env.CLICKHOUSE_URL,
      database: env.CLICKHOUSE_DATABASE,
      username: 'sync_reader',
      password: 'wrong',
    });
    try {
      await expect(wrong.query({ query: 'SELECT 1' })).rejects.toThrow(/Wrong password/);
    } finally {
      await wrong.close();
    }
  });
});

function scope(tenant: { tenantId: string; environmentId: string }): { tenant_id: string; environment_id: string } {
  return { tenant_id: tenant.tenantId, environment_id: tenant.environmentId };
}

function at0(): string {
  return toClickHouseDateTime(new Date('2025-07-01T10:00:00Z'));
}
