import { executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { STRIPE_EVENT_SYNC_WORKFLOW } from '@flexsync/sync-contracts';
import type { ReconciliationActivities, ReconciliationInput, ReconciliationResult, StripeEventSyncInput } from '@flexsync/sync-contracts';
import type { StripeEventSyncWorkflow } from './stripe-event-sync.workflow';

const MINUTE_MS = 60_000;

// A 35-day range reads ClickHouse per window and Stripe per target: minutes, not seconds, on a large tenant.
const { ReconcileTenantActivity } = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '30 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes', maximumAttempts: 5 },
});

const { RecordReconciliationResendActivity } = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

/**
 * One tenant+environment's reconciliation (design rule 15): the activity settles unknown rows from Stripe's totals,
 * judges every customer × meter × window of the range and stores the report. Rows it re-armed under a new
 * identifier (missing in Stripe, past its dedupe) are then sent by a sync over their windows, so healing does not
 * wait for the next tick. Drift the ledger cannot explain is only reported.
 */
export async function StripeReconciliationWorkflow(input: ReconciliationInput): Promise<ReconciliationResult> {
  const scope = { tenantId: input.tenantId, environmentId: input.environmentId };
  const { windowMinutes, ...request } = input;
  const summary = await ReconcileTenantActivity({ ...request, startedAt: new Date().toISOString() });
  if (summary.status !== 'completed' || summary.windowsToResend.length === 0) return summary;

  const windows = [...summary.windowsToResend].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  const resendWorkflowId = `${workflowInfo().workflowId}-resend`;
  await RecordReconciliationResendActivity({ ...scope, runId: summary.runId, resendWorkflowId });
  const args: StripeEventSyncInput = {
    ...scope,
    timeFrom: windows[0].start,
    timeTo: windows[windows.length - 1].end,
    windowMinutes: windowMinutes ?? (Date.parse(windows[0].end) - Date.parse(windows[0].start)) / MINUTE_MS,
    windows,
    ...(input.customerId === undefined ? {} : { customerId: input.customerId }),
    forceRerun: false,
    trigger: input.trigger === 'api' ? 'manual' : 'schedule',
  };
  await executeChild<typeof StripeEventSyncWorkflow>(STRIPE_EVENT_SYNC_WORKFLOW, { workflowId: resendWorkflowId, args: [args] });
  return { ...summary, resendWorkflowId };
}
