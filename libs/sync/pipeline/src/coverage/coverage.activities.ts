import type { Logger } from 'pino';
import type { PlanTenantCoverageInput, RecordWindowCoverageInput, TenantCoveragePlan } from '@flexsync/sync-contracts';
import { activityLogger, currentActivityRun } from '../activity-run';
import { ledgerWindow, tenantUsageSource } from '../aggregate-events.activity';
import type { UsageSources } from '../usage-source/usage-sources';
import type { CoverageMetrics } from './coverage-metrics';
import type { LateUsageWatermarks } from './late-usage';
import type { SyncCoverageStore } from './sync-coverage.store';

/**
 * `PlanTenantCoverageActivity`: which windows a tenant's scheduled run syncs, and what it cannot sync any more. For a
 * source that records ingestion time it first moves the tenant's late-usage watermark, so windows that received rows
 * since the last run are synced again (and only those, instead of the look-back's).
 */
export class PlanTenantCoverageActivity {
  constructor(
    private readonly store: SyncCoverageStore,
    private readonly metrics: CoverageMetrics,
    private readonly logger: Logger,
    private readonly late?: { sources: UsageSources; watermarks: LateUsageWatermarks },
  ) {}

  async run(input: PlanTenantCoverageInput): Promise<TenantCoveragePlan> {
    const scope = { tenantId: input.tenantId, environmentId: input.environmentId };
    const log = activityLogger(this.logger, 'PlanTenantCoverageActivity', scope, currentActivityRun());
    const closedBy = new Date(input.closedBy);
    if (!Number.isFinite(closedBy.getTime())) throw new RangeError(`closedBy ${input.closedBy} is not an ISO-8601 instant`);
    const nowMs = Date.now();
    const lateUsage = await this.scanLateUsage(scope, nowMs, log);
    const plan = (await this.store.plan(scope, {
      closedBy,
      nowMs,
      lookbackHours: input.lookbackHours,
      maxWindows: input.maxWindows,
      lateUsage,
    })) ?? { ...scope, windowMinutes: 0, undelivered: 0, beyondLimit: 0, freshnessLagSeconds: 0, windows: [] };
    this.metrics.reportBeyondLimit(scope, plan.beyondLimit);
    this.metrics.windowsPlanned.inc(plan.windows.length);
    const { windows, ...summary } = plan;
    if (plan.beyondLimit > 0) {
      log.warn({ ...summary }, "windows never delivered are now beyond Stripe's age limit: reported, no longer sent");
    }
    log.info({ ...summary, planned: windows.length, first: windows[0]?.start, last: windows[windows.length - 1]?.end }, 'coverage planned');
    return plan;
  }

  private async scanLateUsage(
    scope: { tenantId: string; environmentId: string },
    nowMs: number,
    log: Logger,
  ): Promise<'lookback' | 'watermark'> {
    if (!this.late) return 'lookback';
    const source = await tenantUsageSource(this.late.sources, scope, log);
    if (!source.ingestion) return 'lookback';
    const scan = await this.late.watermarks.scan(scope, { name: source.name, ingestion: source.ingestion }, nowMs);
    if (!scan) return 'lookback';
    this.metrics.lateWindows.inc(scan.changedWindows.length);
    const summary = {
      usage_source: source.name,
      ingested_since: new Date(scan.sinceMs).toISOString(),
      watermark: new Date(scan.markMs).toISOString(),
      changed_windows: scan.changedWindows.length,
      windows_marked: scan.windowsMarked,
      first_run: scan.firstRun,
    };
    if (scan.lateRowsBeyondLimit > 0) {
      this.metrics.lateRowsBeyondLimit.inc({ tenant_id: scope.tenantId, environment_id: scope.environmentId }, scan.lateRowsBeyondLimit);
      log.warn(
        { ...summary, late_rows_beyond_limit: scan.lateRowsBeyondLimit },
        "rows ingested into windows older than Stripe's age limit: reported, never sent",
      );
    } else log.info(summary, 'late usage scanned');
    return 'watermark';
  }
}

/** `RecordWindowCoverageActivity`: a run aggregated and pushed a whole window; records whether it is now fully delivered. */
export class RecordWindowCoverageActivity {
  constructor(
    private readonly store: SyncCoverageStore,
    private readonly metrics: CoverageMetrics,
    private readonly logger: Logger,
  ) {}

  async run(input: RecordWindowCoverageInput): Promise<void> {
    const scope = { tenantId: input.tenantId, environmentId: input.environmentId };
    const window = ledgerWindow(input.window);
    const { delivered } = await this.store.recordWindow(scope, window, new Date(input.aggregatedAt));
    this.metrics.windowsRecorded.inc({ delivered: String(delivered) });
    activityLogger(this.logger, 'RecordWindowCoverageActivity', scope, currentActivityRun()).debug(
      { window: input.window, delivered },
      'window coverage recorded',
    );
  }
}
