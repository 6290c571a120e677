import type { Logger } from 'pino';
import type { RecordResendInput, ReconciliationSummary, ReconcileTenantInput } from '@flexsync/sync-contracts';
import { activityLogger, currentActivityRun } from '../activity-run';
import type { ReconciliationMetrics } from './reconciliation-metrics';
import type { ReconciliationReportStore } from './reconciliation-report.store';
import { type ReconciliationService, ReconciliationUnavailableError } from './reconciliation-service';

/**
 * `ReconcileTenantActivity`: one tenant+environment's reconciliation over a range, stored for the API and the gauges.
 * A tenant that cannot be reconciled now (no usable Stripe key, circuit open) gets a failed run on record and its
 * cells keep their last verdict; anything else (database, Stripe unavailable) is thrown for Temporal to retry.
 */
export class ReconcileTenantActivity {
  constructor(
    private readonly service: ReconciliationService,
    private readonly store: ReconciliationReportStore,
    private readonly metrics: ReconciliationMetrics,
    private readonly logger: Logger,
  ) {}

  async run(input: ReconcileTenantInput): Promise<ReconciliationSummary> {
    const run = currentActivityRun();
    const scope = { tenantId: input.tenantId, environmentId: input.environmentId };
    const log = activityLogger(this.logger, 'ReconcileTenantActivity', scope, run).child({ trigger: input.trigger });
    const record = { ...input, workflowId: run.workflowId };
    try {
      const report = await this.service.reconcile(
        {
          ...scope,
          timeFrom: new Date(input.timeFrom),
          timeTo: new Date(input.timeTo),
          ...(input.customerId === undefined ? {} : { customerId: input.customerId }),
          ...(input.meterId === undefined ? {} : { meterId: input.meterId }),
        },
        log,
      );
      const runId = await this.store.recordCompleted(record, report, report.unknownOutcomes);
      this.metrics.runs.inc({ trigger: input.trigger, result: 'completed' });
      log.info({ run_id: runId, totals: report.totals, drift_units: report.driftUnits }, 'reconciliation report stored');
      return {
        ...scope,
        runId,
        status: 'completed',
        timeFrom: report.timeFrom,
        timeTo: report.timeTo,
        totals: report.totals,
        driftUnits: report.driftUnits,
        unknownOutcomes: report.unknownOutcomes,
        settledCompleted: report.settled.completed,
        reidentified: report.settled.reidentified.length,
        windowsToResend: report.windowsToResend,
      };
    } catch (error) {
      if (!(error instanceof ReconciliationUnavailableError)) {
        this.metrics.runs.inc({ trigger: input.trigger, result: 'error' });
        throw error;
      }
      const runId = await this.store.recordFailed(record, error.message);
      this.metrics.runs.inc({ trigger: input.trigger, result: 'unavailable' });
      log.warn({ run_id: runId, reason: error.reason }, 'reconciliation not possible now; cells keep their last verdict');
      return {
        ...scope,
        runId,
        status: 'failed',
        timeFrom: input.timeFrom,
        timeTo: input.timeTo,
        totals: { match: 0, drift: 0, pending: 0, unknown_outcome: 0 },
        driftUnits: '0',
        unknownOutcomes: 0,
        settledCompleted: 0,
        reidentified: 0,
        windowsToResend: [],
        error: error.message,
      };
    }
  }

  async recordResend(input: RecordResendInput): Promise<void> {
    await this.store.recordResend(input, input.runId, input.resendWorkflowId);
  }
}
