import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { makeContinueAsNewFunc, proxyActivities, workflowInfo } from '@temporalio/workflow';
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
  TenantCoverageInput,
} from '@flexsync/sync-contracts';
import { startTenantChildren } from './tenant-fan-out';

/** Temporal sets this on runs a Schedule starts; a catch-up run keeps the time it was due, not when it ran. */
const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

const { ListSyncTenantsActivity } = proxyActivities<ScheduledSyncActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});

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
  await startTenantChildren(page.tenants, concurrency, tally, (tenant) => {
    const scope = { tenantId: tenant.tenantId, environmentId: tenant.environmentId };
    return {
      workflowType: STRIPE_TENANT_COVERAGE_WORKFLOW,
      workflowId: scheduledTenantSyncWorkflowId(scope),
      args: [{ ...scope, ...runArgs } satisfies TenantCoverageInput],
      name: 'tenant sync run',
    };
  });

  if (page.next) {
    // Named, because a bare `StripeEventSyncWorkflow` start runs this function under its own type and must go on as the fan-out.
    const nextPage = makeContinueAsNewFunc<typeof StripeScheduledSyncWorkflow>({ workflowType: STRIPE_SCHEDULED_SYNC_WORKFLOW });
    return nextPage({ ...input, firedAt, continuation: { after: page.next, tally } });
  }
  return { firedAt, ...tally };
}
