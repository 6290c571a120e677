import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The ledger states the edges need:
 * - `unknown`: a push whose call may have reached Stripe (timeout, dropped connection, 5xx, crash after the call)
 *   and whose outcome Stripe can no longer tell us by dedupe (its 24 h horizon); only reconciliation against
 *   Stripe's own totals may settle it, never a blind re-send.
 * - `next_attempt_at`: when the system itself next retries a `failed` row (bounded backoff across runs, or once the
 *   missing mapping / broken key is fixed); NULL for rows it will not retry on its own.
 */
export class SyncLedgerRetryAndUnknown1765000000000 implements MigrationInterface {
  name = 'SyncLedgerRetryAndUnknown1765000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE stripe_sync_batches
        DROP CONSTRAINT stripe_sync_batches_sync_status_check,
        ADD CONSTRAINT stripe_sync_batches_sync_status_check
          CHECK (sync_status IN ('pending', 'completed', 'failed', 'unknown')),
        ADD COLUMN next_attempt_at timestamptz`);
    await db.query(`
      CREATE INDEX ix_stripe_sync_batches_retry_due ON stripe_sync_batches (tenant_id, environment_id, next_attempt_at)
      WHERE sync_status = 'failed' AND next_attempt_at IS NOT NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX IF EXISTS ix_stripe_sync_batches_retry_due`);
    await db.query(`UPDATE stripe_sync_batches SET sync_status = 'failed' WHERE sync_status = 'unknown'`);
    await db.query(`
      ALTER TABLE stripe_sync_batches
        DROP COLUMN IF EXISTS next_attempt_at,
        DROP CONSTRAINT stripe_sync_batches_sync_status_check,
        ADD CONSTRAINT stripe_sync_batches_sync_status_check CHECK (sync_status IN ('pending', 'completed', 'failed'))`);
  }
}
