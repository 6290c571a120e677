import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import { streamUsageAggregates } from './aggregate-stream';
import { assertId, EMPTY_SQL, sql } from './sql';

/** A row of `events_processed` as FlexPrice writes it. */
export interface ProcessedEvent {
  tenant_id: string;
  environment_id: string;
  event_id?: string;
  customer_id: string;
  meter_id: string;
  event_type: string;
  /** Decimal as a string, to stay exact. */
  qty_billable: string;
  /** `YYYY-MM-DD hh:mm:ss` in UTC. */
  processed_at: string;
}

export interface UsageWindowQuery {
  tenantId: string;
  environmentId: string;
  /** Inclusive. */
  windowStart: Date;
  /** Exclusive: windows are half-open, so an event belongs to exactly one. */
  windowEnd: Date;
  customerId?: string;
}

/** One (customer, meter, event_type) total for a window, computed by ClickHouse. */
export interface UsageAggregate {
  customerId: string;
  meterId: string;
  eventType: string;
  /** Exact decimal sum, as text. */
  quantity: string;
  eventCount: number;
}

const INSERT_COLUMNS = [
  'tenant_id',
  'environment_id',
  'event_id',
  'customer_id',
  'meter_id',
  'event_type',
  'qty_billable',
  'processed_at',
] as const;
const DECIMAL_TEXT = /^-?\d{1,26}(\.\d{1,12})?$/;
const DATETIME_TEXT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

function csvField(column: (typeof INSERT_COLUMNS)[number], event: ProcessedEvent): string {
  const value = event[column] ?? '';
  if (column === 'qty_billable' && !DECIMAL_TEXT.test(value))
    throw new RangeError(`qty_billable must be a decimal, got ${JSON.stringify(value)}`);
  if (column === 'processed_at' && !DATETIME_TEXT.test(value)) throw new RangeError(`processed_at must be 'YYYY-MM-DD hh:mm:ss'`);
  return column === 'qty_billable' ? value : `"${value.replace(/"/g, '""')}"`;
}

export function toClickHouseDateTime(value: Date): string {
  return value.toISOString().slice(0, 19).replace('T', ' ');
}

/** Reads and writes FlexPrice's `events_processed`. Aggregation always happens server-side. */
export class EventsProcessedStore {
  constructor(private readonly client: ClickHouseClient) {}

  /**
   * CSV rather than JSONEachRow: ClickHouse 18.16 cannot read a quoted Decimal from JSON, and an unquoted JSON
   * number would go through a JS float. In CSV the exact decimal text is sent as is.
   */
  async insert(events: ProcessedEvent[]): Promise<void> {
    if (events.length === 0) return;
    const lines = events.map((event) => `${INSERT_COLUMNS.map((column) => csvField(column, event)).join(',')}\n`);
    await this.client.insert({
      table: 'events_processed',
      values: Readable.from(lines, { objectMode: false }),
      format: 'CSV',
      columns: [...INSERT_COLUMNS],
    });
  }

  /** Whether the table exists in the client's database (a worker reading a missing table would report zero usage). */
  async exists(): Promise<boolean> {
    const result = await this.client.query({
      query: `SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = 'events_processed'`,
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ n: string }>();
    return Number(row.n) > 0;
  }

  /** The GROUP BY query for a window; sums are cast to text so no float ever touches a quantity. */
  aggregateSql(query: UsageWindowQuery): string {
    const customerFilter = query.customerId ? sql`AND customer_id = ${assertId(query.customerId, 'customer_id')}` : EMPTY_SQL;
    return sql`
      SELECT customer_id, meter_id, event_type,
             toString(sum(qty_billable)) AS quantity,
             toString(count()) AS event_count
      FROM events_processed
      WHERE tenant_id = ${assertId(query.tenantId, 'tenant_id')}
        AND environment_id = ${assertId(query.environmentId, 'environment_id')}
        AND processed_at >= ${query.windowStart}
        AND processed_at < ${query.windowEnd}
        ${customerFilter}
      GROUP BY customer_id, meter_id, event_type
      ORDER BY customer_id, meter_id, event_type`.text;
  }

  /** Streams every aggregate of the window (no LIMIT that could truncate usage); memory stays flat. */
  async *aggregateWindow(query: UsageWindowQuery): AsyncGenerator<UsageAggregate> {
    yield* streamUsageAggregates(this.client, this.aggregateSql(query));
  }
}
