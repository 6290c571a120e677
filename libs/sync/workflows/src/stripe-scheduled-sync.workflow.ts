import {
  defineSearchAttributeKey,
  SearchAttributeType,
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
} from '@temporalio/common';
import { executeChild, ParentClosePolicy, proxyActivities, workflowInfo } from '@temporalio/workflow';
import {
  closedWindowRange,
  DEFAULT_SCHEDULED_LOOKBACK_HOURS,
  DEFAULT_SCHEDULED_MAX_CONCURRENT_TENANTS,
  STRIPE_EVENT_SYNC_WORKFLOW,
} from '@flexsync/sync-contracts';
import type {
  ScheduledSyncActivities,
  ScheduledSyncInput,
  ScheduledSyncResult,
  ScheduledTenantSync,
  StripeEventSyncInput,
  SyncTenant,
} from '@flexsync/sync-contracts';

/** Temporal sets this on runs a Schedule starts; a catch-up run keeps the time it was due, not when it ran. */
const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

const { ListSyncTenantsActivity } = proxyActivities<ScheduledSyncActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

function describe(error: unknown): string {
  return error instanceof Error
    ? error.cause instanceof Error
      ? `${error.message}: ${error.cause.message}`
      : error.message
    : String(error);
}

async function syncTenant(tenant: SyncTenant, firedAt: string, lookbackHours: number): Promise<ScheduledTenantSync> {
  const range = closedWindowRange(firedAt, lookbackHours, tenant.windowMinutes);
  const base = { tenantId: tenant.tenantId, environmentId: tenant.environmentId };
  if (!range) return { ...base, workflowId: '', timeFrom: '', timeTo: '', outcome: 'nothing_closed' };
  // One id per tenant and tick: a re-fired tick finds the run in progress instead of starting a second one.
  const workflowId = `stripe-sync-scheduled-${tenant.tenantId}-${tenant.environmentId}-${range.timeFrom}-${range.timeTo}`;
  const result = { ...base, workflowId, ...range };
  try {
    const args: StripeEventSyncInput = { ...base, ...range, windowMinutes: tenant.windowMinutes, forceRerun: false, trigger: 'schedule' };
    // By name: StripeEventSyncWorkflow itself delegates here when started without input, so importing it would be circular.
    await executeChild(STRIPE_EVENT_SYNC_WORKFLOW, {
      workflowId,
      args: [args],
      // A tenant's sync finishes even if this fan-out run is cut short; the ledger makes a re-run harmless anyway.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
    return { ...result, outcome: 'completed' };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { ...result, outcome: 'already_running' };
    return { ...result, outcome: 'failed', error: describe(error) };
  }
}

/**
 * The hourly fan-out ("hourly + grace"): for every tenant+environment with sync enabled, syncs the windows that
 * closed in the looked-back hours as a child `StripeEventSyncWorkflow`, at most `maxConcurrentTenants` at a time.
 * One tenant's failure never stops the others.
 */
export async function StripeScheduledSyncWorkflow(input: ScheduledSyncInput = {}): Promise<ScheduledSyncResult> {
  const info = workflowInfo();
  const firedAt = input.firedAt ?? (info.typedSearchAttributes.get(SCHEDULED_START_TIME) ?? info.runStartTime).toISOString();
  const lookbackHours = input.lookbackHours ?? DEFAULT_SCHEDULED_LOOKBACK_HOURS;
  const concurrency = Math.max(1, input.maxConcurrentTenants ?? DEFAULT_SCHEDULED_MAX_CONCURRENT_TENANTS);
  const queue = await ListSyncTenantsActivity();
  const results: ScheduledTenantSync[] = [];
  const lane = async (): Promise<void> => {
    for (let tenant = queue.shift(); tenant; tenant = queue.shift()) {
      results.push(await syncTenant(tenant, firedAt, lookbackHours));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, lane));
  results.sort((a, b) => `${a.tenantId}|${a.environmentId}`.localeCompare(`${b.tenantId}|${b.environmentId}`));
  return { firedAt, tenants: results };
}
