import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { PinoLogger } from 'nestjs-pino';
import { Counter } from 'prom-client';
import { DataSource, EntityManager } from 'typeorm';
import { type ManualSyncRunStart, ManualSyncRunStore, type OpenManualSyncRun, type TenantScope } from '@flexsync/persistence';
import { MetricsRegistry } from '@flexsync/observability';
import { DomainError } from '@flexsync/runtime';
import { SyncOrchestratorConfig } from '../sync-orchestrator.config';
import type { StartedSync } from './sync-workflow-starter';
import { TEMPORAL_CLIENT } from './temporal-client.token';

/** A refused caller is told to come back after this long: a manual sync of a few windows takes about a minute. */
export const MANUAL_SYNC_RETRY_AFTER_SECONDS = 60;

/** A manual sync or retry asking to be admitted: what its run records, but for the Temporal run not started yet. */
export type ManualRun = Omit<ManualSyncRunStart, 'runId'>;

export interface AdmittedRun extends StartedSync {
  /** False when the request joined an identical run already going. */
  started: boolean;
}

/**
 * Admits manual syncs and batch retries per tenant and environment: at most `STRIPE_MANUAL_SYNC_MAX_RUNNING` running
 * at once, an identical request joins the running one, and each start is recorded with the caller's `sub`
 * (`stripe_manual_sync_runs`, through `ManualSyncRunStore`).
 *
 * Counted from a table rather than Temporal visibility: visibility is eventually consistent (two concurrent requests
 * could both see room) and counting per tenant there needs custom search attributes registered on every namespace.
 * Admissions of one tenant+environment are serialised by a transaction-scoped advisory lock, and each open row is
 * settled against Temporal (describe) before counting, so a finished, failed or terminated run frees its slot
 * without the worker having to report back.
 */
@Injectable()
export class ManualSyncAdmission {
  private readonly admissions: Counter<'kind' | 'result'>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(ManualSyncRunStore) private readonly runs: ManualSyncRunStore,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(MetricsRegistry) registry: MetricsRegistry,
    private readonly logger: PinoLogger,
    private readonly config: SyncOrchestratorConfig,
  ) {
    logger.setContext(ManualSyncAdmission.name);
    this.admissions = new Counter({
      name: 'stripe_manual_sync_admissions_total',
      help: 'Manual syncs and batch retries requested, by kind and result (started, joined, capped)',
      labelNames: ['kind', 'result'],
      registers: [registry],
    });
  }

  admit(scope: TenantScope, run: ManualRun, start: () => Promise<StartedSync>): Promise<AdmittedRun> {
    return this.dataSource.transaction(async (db) => {
      // JSON keeps the pair unambiguous; a hash collision between two tenants only serialises their admissions.
      await db.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
        JSON.stringify(['manual-sync', scope.tenantId, scope.environmentId]),
      ]);
      const running = await this.settleOpenRuns(db, scope);
      const same = running.find((open) => open.workflow_id === run.workflowId);
      if (same) {
        this.admissions.inc({ kind: run.kind, result: 'joined' });
        this.log(scope, run, same.run_id, 'manual sync joined the identical run already going');
        return { workflowId: same.workflow_id, runId: same.run_id, started: false };
      }
      if (running.length >= this.config.STRIPE_MANUAL_SYNC_MAX_RUNNING) {
        this.admissions.inc({ kind: run.kind, result: 'capped' });
        this.log(scope, run, undefined, 'manual sync refused: too many running for this tenant and environment');
        throw new DomainError(
          'SYNC.TOO_MANY_RUNNING',
          `${running.length} manual syncs are already running for this tenant and environment (at most ${this.config.STRIPE_MANUAL_SYNC_MAX_RUNNING}); try again later`,
          { running: running.length, limit: this.config.STRIPE_MANUAL_SYNC_MAX_RUNNING },
          { retryAfterSeconds: MANUAL_SYNC_RETRY_AFTER_SECONDS },
        );
      }
      const started = await start();
      const fresh = await this.runs.record(db, scope, { ...run, workflowId: started.workflowId, runId: started.runId });
      // No row inserted: Temporal handed back a run this table already records (started elsewhere, e.g. a replica).
      this.admissions.inc({ kind: run.kind, result: fresh ? 'started' : 'joined' });
      this.log(scope, run, started.runId, fresh ? 'manual sync started' : 'manual sync joined the identical run already going');
      return { ...started, started: fresh };
    });
  }

  /** Marks the open rows whose run has ended as finished and returns the ones still running. */
  private async settleOpenRuns(db: EntityManager, scope: TenantScope): Promise<OpenManualSyncRun[]> {
    const open = await this.runs.listOpen(db, scope);
    const running: OpenManualSyncRun[] = [];
    const ended: string[] = [];
    for (const row of open) {
      if (await this.isRunning(row)) running.push(row);
      else ended.push(row.id);
    }
    await this.runs.markFinished(db, scope, ended);
    return running;
  }

  private async isRunning(run: OpenManualSyncRun): Promise<boolean> {
    try {
      const description = await this.temporal.workflow.getHandle(run.workflow_id, run.run_id).describe();
      return description.status.name === 'RUNNING';
    } catch (error) {
      // Past the namespace's retention Temporal forgets the run: it ended long ago.
      if (error instanceof WorkflowNotFoundError) return false;
      throw new DomainError('SYNC.UNAVAILABLE', 'the sync scheduler (Temporal) is unavailable; try again', undefined, { cause: error });
    }
  }

  private log(scope: TenantScope, run: ManualRun, runId: string | undefined, message: string): void {
    this.logger.info(
      {
        tenant_id: scope.tenantId,
        environment_id: scope.environmentId,
        workflow_id: run.workflowId,
        run_id: runId,
        kind: run.kind,
        requested_by: run.requestedBy,
        requested_as: run.requestedAs,
      },
      message,
    );
  }
}
