import type { ClickHouseClient } from '@clickhouse/client';
import type { UsageAggregate } from './events-processed';

/** A window aggregate as both usage tables' queries name their columns. */
interface AggregateRow {
  customer_id: string;
  meter_id: string;
  event_type: string;
  quantity: string;
  event_count: string;
}

/**
 * Streams the rows of an aggregation query as `UsageAggregate`s, one at a time (no LIMIT that could truncate usage,
 * no array of the whole window), so the worker's memory stays flat however many aggregates a window holds.
 */
export async function* streamUsageAggregates(client: ClickHouseClient, query: string): AsyncGenerator<UsageAggregate> {
  const result = await client.query({ query, format: 'JSONEachRow' });
  for await (const rows of result.stream<AggregateRow>()) {
    for (const row of rows) {
      const value = row.json();
      yield {
        customerId: value.customer_id,
        meterId: value.meter_id,
        eventType: value.event_type,
        quantity: value.quantity,
        eventCount: Number(value.event_count),
      };
    }
  }
}
