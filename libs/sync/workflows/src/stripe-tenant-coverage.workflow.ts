import { executeChild, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { STRIPE_EVENT_SYNC_WORKFLOW, STRIPE_RECONCILIATION_WORKFLOW } from '@flexsync/sync-contracts';
import type {
  ReconciliationInput,
  ScheduledSyncActivities,
  StripeEventSyncInput,
  SyncWindow,
  TenantCoverageInput,
  TenantCoverageResult,
} from '@flexsync/sync-contracts';
import type { StripeReconciliationWorkflow } from './stripe-reconciliation.workflow';
import type { StripeEventSyncWorkflow } from './stripe-event-sync.workflow';

const HOUR_MS = 3_600_000;

const { PlanTenantCoverageActivity } = proxyActivities<ScheduledSyncActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/**
 * One tenant+environment's scheduled run: plans its coverage as of the tick (every closed window not yet fully
 * delivered, oldest first, plus the look-back's windows for late usage, at most `maxWindows`) and syncs those
 * windows in one `StripeEventSyncWorkflow`. A longer backlog goes on at the next tick; windows older than Stripe
 * accepts are reported by the plan (metric, log), never silently dropped.
 */
export async function StripeTenantCoverageWorkflow(input: TenantCoverageInput): Promise<TenantCoverageResult> {
  const scope = { tenantId: input.tenantId, environmentId: input.environmentId };
  // Ticks fire a few minutes after the hour (the grace period): the windows due are those closed by that hour.
  const closedBy = new Date(Math.floor(Date.parse(input.firedAt) / HOUR_MS) * HOUR_MS).toISOString();
  const { windows, ...plan } = await PlanTenantCoverageActivity({
    ...scope,
    closedBy,
    lookbackHours: input.lookbackHours,
    maxWindows: input.maxWindows,
  });
  if (windows.length === 0) return { ...scope, plan, windowsSynced: 0 };

  const syncWorkflowId = `${workflowInfo().workflowId}-${closedBy}`;
  const args: StripeEventSyncInput = {
    ...scope,
    timeFrom: windows[0].start,
    timeTo: windows[windows.length - 1].end,
    windowMinutes: plan.windowMinutes,
    windows,
    forceRerun: false,
    trigger: 'schedule',
  };
  await executeChild<typeof StripeEventSyncWorkflow>(STRIPE_EVENT_SYNC_WORKFLOW, { workflowId: syncWorkflowId, args: [args] });
  await reconcileTouchedWindows(scope, windows, plan.windowMinutes, `${syncWorkflowId}-reconciliation`);
  return { ...scope, plan, windowsSynced: windows.length, syncWorkflowId };
}

/**
 * Reconciles the windows the run just synced (issue 9: "after every hourly run"). Windows pushed moments ago are
 * `pending` until Stripe's summaries catch up; the next tick's look-back reconciles them again. A failed
 * reconciliation is logged and never fails the sync run: the daily reconciliation covers the range again.
 */
async function reconcileTouchedWindows(
  scope: { tenantId: string; environmentId: string },
  windows: SyncWindow[],
  windowMinutes: number,
  workflowId: string,
): Promise<void> {
  const input: ReconciliationInput = {
    ...scope,
    timeFrom: windows[0].start,
    timeTo: windows.reduce((end, window) => (Date.parse(window.end) > Date.parse(end) ? window.end : end), windows[0].end),
    trigger: 'hourly',
    windowMinutes,
  };
  try {
    await executeChild<typeof StripeReconciliationWorkflow>(STRIPE_RECONCILIATION_WORKFLOW, { workflowId, args: [input] });
  } catch (error) {
    log.warn('reconciliation after the hourly run failed', {
      tenant_id: scope.tenantId,
      environment_id: scope.environmentId,
      workflow_id: workflowId,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
