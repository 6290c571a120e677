import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reconciliation reports, written by the sync-worker (which holds ClickHouse and the keyring) and read by the
 * sync-orchestrator's API and metrics. `stripe_reconciliation_runs` records every run (who or what triggered it,
 * its range, totals per status, what it settled and re-sent); `stripe_reconciliation_cells` holds the latest verdict
 * per customer × meter × window: a run replaces the cells of its range, so a read shows the newest judgment of each.
 */
export class ReconciliationReports1766100000000 implements MigrationInterface {
  name = 'ReconciliationReports1766100000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE stripe_reconciliation_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id text NOT NULL,
        environment_id text NOT NULL,
        trigger text NOT NULL CHECK (trigger IN ('api', 'daily', 'hourly')),
        workflow_id text,
        requested_by text,
        time_from timestamptz NOT NULL,
        time_to timestamptz NOT NULL,
        customer_id text,
        meter_id text,
        status text NOT NULL CHECK (status IN ('completed', 'failed')),
        totals jsonb NOT NULL DEFAULT '{}'::jsonb,
        drift_units numeric NOT NULL DEFAULT 0,
        unknown_outcomes integer NOT NULL DEFAULT 0,
        settled_completed integer NOT NULL DEFAULT 0,
        reidentified integer NOT NULL DEFAULT 0,
        windows_to_resend jsonb NOT NULL DEFAULT '[]'::jsonb,
        resend_workflow_id text,
        error_message text,
        started_at timestamptz NOT NULL,
        finished_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ck_stripe_reconciliation_runs_range CHECK (time_from < time_to)
      )`);
    await db.query(
      `CREATE INDEX ix_stripe_reconciliation_runs_scope ON stripe_reconciliation_runs (tenant_id, environment_id, finished_at DESC)`,
    );
    await db.query(`
      CREATE TABLE stripe_reconciliation_cells (
        tenant_id text NOT NULL,
        environment_id text NOT NULL,
        window_start timestamptz NOT NULL,
        window_end timestamptz NOT NULL,
        customer_id text NOT NULL,
        meter_id text NOT NULL,
        status text NOT NULL CHECK (status IN ('match', 'drift', 'pending', 'unknown_outcome')),
        measured_quantity numeric NOT NULL,
        measured_value numeric,
        delivered_value numeric NOT NULL,
        stripe_value numeric,
        difference numeric,
        unexplained numeric,
        unknown_rows integer NOT NULL DEFAULT 0,
        reason text,
        run_id uuid NOT NULL,
        reconciled_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, environment_id, window_start, window_end, customer_id, meter_id),
        CONSTRAINT ck_stripe_reconciliation_cells_window CHECK (window_start < window_end)
      )`);
    await db.query(
      `CREATE INDEX ix_stripe_reconciliation_cells_drift ON stripe_reconciliation_cells (tenant_id, environment_id) WHERE status = 'drift'`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE stripe_reconciliation_cells`);
    await db.query(`DROP TABLE stripe_reconciliation_runs`);
  }
}
