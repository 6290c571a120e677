import { Inject, Injectable } from '@nestjs/common';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { PinoLogger } from 'nestjs-pino';
import type { TenantPrincipal } from '@flexsync/auth';
import { ManualSyncRunStore, type ManualSyncRunRecord, SyncBatchStore, type TenantScope } from '@flexsync/persistence';
import { DomainError } from '@flexsync/runtime';
import { TEMPORAL_CLIENT } from '../shared/temporal-client.token';
import type { CancelRequestedView, ManualSyncRunView } from './manual-sync-run.views';

/**
 * Progress and cancellation of the manual syncs and retries a tenant started (`stripe_manual_sync_runs`): scheduled
 * runs are not reachable here, and every lookup is scoped to the caller's tenant and environment. Both tables are read
 * through their stores (`ManualSyncRunStore`, `SyncBatchStore`).
 */
@Injectable()
export class ManualSyncRuns {
  constructor(
    @Inject(ManualSyncRunStore) private readonly runs: ManualSyncRunStore,
    @Inject(SyncBatchStore) private readonly batches: SyncBatchStore,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    private readonly logger: PinoLogger,
  ) {
    logger.setContext(ManualSyncRuns.name);
  }

  /** Progress from Temporal (status) and the ledger (rows this workflow armed, and the latest window it reached). */
  async progress(scope: TenantScope, workflowId: string): Promise<ManualSyncRunView> {
    const run = await this.requireRun(scope, workflowId);
    const execution = await this.describe(workflowId);
    const ledger = await this.batches.workflowProgress(scope, workflowId);
    const latest = ledger.latestWindowStart?.getTime();
    const windowMs = run.window_minutes * 60_000;
    const windowsTotal = Math.round((run.time_to.getTime() - run.time_from.getTime()) / windowMs);
    const reached = latest === undefined ? 0 : Math.floor((latest - run.time_from.getTime()) / windowMs) + 1;
    return {
      workflow_id: workflowId,
      run_id: execution.runId,
      kind: run.kind,
      status: execution.status,
      time_from: run.time_from.toISOString(),
      time_to: run.time_to.toISOString(),
      windows_total: windowsTotal,
      // Windows without usage leave no ledger row; a completed run has reached them all.
      windows_reached: execution.status === 'COMPLETED' ? windowsTotal : Math.min(windowsTotal, reached),
      batches: ledger.counts,
      requested_by: run.requested_by,
      started_at: run.started_at.toISOString(),
      closed_at: execution.closedAt,
    };
  }

  /** Asks Temporal to cancel the run; the workflow stops between activities and the ledger keeps what was pushed. */
  async cancel(principal: TenantPrincipal, workflowId: string): Promise<CancelRequestedView> {
    await this.requireRun(principal, workflowId);
    const execution = await this.describe(workflowId);
    if (execution.status !== 'RUNNING') {
      throw new DomainError('SYNC.NOT_RUNNING', `the workflow is not running (${execution.status}); nothing to cancel`);
    }
    try {
      await this.temporal.workflow.getHandle(workflowId, execution.runId).cancel();
    } catch (error) {
      throw new DomainError('SYNC.UNAVAILABLE', 'the sync scheduler (Temporal) is unavailable; try again', undefined, { cause: error });
    }
    this.logger.info(
      {
        tenant_id: principal.tenantId,
        environment_id: principal.environmentId,
        workflow_id: workflowId,
        run_id: execution.runId,
        requested_by: principal.subject,
        requested_as: principal.actingAs,
      },
      'manual sync cancel requested',
    );
    return { workflow_id: workflowId, run_id: execution.runId, status: 'cancel_requested' };
  }

  private async requireRun(scope: TenantScope, workflowId: string): Promise<ManualSyncRunRecord> {
    const run = await this.runs.latest(scope, workflowId);
    if (!run) throw new DomainError('SYNC.NOT_FOUND', 'no manual sync with this workflow_id for this tenant and environment');
    return run;
  }

  /** The latest run of the workflow id (an identical sync started again after the first ended reuses the id). */
  private async describe(workflowId: string): Promise<{ runId: string; status: string; closedAt: string | null }> {
    try {
      const description = await this.temporal.workflow.getHandle(workflowId).describe();
      return {
        runId: description.runId,
        status: description.status.name,
        closedAt: description.closeTime ? description.closeTime.toISOString() : null,
      };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        throw new DomainError('SYNC.NOT_FOUND', 'Temporal no longer knows this workflow (past the namespace retention)');
      }
      throw new DomainError('SYNC.UNAVAILABLE', 'the sync scheduler (Temporal) is unavailable; try again', undefined, { cause: error });
    }
  }
}
