import type { DataSource } from 'typeorm';
import {
  ClickHouseClient,
  EventsProcessedStore,
  MeterUsageDedupe,
  MeterUsageSchemaError,
  MeterUsageStore,
  UsageAggregate,
  UsageWindowQuery,
} from '@flexsync/clickhouse';
import { StripeConfigStore, type TenantScope } from '@flexsync/persistence';
import {
  DEFAULT_USAGE_SOURCE,
  IngestionFeed,
  isUsageSourceName,
  UsageSource,
  UsageSourceConfigError,
  UsageSourceName,
  WindowUsageReader,
} from './usage-source';

/** Deployment settings: the source every tenant reads unless its config names another. */
export interface UsageSourceSettings {
  defaultSource: UsageSourceName;
  /** `meter_usage` or `database.meter_usage`. */
  meterUsageTable?: string;
  meterUsageDedupe?: MeterUsageDedupe;
}

/** Today's behaviour, unchanged: `events_processed`, windows on `processed_at`. */
export class PlaybookEventsProcessedSource implements UsageSource {
  readonly name = 'playbook-events-processed' as const;

  constructor(private readonly store: EventsProcessedStore) {}

  async verify(): Promise<void> {
    if (!(await this.store.exists())) {
      throw new UsageSourceConfigError(`usage source ${this.name}: table events_processed does not exist`);
    }
  }

  aggregateWindow(query: UsageWindowQuery): AsyncIterable<UsageAggregate> {
    return this.store.aggregateWindow(query);
  }
}

/** FlexPrice's `meter_usage`: each id once (latest `ingested_at`), event-time windows, late rows by ingestion time. */
export class FlexPriceMeterUsageSource implements UsageSource {
  readonly name = 'flexprice-meter-usage' as const;
  readonly ingestion: IngestionFeed;

  constructor(private readonly store: MeterUsageStore) {
    this.ingestion = {
      serverNowMs: () => store.serverNowMs(),
      ingestedSince: (scope, sinceMs, windowSeconds, oldestStart) => store.ingestedSince(scope, sinceMs, windowSeconds, oldestStart),
    };
  }

  async verify(): Promise<void> {
    try {
      await this.store.describe();
    } catch (error) {
      if (error instanceof MeterUsageSchemaError) throw new UsageSourceConfigError(`usage source ${this.name}: ${error.message}`);
      throw error;
    }
  }

  aggregateWindow(query: UsageWindowQuery): AsyncIterable<UsageAggregate> {
    return this.store.aggregateWindow(query);
  }
}

/**
 * The usage source of each tenant+environment: its config's `usage_source`, else the deployment's default. A source
 * is verified once before its first read (a missing table fails the tenant's sync with that reason); a failed check
 * is repeated next time, so fixing the table needs no restart.
 */
export class UsageSources {
  private readonly verified = new Set<UsageSourceName>();
  private readonly configs: StripeConfigStore;

  constructor(
    db: DataSource,
    private readonly sources: ReadonlyMap<UsageSourceName, UsageSource>,
    readonly defaultSource: UsageSourceName,
  ) {
    this.configs = new StripeConfigStore(db);
  }

  /** The deployment default, verified: the worker refuses to start when this throws. */
  async verifyDefault(): Promise<UsageSource> {
    return this.verifiedSource(this.defaultSource);
  }

  async forTenant(scope: TenantScope): Promise<UsageSource> {
    const configured: string = (await this.configs.find(scope))?.usageSource ?? this.defaultSource;
    if (!isUsageSourceName(configured)) throw new UsageSourceConfigError(`unknown usage source "${configured}" in the tenant's config`);
    return this.verifiedSource(configured);
  }

  private async verifiedSource(name: UsageSourceName): Promise<UsageSource> {
    const source = this.sources.get(name);
    if (!source) throw new UsageSourceConfigError(`usage source ${name} is not available in this worker`);
    if (!this.verified.has(name)) {
      await source.verify();
      this.verified.add(name);
    }
    return source;
  }
}

export function createUsageSources(db: DataSource, clickhouse: ClickHouseClient, settings?: UsageSourceSettings): UsageSources {
  const defaultSource = settings?.defaultSource ?? DEFAULT_USAGE_SOURCE;
  if (!isUsageSourceName(defaultSource)) throw new UsageSourceConfigError(`unknown usage source "${String(defaultSource)}"`);
  const meterUsage = new MeterUsageStore(clickhouse, {
    ...(settings?.meterUsageTable ? { table: settings.meterUsageTable } : {}),
    ...(settings?.meterUsageDedupe ? { dedupe: settings.meterUsageDedupe } : {}),
  });
  const sources = new Map<UsageSourceName, UsageSource>([
    ['playbook-events-processed', new PlaybookEventsProcessedSource(new EventsProcessedStore(clickhouse))],
    ['flexprice-meter-usage', new FlexPriceMeterUsageSource(meterUsage)],
  ]);
  return new UsageSources(db, sources, defaultSource);
}

/** Reads each tenant's windows from its own source (reconciliation compares Stripe with what the sync read). */
export class TenantUsageReader implements WindowUsageReader {
  constructor(private readonly sources: UsageSources) {}

  async *aggregateWindow(query: UsageWindowQuery): AsyncGenerator<UsageAggregate> {
    const source = await this.sources.forTenant({ tenantId: query.tenantId, environmentId: query.environmentId });
    yield* source.aggregateWindow(query);
  }
}
