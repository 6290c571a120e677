import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { PinoLogger } from 'nestjs-pino';
import { Counter } from 'prom-client';
import { DataSource, EntityManager } from 'typeorm';
import type { TenantScope } from '@flexsync/persistence';
import { MetricsRegistry } from '@flexsync/observability';
import { DomainError } from '@flexsync/runtime';
import { SyncOrchestratorConfig } from '../sync-orchestrator.config';
import type { StartedSync } from './sync-workflow-starter';
import { TEMPORAL_CLIENT } from './temporal-client.token';

/** A refused caller is told to come back after this long: a manual sync of a few windows takes about a minute. */
export const MANUAL_SYNC_RETRY_AFTER_SECONDS = 60;

export interface ManualRun {
  kind: 'manual' | 'retry';
  workflowId: string;
  requestedBy: string;
  requestedAs: 'tenant_admin' | 'operator';
  batchId?: string;
  timeFrom: string;
  timeTo: string;
  windowMinutes: number;
  customerId?: string;
  forceRerun: boolean;
}

export interface AdmittedRun extends StartedSync {
  /** False when the request joined an identical run already going. */
  started: boolean;
}

interface OpenRun {
  id: string;
  workflow_id: string;
  run_id: string;
}

/**
 * Admits manual syncs and batch retries per tenant and environment: at most `STRIPE_MANUAL_SYNC_MAX_RUNNING` running
 * at once, an identical request joins the running one, and each start is recorded with the caller's `sub`
 * (`stripe_manual_sync_runs`).
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
      const inserted: unknown[] = await db.query(
        `INSERT INTO stripe_manual_sync_runs (tenant_id, environment_id, kind, workflow_id, run_id, requested_by, requested_as, batch_id,
                                              time_from, time_to, window_minutes, customer_id, force_rerun)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (workflow_id, run_id) DO NOTHING
         RETURNING id`,
        [
          scope.tenantId,
          scope.environmentId,
          run.kind,
          started.workflowId,
          started.runId,
          run.requestedBy,
          run.requestedAs,
          run.batchId ?? null,
          run.timeFrom,
          run.timeTo,
          run.windowMinutes,
          run.customerId ?? null,
          run.forceRerun,
        ],
      );
      // No row inserted: Temporal handed back a run this table already records (started elsewhere, e.g. a replica).
      const fresh = inserted.length === 1;
      this.admissions.inc({ kind: run.kind, result: fresh ? 'started' : 'joined' });
      this.log(scope, run, started.runId, fresh ? 'manual sync started' : 'manual sync joined the identical run already going');
      return { ...started, started: fresh };
    });
  }

  /** Marks the open rows whose run has ended as finished and returns the ones still running. */
  private async settleOpenRuns(db: EntityManager, scope: TenantScope): Promise<OpenRun[]> {
    const open: OpenRun[] = await db.query(
      `SELECT id, workflow_id, run_id FROM stripe_manual_sync_runs
        WHERE tenant_id = $1 AND environment_id = $2 AND finished_at IS NULL`,
      [scope.tenantId, scope.environmentId],
    );
    const running: OpenRun[] = [];
    const ended: string[] = [];
    for (const row of open) {
      if (await this.isRunning(row)) running.push(row);
      else ended.push(row.id);
    }
    if (ended.length > 0) {
      await db.query('UPDATE stripe_manual_sync_runs SET finished_at = now() WHERE id = ANY($1::uuid[])', [ended]);
    }
    return running;
  }

  private async isRunning(run: OpenRun): Promise<boolean> {
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
