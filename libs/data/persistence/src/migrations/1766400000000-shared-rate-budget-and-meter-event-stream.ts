import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Throughput at Stripe's limits:
 * - `stripe_rate_budgets`: one row per Stripe account and call kind (`acct_…|test|v1`), the account's GCRA state
 *   (`next_slot_ms`, epoch ms on the database's clock). Every worker replica reserves its calls' slots here, so all
 *   replicas and every tenant+environment on one account share one budget. Keyed by the account, not by a tenant: no
 *   tenant data and no key material is stored in it.
 * - `stripe_sync_batches.sync_status = 'validating'`: sent through the v2 meter event stream, accepted, and inside
 *   the validation period in which Stripe may still report it rejected (`stream_accepted_at` is when it was
 *   accepted). It settles to `completed` once the period ends unless an error report marked it failed first.
 */
export class SharedRateBudgetAndMeterEventStream1766400000000 implements MigrationInterface {
  name = 'SharedRateBudgetAndMeterEventStream1766400000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE stripe_rate_budgets (
        budget_key text PRIMARY KEY,
        next_slot_ms double precision NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      ALTER TABLE stripe_sync_batches
        DROP CONSTRAINT stripe_sync_batches_sync_status_check,
        ADD CONSTRAINT stripe_sync_batches_sync_status_check
          CHECK (sync_status IN ('pending', 'completed', 'failed', 'unknown', 'validating')),
        ADD COLUMN stream_accepted_at timestamptz`);
    await db.query(`
      CREATE INDEX stripe_sync_batches_validating_idx ON stripe_sync_batches (tenant_id, environment_id, stream_accepted_at)
        WHERE sync_status = 'validating'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX stripe_sync_batches_validating_idx`);
    // Rows still inside their validation period were accepted by Stripe: without the state they count as completed.
    await db.query(`UPDATE stripe_sync_batches SET sync_status = 'completed', completed_at = now() WHERE sync_status = 'validating'`);
    await db.query(`
      ALTER TABLE stripe_sync_batches
        DROP COLUMN stream_accepted_at,
        DROP CONSTRAINT stripe_sync_batches_sync_status_check,
        ADD CONSTRAINT stripe_sync_batches_sync_status_check CHECK (sync_status IN ('pending', 'completed', 'failed', 'unknown'))`);
    await db.query(`DROP TABLE stripe_rate_budgets`);
  }
}
