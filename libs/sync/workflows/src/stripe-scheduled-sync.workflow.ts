import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdReusePolicy,
  defineSearchAttributeKey,
  SearchAttributeType,
} from '@temporalio/common';
import { log, makeContinueAsNewFunc, ParentClosePolicy, proxyActivities, startChild, workflowInfo } from '@temporalio/workflow';
import {
  DEFAULT_SCHEDULED_LOOKBACK_HOURS,
  DEFAULT_SCHEDULED_MAX_CONCURRENT_TENANTS,
  DEFAULT_SCHEDULED_MAX_WINDOWS_PER_RUN,
  DEFAULT_SCHEDULED_TENANT_PAGE_SIZE,
  scheduledTenantSyncWorkflowId,
  STRIPE_SCHEDULED_SYNC_WORKFLOW,
  STRIPE_TENANT_COVERAGE_WORKFLOW,
} from '@flexsync/sync-contracts';
import type {
  ScheduledSyncActivities,
  ScheduledSyncInput,
  ScheduledSyncResult,
  ScheduledSyncTally,
  SyncTenant,
  TenantCoverageInput,
} from '@flexsync/sync-contracts';

/** Temporal sets this on runs a Schedule starts; a catch-up run keeps the time it was due, not when it ran. */
const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

const { ListSyncTenantsActivity } = proxyActivities<ScheduledSyncActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

type StartOutcome = 'started' | 'already_running' | 'failed';

async function startTenantRun(tenant: SyncTenant, args: Omit<TenantCoverageInput, 'tenantId' | 'environmentId'>): Promise<StartOutcome> {
  const scope = { tenantId: tenant.tenantId, environmentId: tenant.environmentId };
  const workflowId = scheduledTenantSyncWorkflowId(scope);
  try {
    // Started, not awaited: one slow tenant never holds up the fan-out or the next tick. ABANDON lets the run go on
    // after this fan-out closes (it closes as soon as every run is started). One id per tenant+environment: while a
    // run is in progress the next tick finds it and moves on instead of starting a second one over the same windows.
    await startChild(STRIPE_TENANT_COVERAGE_WORKFLOW, {
      workflowId,
      args: [{ ...scope, ...args } satisfies TenantCoverageInput],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
    return 'started';
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return 'already_running';
    log.error('tenant sync run could not be started', {
      tenant_id: tenant.tenantId,
      environment_id: tenant.environmentId,
      workflow_id: workflowId,
      error: error instanceof Error ? error.message : String(error),
    });
    return 'failed';
  }
}

/**
 * The hourly fan-out ("hourly + grace"): reads the tenants with sync enabled a page at a time and starts, for each,
 * its coverage run (`StripeTenantCoverageWorkflow`), which syncs every closed window not yet fully delivered. It
 * waits for the starts only, at most `maxConcurrentTenants` at once, and continues as new between pages, so neither
 * the number of tenants nor a slow one bounds it. One tenant's failure never stops the others.
 */
export async function StripeScheduledSyncWorkflow(input: ScheduledSyncInput = {}): Promise<ScheduledSyncResult> {
  const info = workflowInfo();
  const firedAt = input.firedAt ?? (info.typedSearchAttributes.get(SCHEDULED_START_TIME) ?? info.runStartTime).toISOString();
  const concurrency = Math.max(1, input.maxConcurrentTenants ?? DEFAULT_SCHEDULED_MAX_CONCURRENT_TENANTS);
  const runArgs = {
    firedAt,
    lookbackHours: input.lookbackHours ?? DEFAULT_SCHEDULED_LOOKBACK_HOURS,
    maxWindows: input.maxWindowsPerRun ?? DEFAULT_SCHEDULED_MAX_WINDOWS_PER_RUN,
  };
  const tally: ScheduledSyncTally = input.continuation?.tally ?? { started: 0, alreadyRunning: 0, failedToStart: 0, pages: 0 };

  const page = await ListSyncTenantsActivity({
    after: input.continuation?.after,
    limit: input.tenantPageSize ?? DEFAULT_SCHEDULED_TENANT_PAGE_SIZE,
  });
  const queue = [...page.tenants];
  const lane = async (): Promise<void> => {
    for (let tenant = queue.shift(); tenant; tenant = queue.shift()) {
      const outcome = await startTenantRun(tenant, runArgs);
      if (outcome === 'started') tally.started += 1;
      else if (outcome === 'already_running') tally.alreadyRunning += 1;
      else tally.failedToStart += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, lane));
  tally.pages += 1;

  if (page.next) {
    // Named, because a bare `StripeEventSyncWorkflow` start runs this function under its own type and must go on as the fan-out.
    const nextPage = makeContinueAsNewFunc<typeof StripeScheduledSyncWorkflow>({ workflowType: STRIPE_SCHEDULED_SYNC_WORKFLOW });
    return nextPage({ ...input, firedAt, continuation: { after: page.next, tally } });
  }
  return { firedAt, ...tally };
}
