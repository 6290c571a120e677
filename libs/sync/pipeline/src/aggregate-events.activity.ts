import type { AggregateEventsInput, WindowUsageSummary } from '@flexsync/sync-contracts';
import type { EventsProcessedStore } from '@flexsync/clickhouse';
import { decimalToScaled, scaledToDecimal } from './decimal';

/**
 * `AggregateEventsActivity`: ClickHouse groups the window's usage by (customer, meter, event_type); Node only
 * streams the result and keeps running totals, so its cost does not grow with the raw event count.
 */
export class AggregateEventsActivity {
  constructor(private readonly usage: EventsProcessedStore) {}

  async run(input: AggregateEventsInput): Promise<WindowUsageSummary> {
    let aggregateCount = 0;
    let eventCount = 0;
    let total = 0n;
    for await (const aggregate of this.usage.aggregateWindow({
      tenantId: input.tenantId,
      environmentId: input.environmentId,
      windowStart: new Date(input.window.start),
      windowEnd: new Date(input.window.end),
      customerId: input.customerId,
    })) {
      aggregateCount += 1;
      eventCount += aggregate.eventCount;
      total += decimalToScaled(aggregate.quantity);
    }
    return { window: input.window, aggregateCount, eventCount, totalQuantity: scaledToDecimal(total) };
  }
}
