import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reconciliation settles `unknown` pushes against Stripe's own totals. One Stripe never counted, past its identifier
 * dedupe, is re-armed once under a new identifier: `superseded_identifier` keeps the identifier it first went out
 * under (so the re-identify is recorded, and never done twice), `reconciled_at` when reconciliation settled the row.
 */
export class ReconciliationReidentify1765700000000 implements MigrationInterface {
  name = 'ReconciliationReidentify1765700000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE stripe_sync_batches
        ADD COLUMN superseded_identifier varchar(100),
        ADD COLUMN reconciled_at timestamptz`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE stripe_sync_batches DROP COLUMN reconciled_at, DROP COLUMN superseded_identifier`);
  }
}
