import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `stripe_manual_sync_runs`: every workflow an operator or tenant admin started by hand (manual sync or batch retry),
 * with the caller's `sub`. It is both the audit record of who asked for a push and the admission ledger that caps
 * concurrently running manual syncs per tenant and environment (`finished_at IS NULL` = possibly still running;
 * the orchestrator settles it against Temporal before counting).
 */
export class ManualSyncRuns1765300000000 implements MigrationInterface {
  name = 'ManualSyncRuns1765300000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE stripe_manual_sync_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id varchar(128) NOT NULL,
        environment_id varchar(128) NOT NULL,
        kind varchar(16) NOT NULL CHECK (kind IN ('manual', 'retry')),
        workflow_id varchar(512) NOT NULL,
        run_id varchar(64) NOT NULL,
        requested_by varchar(255) NOT NULL,
        requested_as varchar(32) NOT NULL CHECK (requested_as IN ('tenant_admin', 'operator')),
        batch_id uuid,
        time_from timestamptz NOT NULL,
        time_to timestamptz NOT NULL,
        window_minutes integer NOT NULL CHECK (window_minutes > 0),
        customer_id varchar(128),
        force_rerun boolean NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        CONSTRAINT uq_stripe_manual_sync_runs_run UNIQUE (workflow_id, run_id)
      )`);
    await db.query(`
      CREATE INDEX ix_stripe_manual_sync_runs_open ON stripe_manual_sync_runs (tenant_id, environment_id)
      WHERE finished_at IS NULL`);
    await db.query(`CREATE INDEX ix_stripe_manual_sync_runs_batch ON stripe_manual_sync_runs (batch_id) WHERE batch_id IS NOT NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE IF EXISTS stripe_manual_sync_runs`);
  }
}
