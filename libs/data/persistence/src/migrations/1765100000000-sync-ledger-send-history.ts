import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the worker needs to know of a push's past sends to retry it safely:
 * - `first_sent_at`: the first call's time; Stripe's identifier dedupe (24 h) is measured from it, and past it a
 *   push whose outcome is uncertain is never re-sent blindly (it goes `unknown`).
 * - `outcome_uncertain`: some call of this push may have reached Stripe without an answer we could read (timeout,
 *   dropped connection, 5xx, crash after the call); a push Stripe surely never took (429, 401) stays re-sendable.
 * - `failure_count`: failures recorded so far, the step of the backoff that sets `next_attempt_at`.
 * Failed rows left stranded by earlier versions are made due when their cause may pass.
 */
export class SyncLedgerSendHistory1765100000000 implements MigrationInterface {
  name = 'SyncLedgerSendHistory1765100000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE stripe_sync_batches
        ADD COLUMN first_sent_at timestamptz,
        ADD COLUMN outcome_uncertain boolean NOT NULL DEFAULT false,
        ADD COLUMN failure_count integer NOT NULL DEFAULT 0 CHECK (failure_count >= 0)`);
    // Rows written before: the first send happened after the row was written, so `created_at` is a safe (earlier)
    // start of the dedupe horizon; a 5xx or network failure may have reached Stripe.
    await db.query(`
      UPDATE stripe_sync_batches
         SET first_sent_at = created_at,
             outcome_uncertain = (sync_status = 'failed' AND (error_message LIKE 'stripe server error%' OR error_message LIKE 'network error%'))
       WHERE attempt_count > 0`);
    // Failed rows stranded before the system retried on its own: the ones whose cause may pass are due now.
    await db.query(`
      UPDATE stripe_sync_batches SET next_attempt_at = now(), failure_count = 1
       WHERE sync_status = 'failed' AND next_attempt_at IS NULL
         AND (error_message LIKE '%(gave up after % attempts)' OR error_message LIKE 'auth error%'
              OR error_message IN ('meter mapping not found', 'customer mapping not found', 'meter mapping has sync disabled',
                                   'stripe config not found')
              OR error_message LIKE 'stripe api key cannot be decrypted%')`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE stripe_sync_batches
        DROP COLUMN IF EXISTS failure_count,
        DROP COLUMN IF EXISTS outcome_uncertain,
        DROP COLUMN IF EXISTS first_sent_at`);
  }
}
