import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';
import type { UsageAggregate, UsageWindowQuery } from './events-processed';
import { streamUsageAggregates } from './aggregate-stream';
import { assertId, EMPTY_SQL, quoteIdentifier, SqlFragment, sql } from './sql';

/**
 * How duplicates of an id are counted once. Both read the state ReplacingMergeTree converges to (the row with the
 * greatest `ingested_at` per sorting key), whether or not the parts have merged yet:
 * - `argmax`: `argMax(qty_total, ingested_at)` per (customer, meter, timestamp, id), then the sum;
 * - `final`: `FROM … FINAL`, ClickHouse merges the key ranges at read time.
 * `bench/meter-usage.bench.ts` measures both (and a naive sum) at 1M rows with 10 % re-ingested ids: on ClickHouse
 * 18.16 `final` took 0.28–0.4 × the time of `argmax` (3.3–4.1 × the naive sum, `argmax` 9–15 ×; bench/RESULTS.md),
 * so `final` is the default.
 */
export type MeterUsageDedupe = 'argmax' | 'final';
export const METER_USAGE_DEDUPE_STRATEGIES: readonly MeterUsageDedupe[] = ['argmax', 'final'];
export const DEFAULT_METER_USAGE_DEDUPE: MeterUsageDedupe = 'final';
export const DEFAULT_METER_USAGE_TABLE = 'meter_usage';

/** A row of FlexPrice's `meter_usage`. */
export interface MeterUsageRow {
  id: string;
  tenant_id: string;
  environment_id: string;
  external_customer_id: string;
  meter_id: string;
  event_name: string;
  /** Event time, whole seconds. */
  timestamp: Date;
  /** Ingestion time in milliseconds; the ReplacingMergeTree version. */
  ingested_at: Date;
  /** Decimal(18, 8) as text, to stay exact. */
  qty_total: string;
  unique_hash?: string;
  source?: string;
  properties?: string;
}

/** `ingested_at` is `DateTime64(3)` in production and Unix milliseconds (`UInt64`) on the local 18.16 server. */
export type IngestedAtType = 'datetime64' | 'milliseconds' | 'datetime';

/** The source table is missing or lacks a column the sync reads: configuration, never a silent zero. */
export class MeterUsageSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MeterUsageSchemaError';
  }
}

/** Rows ingested since a watermark, bucketed by the event-time window they fall in. */
export interface IngestedWindowBucket {
  start: Date;
  end: Date;
  rows: number;
}

const REQUIRED_COLUMNS = [
  'id',
  'tenant_id',
  'environment_id',
  'external_customer_id',
  'meter_id',
  'event_name',
  'timestamp',
  'ingested_at',
  'qty_total',
];
const QTY_TEXT = /^-?\d{1,10}(\.\d{1,8})?$/;

function ingestedAtType(type: string): IngestedAtType | undefined {
  if (/^DateTime64\(3(, *'[^']*')?\)$/.test(type)) return 'datetime64';
  if (type === 'UInt64') return 'milliseconds';
  if (/^DateTime(\('[^']*'\))?$/.test(type)) return 'datetime';
  return undefined;
}

const csvText = (value: string): string => `"${value.replace(/"/g, '""')}"`;

/**
 * Reads FlexPrice's `meter_usage` (ReplacingMergeTree(ingested_at)): windows on event time (`timestamp`, half-open),
 * the customer key is `external_customer_id`, each id counted once with its latest ingestion. ClickHouse does the
 * GROUP BY and the result is streamed. `describe()` checks the table before anything reads it.
 */
export class MeterUsageStore {
  private readonly table: SqlFragment;
  private ingestedType: IngestedAtType | undefined;

  constructor(
    private readonly client: ClickHouseClient,
    readonly options: { table?: string; dedupe?: MeterUsageDedupe } = {},
  ) {
    this.table = quoteIdentifier(options.table ?? DEFAULT_METER_USAGE_TABLE, 'meter usage table');
  }

  get tableName(): string {
    return this.options.table ?? DEFAULT_METER_USAGE_TABLE;
  }

  get dedupe(): MeterUsageDedupe {
    return this.options.dedupe ?? DEFAULT_METER_USAGE_DEDUPE;
  }

  /** Checks the table exists with the columns the sync reads; remembers how `ingested_at` is stored. */
  async describe(): Promise<IngestedAtType> {
    const [database, table] = this.tableName.includes('.') ? this.tableName.split('.') : [undefined, this.tableName];
    const result = await this.client.query({
      query: sql`SELECT name, type FROM system.columns
                  WHERE database = ${database === undefined ? new SqlFragment('currentDatabase()') : database} AND table = ${table}`.text,
      format: 'JSONEachRow',
    });
    const columns = new Map((await result.json<{ name: string; type: string }>()).map((row) => [row.name, row.type]));
    if (columns.size === 0) throw new MeterUsageSchemaError(`meter usage table ${this.tableName} does not exist`);
    const missing = REQUIRED_COLUMNS.filter((column) => !columns.has(column));
    if (missing.length > 0) throw new MeterUsageSchemaError(`meter usage table ${this.tableName} lacks column(s) ${missing.join(', ')}`);
    const type = ingestedAtType(columns.get('ingested_at') ?? '');
    if (!type) {
      throw new MeterUsageSchemaError(
        `meter usage table ${this.tableName}: ingested_at is ${columns.get('ingested_at')}, expected DateTime64(3), UInt64 milliseconds or DateTime`,
      );
    }
    this.ingestedType = type;
    return type;
  }

  private async ingestedMs(): Promise<SqlFragment> {
    const type = this.ingestedType ?? (await this.describe());
    if (type === 'datetime64') return new SqlFragment('toUnixTimestamp64Milli(ingested_at)');
    if (type === 'milliseconds') return new SqlFragment('ingested_at');
    return new SqlFragment('(toUInt64(toUInt32(ingested_at)) * 1000)');
  }

  private scopeFilter(query: UsageWindowQuery): SqlFragment {
    const customer = query.customerId ? sql`AND external_customer_id = ${assertId(query.customerId, 'external_customer_id')}` : EMPTY_SQL;
    return sql`tenant_id = ${assertId(query.tenantId, 'tenant_id')}
        AND environment_id = ${assertId(query.environmentId, 'environment_id')}
        AND timestamp >= ${query.windowStart}
        AND timestamp < ${query.windowEnd}
        ${customer}`;
  }

  /** The window's GROUP BY with each id counted once (latest `ingested_at`); sums cast to text, never a float. */
  aggregateSql(query: UsageWindowQuery, dedupe: MeterUsageDedupe = this.dedupe): string {
    const where = this.scopeFilter(query);
    if (dedupe === 'final') {
      return sql`
        SELECT external_customer_id AS customer_id, meter_id, event_name AS event_type,
               toString(sum(qty_total)) AS quantity, toString(count()) AS event_count
        FROM ${this.table} FINAL
        WHERE ${where}
        GROUP BY external_customer_id, meter_id, event_name
        ORDER BY customer_id, meter_id, event_type`.text;
    }
    // The inner key is ReplacingMergeTree's sorting key (within the tenant): exactly what a merge would collapse.
    return sql`
      SELECT external_customer_id AS customer_id, meter_id, latest_event_name AS event_type,
             toString(sum(latest_qty)) AS quantity, toString(count()) AS event_count
      FROM (
        SELECT external_customer_id, meter_id,
               argMax(event_name, ingested_at) AS latest_event_name,
               argMax(qty_total, ingested_at) AS latest_qty
        FROM ${this.table}
        WHERE ${where}
        GROUP BY external_customer_id, meter_id, timestamp, id
      )
      GROUP BY external_customer_id, meter_id, latest_event_name
      ORDER BY customer_id, meter_id, event_type`.text;
  }

  /** Every row summed as stored, duplicates included: what a reader unaware of the engine would bill (benchmark baseline). */
  naiveAggregateSql(query: UsageWindowQuery): string {
    return sql`
      SELECT external_customer_id AS customer_id, meter_id, event_name AS event_type,
             toString(sum(qty_total)) AS quantity, toString(count()) AS event_count
      FROM ${this.table}
      WHERE ${this.scopeFilter(query)}
      GROUP BY external_customer_id, meter_id, event_name
      ORDER BY customer_id, meter_id, event_type`.text;
  }

  /** Streams every aggregate of the window in byte order of (customer, meter, event name); memory stays flat. */
  async *aggregateWindow(query: UsageWindowQuery, dedupe: MeterUsageDedupe = this.dedupe): AsyncGenerator<UsageAggregate> {
    if (!this.ingestedType) await this.describe();
    yield* streamUsageAggregates(this.client, this.aggregateSql(query, dedupe));
  }

  /** The server's clock in milliseconds (whole seconds on 18.16): the watermark is taken from the clock that stamps rows. */
  async serverNowMs(): Promise<number> {
    const result = await this.client.query({ query: 'SELECT toString(toUInt64(toUInt32(now())) * 1000) AS ms', format: 'JSONEachRow' });
    const [row] = await result.json<{ ms: string }>();
    return Number(row.ms);
  }

  /**
   * The event-time windows (aligned to `windowSeconds`) holding rows ingested at or after `sinceMs`, with how many
   * rows each. Rows with event time before `oldestStart` are folded into one bucket starting at the epoch, so the
   * answer stays small whatever the age of what was re-ingested.
   */
  async ingestedSince(
    scope: { tenantId: string; environmentId: string },
    sinceMs: number,
    windowSeconds: number,
    oldestStart: Date,
  ): Promise<IngestedWindowBucket[]> {
    const ingested = await this.ingestedMs();
    const result = await this.client.query({
      query: sql`
        SELECT toString(if(timestamp < ${oldestStart}, 0, intDiv(toUInt32(timestamp), ${windowSeconds}) * ${windowSeconds})) AS bucket,
               toString(count()) AS rows
        FROM ${this.table}
        WHERE tenant_id = ${assertId(scope.tenantId, 'tenant_id')}
          AND environment_id = ${assertId(scope.environmentId, 'environment_id')}
          AND ${ingested} >= ${sinceMs}
        GROUP BY bucket
        ORDER BY toUInt64(bucket)`.text,
      format: 'JSONEachRow',
    });
    return (await result.json<{ bucket: string; rows: string }>()).map((row) => {
      const startMs = Number(row.bucket) * 1000;
      return {
        start: new Date(startMs),
        end: new Date(startMs === 0 ? oldestStart.getTime() : startMs + windowSeconds * 1000),
        rows: Number(row.rows),
      };
    });
  }

  /** Development and test writes, in CSV so the exact decimal text reaches the server (as `EventsProcessedStore`). */
  async insert(rows: MeterUsageRow[]): Promise<void> {
    if (rows.length === 0) return;
    const type = this.ingestedType ?? (await this.describe());
    const lines = rows.map((row) => {
      if (!QTY_TEXT.test(row.qty_total)) throw new RangeError(`qty_total must be a Decimal(18, 8), got ${JSON.stringify(row.qty_total)}`);
      if (row.timestamp.getTime() % 1000 !== 0) throw new RangeError('timestamp must be whole seconds');
      const ingestedMs = row.ingested_at.getTime();
      // Numbers, not date text: text would be read in the server's time zone.
      const ingested =
        type === 'milliseconds'
          ? String(ingestedMs)
          : type === 'datetime64'
            ? (ingestedMs / 1000).toFixed(3)
            : String(Math.floor(ingestedMs / 1000));
      return `${[
        csvText(row.id),
        csvText(row.tenant_id),
        csvText(row.environment_id),
        csvText(row.external_customer_id),
        csvText(row.meter_id),
        csvText(row.event_name),
        String(row.timestamp.getTime() / 1000),
        ingested,
        row.qty_total,
        csvText(row.unique_hash ?? ''),
        csvText(row.source ?? ''),
        csvText(row.properties ?? ''),
      ].join(',')}\n`;
    });
    await this.client.insert({
      table: this.tableName,
      values: Readable.from(lines, { objectMode: false }),
      format: 'CSV',
      columns: [
        'id',
        'tenant_id',
        'environment_id',
        'external_customer_id',
        'meter_id',
        'event_name',
        'timestamp',
        'ingested_at',
        'qty_total',
        'unique_hash',
        'source',
        'properties',
      ],
    });
  }
}
