import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Trust boundaries of a tenant's Stripe connection:
 * - `stripe_tenant_configs.stripe_account_id`: the account the connection test saw (with `livemode`), so webhook-ingest
 *   can refuse deliveries from any other account or mode.
 * - `stripe_webhook_events.payload` may be nulled once the event is published and older than the retention (personal
 *   data); the row stays so dedupe by event id keeps working. `payload_purged_at` says when.
 * - Rotation audit rows no longer carry master key ids (the history API shows them to tenants); existing ones are
 *   scrubbed. That part is not undone by `down`: the ids are not kept anywhere to restore.
 */
export class TenantBoundSecretsAndWebhooks1765600000000 implements MigrationInterface {
  name = 'TenantBoundSecretsAndWebhooks1765600000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE stripe_tenant_configs ADD COLUMN stripe_account_id text`);
    await db.query(`ALTER TABLE stripe_webhook_events ALTER COLUMN payload DROP NOT NULL`);
    await db.query(`ALTER TABLE stripe_webhook_events ADD COLUMN payload_purged_at timestamptz`);
    await db.query(
      `CREATE INDEX ix_stripe_webhook_events_retained ON stripe_webhook_events (published_at) WHERE payload IS NOT NULL AND published_at IS NOT NULL`,
    );
    await db.query(
      `UPDATE stripe_config_audit SET detail = detail - 'from_key_ids' - 'to_key_id'
        WHERE action = 'rotated' AND (detail ? 'from_key_ids' OR detail ? 'to_key_id')`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX IF EXISTS ix_stripe_webhook_events_retained`);
    await db.query(`ALTER TABLE stripe_webhook_events DROP COLUMN payload_purged_at`);
    // Purged rows have nothing to restore; without a payload they cannot satisfy NOT NULL.
    await db.query(`DELETE FROM stripe_webhook_events WHERE payload IS NULL`);
    await db.query(`ALTER TABLE stripe_webhook_events ALTER COLUMN payload SET NOT NULL`);
    await db.query(`ALTER TABLE stripe_tenant_configs DROP COLUMN stripe_account_id`);
  }
}
