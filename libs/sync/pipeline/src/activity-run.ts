import { asyncLocalStorage } from '@temporalio/activity';
import type { Logger } from 'pino';
import type { RunRef } from './ledger/ledger-rows';

/** The Temporal activity being executed, or a stand-in when an activity class is called directly (unit tests). */
export interface ActivityRun extends RunRef {
  heartbeat(details?: unknown): void;
  signal: AbortSignal | undefined;
}

/**
 * Each SDK heartbeat is a synchronous call into the native core (~0.3 ms), and the server only needs one well within
 * the heartbeat timeout: a push loop heartbeating per meter event would spend a third of its time there.
 */
const HEARTBEAT_EVERY_MS = 1_000;

export function currentActivityRun(): ActivityRun {
  const context = asyncLocalStorage.getStore();
  if (!context) return { workflowId: null, runId: null, heartbeat: () => undefined, signal: undefined };
  let lastHeartbeatMs = 0;
  return {
    workflowId: context.info.workflowExecution?.workflowId ?? null,
    runId: context.info.workflowExecution?.runId ?? null,
    heartbeat: (details?: unknown) => {
      const now = Date.now();
      if (now - lastHeartbeatMs < HEARTBEAT_EVERY_MS) return;
      lastHeartbeatMs = now;
      context.heartbeat(details);
    },
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
