import type { Logger } from 'pino';
import type { PlanTenantCoverageInput, RecordWindowCoverageInput, TenantCoveragePlan } from '@flexsync/sync-contracts';
import { activityLogger, currentActivityRun } from '../activity-run';
import { ledgerWindow } from '../aggregate-events.activity';
import type { CoverageMetrics } from './coverage-metrics';
import type { SyncCoverageStore } from './sync-coverage.store';

/** `PlanTenantCoverageActivity`: which windows a tenant's scheduled run syncs, and what it cannot sync any more. */
export class PlanTenantCoverageActivity {
  constructor(
    private readonly store: SyncCoverageStore,
    private readonly metrics: CoverageMetrics,
    private readonly logger: Logger,
  ) {}

  async run(input: PlanTenantCoverageInput): Promise<TenantCoveragePlan> {
    const scope = { tenantId: input.tenantId, environmentId: input.environmentId };
    const log = activityLogger(this.logger, 'PlanTenantCoverageActivity', scope, currentActivityRun());
    const closedBy = new Date(input.closedBy);
    if (!Number.isFinite(closedBy.getTime())) throw new RangeError(`closedBy ${input.closedBy} is not an ISO-8601 instant`);
    const plan = (await this.store.plan(scope, {
      closedBy,
      nowMs: Date.now(),
      lookbackHours: input.lookbackHours,
      maxWindows: input.maxWindows,
    })) ?? { ...scope, windowMinutes: 0, undelivered: 0, beyondLimit: 0, freshnessLagSeconds: 0, windows: [] };
    this.metrics.reportBeyondLimit(scope, plan.beyondLimit);
    this.metrics.windowsPlanned.inc(plan.windows.length);
    const { windows, ...summary } = plan;
    if (plan.beyondLimit > 0) {
      log.warn(
        { ...summary },
        "windows never delivered are now beyond Stripe's age limit: reported, no longer sent",
      );
    }
    log.info({ ...summary, planned: windows.length, first: windows[0]?.start, last: windows[windows.length - 1]?.end }, 'coverage planned');
    return plan;
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
