import type { DataSource, EntityManager } from 'typeorm';
import type { TenantScope } from '../entities/tenant-scoped';
import type { ManualSyncRunKind } from './stripe-manual-sync-run.entity';

/** A run recorded as possibly still running. */
export interface OpenManualSyncRun {
  id: string;
  workflow_id: string;
  run_id: string;
}

/** A run as its progress view reads it. */
export interface ManualSyncRunRecord {
  kind: ManualSyncRunKind;
  run_id: string;
  time_from: Date;
  time_to: Date;
  window_minutes: number;
  requested_by: string;
  started_at: Date;
}

/** What an admitted run records: who asked, for what, and the Temporal run that does it. */
export interface ManualSyncRunStart {
  kind: ManualSyncRunKind;
  workflowId: string;
  runId: string;
  requestedBy: string;
  requestedAs: 'tenant_admin' | 'operator';
  batchId?: string;
  timeFrom: string;
  timeTo: string;
  windowMinutes: number;
  customerId?: string;
  forceRerun: boolean;
}

/**
 * `stripe_manual_sync_runs` (entity `StripeManualSyncRun`): every read and write of the table, all by the
 * orchestrator (admission of manual syncs and retries, their progress), always inside one tenant+environment. Raw
 * SQL, because the admission records a run with `INSERT … ON CONFLICT DO NOTHING RETURNING` (a run Temporal handed
 * back twice is recorded once) and settles ended runs by id array, on the admission's transaction, which holds the
 * tenant's admission lock.
 */
export class ManualSyncRunStore {
  constructor(private readonly db: DataSource) {}

  /** The runs not yet known to have ended. */
  listOpen(manager: EntityManager, scope: TenantScope): Promise<OpenManualSyncRun[]> {
    return manager.query(
      `SELECT id, workflow_id, run_id FROM stripe_manual_sync_runs
        WHERE tenant_id = $1 AND environment_id = $2 AND finished_at IS NULL`,
      [scope.tenantId, scope.environmentId],
    );
  }

  /** Records that these runs have ended. */
  async markFinished(manager: EntityManager, scope: TenantScope, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await manager.query(
      `UPDATE stripe_manual_sync_runs SET finished_at = now() WHERE tenant_id = $1 AND environment_id = $2 AND id = ANY($3::uuid[])`,
      [scope.tenantId, scope.environmentId, [...ids]],
    );
  }

  /** Records an admitted run; false when the table already records this Temporal run (it was started elsewhere). */
  async record(manager: EntityManager, scope: TenantScope, run: ManualSyncRunStart): Promise<boolean> {
    const inserted: unknown[] = await manager.query(
      `INSERT INTO stripe_manual_sync_runs (tenant_id, environment_id, kind, workflow_id, run_id, requested_by, requested_as, batch_id,
                                            time_from, time_to, window_minutes, customer_id, force_rerun)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (workflow_id, run_id) DO NOTHING
       RETURNING id`,
      [
        scope.tenantId,
        scope.environmentId,
        run.kind,
        run.workflowId,
        run.runId,
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
    return inserted.length === 1;
  }

  /** The latest run recorded under `workflowId` (an identical sync started again after the first ended reuses the id). */
  async latest(scope: TenantScope, workflowId: string): Promise<ManualSyncRunRecord | undefined> {
    const rows: ManualSyncRunRecord[] = await this.db.query(
      `SELECT kind, run_id, time_from, time_to, window_minutes, requested_by, started_at FROM stripe_manual_sync_runs
        WHERE tenant_id = $1 AND environment_id = $2 AND workflow_id = $3
        ORDER BY started_at DESC LIMIT 1`,
      [scope.tenantId, scope.environmentId, workflowId],
    );
    return rows[0];
  }
}
