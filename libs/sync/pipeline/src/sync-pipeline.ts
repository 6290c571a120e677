import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import type { ClickHouseClient } from '@flexsync/clickhouse';
import type { SecretBox } from '@flexsync/crypto';
import { SyncBatchStore } from '@flexsync/persistence';
import type { SyncWorkerActivities } from '@flexsync/sync-contracts';
import { AggregateEventsActivity } from './aggregate-events.activity';
import {
  CoverageMetrics,
  LateUsageWatermarks,
  PlanTenantCoverageActivity,
  RecordWindowCoverageActivity,
  SyncCoverageStore,
} from './coverage';
import { MappingReader } from './ledger/mappings';
import { createReconcileTenantActivity, DEFAULT_RECONCILIATION_INGESTION_LAG_SECONDS } from './reconciliation';
import { SyncLedger } from './ledger/sync-ledger';
import { StripeCircuitBreakers } from './push/circuit-breakers';
import { PushMeterChecks } from './push/meter-checks';
import { CustomerMeterLocks } from './push/customer-meter-locks';
import { StripeAccountDirectory, StripeAccountSettings } from './push/stripe-accounts';
import { ListSyncTenantsActivity } from './list-sync-tenants.activity';
import { bindSyncActivities } from './sync-activities';
import { SyncPipelineMetrics } from './sync-metrics';
import { SyncToStripeActivity, SyncToStripeOptions } from './sync-to-stripe.activity';
import { TrackSyncBatchActivity } from './track-sync-batch.activity';
import { createUsageSources, UsageSources, UsageSourceSettings } from './usage-source/usage-sources';

export interface SyncPipelineSettings {
  stripe: StripeAccountSettings;
  push: SyncToStripeOptions;
  aggregatePageSize: number;
  circuitCooldownSeconds: number;
  /** Reconciliation against Stripe's meter event summaries; default ingestion lag 600 s. */
  reconciliation?: { ingestionLagSeconds: number };
  /** Where usage is read from; absent: the playbook's `events_processed` for every tenant. */
  usage?: UsageSourceSettings;
}

export interface SyncPipelineDependencies {
  db: DataSource;
  clickhouse: ClickHouseClient;
  secretBox: SecretBox;
  registry: Registry;
  logger: Logger;
  settings: SyncPipelineSettings;
}

export interface SyncPipeline {
  activities: SyncWorkerActivities;
  aggregate: AggregateEventsActivity;
  push: SyncToStripeActivity;
  track: TrackSyncBatchActivity;
  metrics: SyncPipelineMetrics;
  /** Each tenant's usage source; the worker verifies the default before it starts. */
  usageSources: UsageSources;
}

/** Wires the three activities over one ledger, one account directory (keys, limiters) and one set of metrics. */
export function createSyncPipeline(deps: SyncPipelineDependencies): SyncPipeline {
  const metrics = new SyncPipelineMetrics(deps.registry);
  const ledger = new SyncLedger(deps.db);
  const mappings = new MappingReader(deps.db);
  const accounts = new StripeAccountDirectory(deps.db, deps.secretBox, deps.settings.stripe);
  const breakers = new StripeCircuitBreakers(deps.db, deps.settings.circuitCooldownSeconds, metrics);
  const usageSources = createUsageSources(deps.db, deps.clickhouse, deps.settings.usage);
  const aggregate = new AggregateEventsActivity(usageSources, ledger, mappings, metrics, deps.logger, {
    pageSize: deps.settings.aggregatePageSize,
  });
  // One budget per Stripe account and one lock per customer+meter, both in Postgres: shared by every replica.
  const push = new SyncToStripeActivity(
    ledger,
    mappings,
    accounts,
    breakers,
    metrics,
    deps.logger,
    deps.settings.push,
    new SyncBatchStore(deps.db),
    new PushMeterChecks(deps.registry),
    new CustomerMeterLocks(deps.db),
  );
  const track = new TrackSyncBatchActivity(ledger, metrics, deps.logger);
  const coverageStore = new SyncCoverageStore(deps.db);
  const coverageMetrics = new CoverageMetrics(deps.registry);
  const coverage = {
    plan: new PlanTenantCoverageActivity(coverageStore, coverageMetrics, deps.logger, {
      sources: usageSources,
      watermarks: new LateUsageWatermarks(deps.db),
    }),
    record: new RecordWindowCoverageActivity(coverageStore, coverageMetrics, deps.logger),
  };
  const reconcile = createReconcileTenantActivity({
    ...deps,
    stripe: deps.settings.stripe,
    usage: deps.settings.usage,
    reconciliation: {
      ingestionLagSeconds: deps.settings.reconciliation?.ingestionLagSeconds ?? DEFAULT_RECONCILIATION_INGESTION_LAG_SECONDS,
      dedupeWindowHours: deps.settings.push.dedupeWindowHours,
    },
  });
  return {
    activities: bindSyncActivities(aggregate, push, track, new ListSyncTenantsActivity(deps.db), coverage, reconcile),
    aggregate,
    push,
    track,
    metrics,
    usageSources,
  };
}
