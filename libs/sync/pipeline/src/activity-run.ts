import { asyncLocalStorage } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { RunRef } from './ledger/sync-ledger';

/** The Temporal activity being executed, or a stand-in when an activity class is called directly (unit tests). */
export interface ActivityRun extends RunRef {
  heartbeat(details?: unknown): void;
  signal: AbortSignal | undefined;
}

export function currentActivityRun(): ActivityRun {
  const context = asyncLocalStorage.getStore();
  if (!context) return { workflowId: null, runId: null, heartbeat: () => undefined, signal: undefined };
  return {
    workflowId: context.info.workflowExecution?.workflowId ?? null,
    runId: context.info.workflowExecution?.runId ?? null,
    heartbeat: (details?: unknown) => context.heartbeat(details),
    signal: context.cancellationSignal,
  };
}

/** Every log line of an activity names the tenant, environment and Temporal run it serves. */
export function activityLogger(logger: Logger, activity: string, scope: { tenantId: string; environmentId: string }, run: RunRef): Logger {
  return logger.child({
    activity,
    tenant_id: scope.tenantId,
    environment_id: scope.environmentId,
    workflow_id: run.workflowId,
    run_id: run.runId,
  });
}
