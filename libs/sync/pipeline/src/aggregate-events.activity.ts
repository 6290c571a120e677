import { ApplicationFailure } from '@temporalio/activity';
import type { Logger } from 'pino';
import { UnsafeSqlValueError } from '@flexsync/clickhouse';
import { WindowConflictError } from '@flexsync/persistence';
import { SYNC_FAILURE } from '@flexsync/sync-contracts';
import type { AggregateEventsInput, WindowUsageSummary } from '@flexsync/sync-contracts';
import { activityLogger, currentActivityRun } from './activity-run';
import { decimalToScaled, scaledToDecimal } from './decimal';
import type { MappingReader } from './ledger/mappings';
import { compareSeries, emptyReconcileCounts, MeasuredSeries, SeriesKey, StripeTarget } from './ledger/ledger-rows';
import type { SyncLedger } from './ledger/sync-ledger';
import type { SyncPipelineMetrics } from './sync-metrics';
import { UsageSourceConfigError } from './usage-source/usage-source';
import type { UsageSource } from './usage-source/usage-source';
import type { UsageSources } from './usage-source/usage-sources';

export interface AggregateEventsOptions {
  /** Aggregates reconciled with the ledger per transaction. */
  pageSize: number;
}

/** Parses and checks the window the workflow passed; a bad one is a permanent failure. */
export function ledgerWindow(window: { start: string; end: string }): { start: Date; end: Date } {
  const start = new Date(window.start);
  const end = new Date(window.end);
  if (!Number.isFinite(start.getTime()) || !Number.isFinite(end.getTime()) || start >= end) {
    throw ApplicationFailure.nonRetryable(`invalid window ${window.start}..${window.end}`, SYNC_FAILURE.invalidInput);
  }
  return { start, end };
}

/** The tenant's usage source; one that cannot be read as configured fails the sync with the reason (never zero usage). */
export async function tenantUsageSource(
  sources: UsageSources,
  scope: { tenantId: string; environmentId: string },
  log: Logger,
): Promise<UsageSource> {
  try {
    return await sources.forTenant(scope);
  } catch (error) {
    if (error instanceof UsageSourceConfigError) {
      log.error({ err: error }, 'usage source misconfigured: the tenant is not synced');
      throw ApplicationFailure.nonRetryable(error.message, SYNC_FAILURE.invalidInput);
    }
    throw error;
  }
}

/**
 * `AggregateEventsActivity`: ClickHouse groups the window's usage by (customer, meter, event_type) and streams it
 * in byte order; each page of aggregates is reconciled with the ledger rows of the same key range and written as
 * `pending` rows (new totals and corrections) before anything is sent. Node holds one page at a time, so its
 * memory and time do not grow with the raw event count, and only counts go back through Temporal.
 */
export class AggregateEventsActivity {
  constructor(
    private readonly usage: UsageSources,
    private readonly ledger: SyncLedger,
    private readonly mappings: MappingReader,
    private readonly metrics: SyncPipelineMetrics,
    private readonly logger: Logger,
    private readonly options: AggregateEventsOptions,
  ) {}

  async run(input: AggregateEventsInput): Promise<WindowUsageSummary> {
    const run = currentActivityRun();
    const scope = { tenantId: input.tenantId, environmentId: input.environmentId };
    const log = activityLogger(this.logger, 'AggregateEventsActivity', scope, run);
    const window = ledgerWindow(input.window);
    const source = await tenantUsageSource(this.usage, scope, log);
    try {
      await this.ledger.registerWindow(scope, window);
    } catch (error) {
      if (error instanceof WindowConflictError) {
        log.error({ window: input.window, err: error }, 'window conflicts with an already-synced window');
        throw ApplicationFailure.nonRetryable(error.message, SYNC_FAILURE.windowConflict);
      }
      throw error;
    }
    // A visit of any window is when the tenant's failures whose mapping has been fixed since come due.
    const madeDue = await this.ledger.dueFixedFailures(scope);
    if (madeDue > 0) log.info({ rows: madeDue }, 'failed pushes whose mapping or key is fixed are due again');
    const meters = await this.mappings.meterMappings(scope);
    const skip = (key: SeriesKey): boolean => meters.get(key.meterId)?.syncEnabled === false;

    const counts = emptyReconcileCounts();
    let aggregateCount = 0;
    let eventCount = 0;
    let skipped = 0;
    let total = 0n;
    let page: MeasuredSeries[] = [];
    let after: SeriesKey | undefined;
    const flush = async (upTo: SeriesKey | undefined): Promise<void> => {
      // Today's targets of the page's series, so a series whose meter or customer was remapped is moved (rule 13).
      const customers = await this.mappings.stripeCustomers(
        scope,
        page.map((series) => series.customerId),
      );
      const target = (key: SeriesKey): StripeTarget | undefined => {
        const eventName = meters.get(key.meterId)?.eventName;
        const stripeCustomerId = customers.get(key.customerId);
        return eventName === undefined || stripeCustomerId === undefined ? undefined : { eventName, stripeCustomerId };
      };
      const pageCounts = await this.ledger.reconcilePage({
        scope,
        window,
        customerId: input.customerId,
        measured: page,
        after,
        upTo,
        skip,
        target,
        run,
      });
      for (const key of Object.keys(counts) as (keyof typeof counts)[]) counts[key] += pageCounts[key];
      after = upTo;
      page = [];
      run.heartbeat({ aggregates: aggregateCount });
    };

    try {
      let previous: SeriesKey | undefined;
      for await (const aggregate of source.aggregateWindow({
        ...scope,
        windowStart: window.start,
        windowEnd: window.end,
        customerId: input.customerId,
      })) {
        // The ledger merge relies on ClickHouse's byte order; a broken assumption must stop the sync, not corrupt it.
        if (previous && compareSeries(previous, aggregate) >= 0) throw new Error('ClickHouse aggregates are not in byte order');
        previous = aggregate;
        aggregateCount += 1;
        eventCount += aggregate.eventCount;
        total += decimalToScaled(aggregate.quantity);
        if (skip(aggregate)) skipped += 1;
        page.push(aggregate);
        if (page.length >= this.options.pageSize) await flush(aggregate);
      }
      await flush(undefined);
    } catch (error) {
      if (error instanceof UnsafeSqlValueError) throw ApplicationFailure.nonRetryable(error.message, SYNC_FAILURE.invalidInput);
      throw error;
    }

    this.metrics.aggregates.inc({ result: 'new' }, counts.armed - counts.corrections);
    this.metrics.aggregates.inc({ result: 'correction' }, counts.corrections);
    this.metrics.aggregates.inc({ result: 'unchanged' }, counts.unchanged);
    this.metrics.aggregates.inc({ result: 'skipped' }, skipped);
    this.metrics.batches.inc({ status: 'pending' }, counts.armed + counts.rearmed);
    const summary: WindowUsageSummary = {
      window: input.window,
      aggregateCount,
      eventCount,
      totalQuantity: scaledToDecimal(total),
      armed: counts.armed,
      corrections: counts.corrections,
      rearmed: counts.rearmed,
      resumed: counts.resumed,
      unchanged: counts.unchanged,
      skipped,
    };
    log.info({ ...summary, withdrawn: counts.withdrawn, usage_source: source.name }, 'window aggregated into the ledger');
    return summary;
  }
}
