import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import { log, ParentClosePolicy, startChild } from '@temporalio/workflow';
import type { ScheduledSyncTally, SyncTenant } from '@flexsync/sync-contracts';

/** The child workflow one tenant gets, and how the log names it. */
export interface TenantChild {
  workflowType: string;
  workflowId: string;
  args: unknown[];
  /** e.g. `tenant sync run`: logged as "… could not be started". */
  name: string;
}

type StartOutcome = 'started' | 'already_running' | 'failed';

async function startTenantChild(tenant: SyncTenant, child: TenantChild): Promise<StartOutcome> {
  try {
    // Started, not awaited: one slow tenant never holds up the fan-out or the next tick. ABANDON lets the run go on
    // after this fan-out closes (it closes as soon as every run is started). One id per tenant+environment: while a
    // run is in progress the next tick finds it and moves on instead of starting a second one.
    await startChild(child.workflowType, {
      workflowId: child.workflowId,
      args: child.args,
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
    return 'started';
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return 'already_running';
    log.error(`${child.name} could not be started`, {
      tenant_id: tenant.tenantId,
      environment_id: tenant.environmentId,
      workflow_id: child.workflowId,
      error: error instanceof Error ? error.message : String(error),
    });
    return 'failed';
  }
}

/**
 * Starts one tenant's child workflow per tenant of a page, at most `concurrency` starts at once, and counts the page
 * and each outcome into `tally`. One tenant's failure to start is logged and counted; it never stops the others.
 */
export async function startTenantChildren(
  tenants: readonly SyncTenant[],
  concurrency: number,
  tally: ScheduledSyncTally,
  childOf: (tenant: SyncTenant) => TenantChild,
): Promise<void> {
  const queue = [...tenants];
  const lane = async (): Promise<void> => {
    for (let tenant = queue.shift(); tenant; tenant = queue.shift()) {
      const outcome = await startTenantChild(tenant, childOf(tenant));
      if (outcome === 'started') tally.started += 1;
      else if (outcome === 'already_running') tally.alreadyRunning += 1;
      else tally.failedToStart += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, lane));
  tally.pages += 1;
}
