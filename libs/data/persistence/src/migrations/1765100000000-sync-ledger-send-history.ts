import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the worker needs to know of a push's past sends to retry it safely:
 * - `first_sent_at`: the first call's time; Stripe's identifier dedupe (24 h) is measured from it, and past it a
 *   push whose outcome is uncertain is never re-sent blindly (it goes `unknown`).
 * - `outcome_uncertain`: some call of this push may have reached Stripe without an answer we could read (timeout,
 *   dropped connection, 5xx, crash after the call); a push Stripe surely never took (429, 401) stays re-sendable.
 * - `failure_count`: failures recorded so far, the step of the backoff that sets `next_attempt_at`.
 */
export class SyncLedgerSendHistory1765100000000 implements MigrationInterface {
  name = 'SyncLedgerSendHistory1765100000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE stripe_sync_batches
        ADD COLUMN first_sent_at timestamptz,
        ADD COLUMN outcome_uncertain boolean NOT NULL DEFAULT false,
        ADD COLUMN failure_count integer NOT NULL DEFAULT 0 CHECK (failure_count >= 0)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE stripe_sync_batches
        DROP COLUMN IF EXISTS failure_count,
        DROP COLUMN IF EXISTS outcome_uncertain,
        DROP COLUMN IF EXISTS first_sent_at`);
  }
}
