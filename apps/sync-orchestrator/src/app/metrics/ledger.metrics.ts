import { Inject, Injectable } from '@nestjs/common';
import type { Client, ScheduleDescription } from '@temporalio/client';
import { PinoLogger } from 'nestjs-pino';
import { Gauge } from 'prom-client';
import { MetricsRegistry } from '@flexsync/observability';
import { SyncBatchStore, type UndeliveredTenants } from '@flexsync/persistence';
import { TEMPORAL_CLIENT } from '../shared/temporal-client.token';
import { SyncOrchestratorConfig } from '../sync-orchestrator.config';

const BACKLOG_STATUSES = ['pending', 'failed', 'unknown'] as const;

/**
 * Gauges read from the durable state on every scrape, so they survive restarts and agree across replicas (unlike
 * the worker's per-process counters): the ledger's backlog by status, per-tenant freshness (age of the oldest
 * closed window not yet delivered), and what the hourly schedule has actually run. Tenant labels are capped at
 * STRIPE_SYNC_METRICS_MAX_TENANTS (the stalest first); `stripe_sync_undelivered_tenants` counts them all.
 * A read that fails leaves the gauge empty for that scrape (no stale value): `absent()` alerts see it. The ledger is
 * read through `SyncBatchStore` (its deliberately cross-tenant gauge reads).
 */
@Injectable()
export class LedgerMetrics {
  private readonly reads = new Map<string, Promise<unknown>>();

  constructor(
    @Inject(MetricsRegistry) registry: MetricsRegistry,
    @Inject(SyncBatchStore) private readonly batches: SyncBatchStore,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(SyncOrchestratorConfig) private readonly config: SyncOrchestratorConfig,
    private readonly logger: PinoLogger,
  ) {
    logger.setContext(LedgerMetrics.name);
    // collect() runs with the gauge as `this`; these arrows carry the reads.
    const backlog = (): Promise<Map<string, number> | undefined> => this.read('ledger backlog', () => this.batches.backlogByStatus());
    const readFreshness = (): Promise<UndeliveredTenants | undefined> => this.freshness();
    const schedule = (): Promise<ScheduleDescription | undefined> => this.schedule();
    new Gauge({
      name: 'stripe_sync_ledger_rows',
      help: 'Ledger rows not yet delivered, by status (pending, failed, unknown), read from Postgres at scrape time',
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        this.reset();
        const counts = await backlog();
        if (counts) for (const status of BACKLOG_STATUSES) this.set({ status }, counts.get(status) ?? 0);
      },
    });
    new Gauge({
      name: 'stripe_sync_undelivered_tenants',
      help: 'Tenant environments with at least one closed window not yet delivered (all of them, uncapped)',
      registers: [registry],
      async collect() {
        this.reset();
        const freshness = await readFreshness();
        if (freshness) this.set(freshness.total);
      },
    });
    new Gauge({
      name: 'stripe_sync_oldest_undelivered_window_age_seconds',
      help: 'Per tenant environment: seconds since the end of its oldest window not yet delivered to Stripe (capped label set, stalest first)',
      labelNames: ['tenant_id', 'environment_id'],
      registers: [registry],
      async collect() {
        this.reset();
        const freshness = await readFreshness();
        if (!freshness) return;
        for (const row of freshness.rows) this.set({ tenant_id: row.tenant_id, environment_id: row.environment_id }, Number(row.age_seconds));
      },
    });
    new Gauge({
      name: 'stripe_sync_schedule_runs',
      help: 'Runs the hourly Temporal schedule has started since it was created (schedule describe: numActionsTaken)',
      labelNames: ['schedule_id'],
      registers: [registry],
      async collect() {
        this.reset();
        const info = await schedule();
        if (info) this.set({ schedule_id: info.scheduleId }, info.info.numActionsTaken);
      },
    });
    new Gauge({
      name: 'stripe_sync_schedule_last_run_timestamp_seconds',
      help: 'When the hourly schedule last started a run (unix seconds); absent until it has run once',
      labelNames: ['schedule_id'],
      registers: [registry],
      async collect() {
        this.reset();
        const info = await schedule();
        const last = info?.info.recentActions.at(-1)?.takenAt;
        if (info && last) this.set({ schedule_id: info.scheduleId }, last.getTime() / 1000);
      },
    });
  }

  /** Gauges that need the same read share it while it is in flight (a scrape collects them concurrently). */
  private shared<T>(key: string, work: () => Promise<T | undefined>): Promise<T | undefined> {
    const inFlight = this.reads.get(key);
    if (inFlight) return inFlight as Promise<T | undefined>;
    const result = work().finally(() => this.reads.delete(key));
    this.reads.set(key, result);
    return result;
  }

  private schedule(): Promise<ScheduleDescription | undefined> {
    if (!this.config.STRIPE_SYNC_SCHEDULE_ENABLED) return Promise.resolve(undefined);
    return this.shared('schedule', () => this.read('schedule', () => this.temporal.schedule.getHandle(this.config.STRIPE_SYNC_SCHEDULE_ID).describe()));
  }

  private freshness(): Promise<UndeliveredTenants | undefined> {
    return this.shared('freshness', () =>
      this.read('ledger freshness', () => this.batches.undeliveredTenants(this.config.STRIPE_SYNC_METRICS_MAX_TENANTS)),
    );
  }

  private async read<T>(what: string, work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work();
    } catch (error) {
      this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, `metrics: could not read ${what}`);
      return undefined;
    }
  }
}
