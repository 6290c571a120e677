import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reading FlexPrice's `meter_usage` beside the playbook's `events_processed`:
 * - `stripe_tenant_configs.usage_source`: a tenant's override of the deployment's usage source (NULL: the default),
 * - `stripe_usage_watermarks`: per tenant+environment and source, the ingestion time up to which rows were looked at
 *   for late usage, and how many late rows were already beyond Stripe's age limit (reported, never sent),
 * - `stripe_sync_windows.usage_changed_at`: when rows were found ingested into an already-synced window; the window
 *   is delivered again only once an aggregation that began after that instant has pushed it.
 */
export class UsageSourceAndWatermarks1766600000000 implements MigrationInterface {
  name = 'UsageSourceAndWatermarks1766600000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      ALTER TABLE stripe_tenant_configs
        ADD COLUMN usage_source text
          CONSTRAINT ck_stripe_tenant_configs_usage_source CHECK (usage_source IN ('playbook-events-processed', 'flexprice-meter-usage'))`);
    await db.query(`ALTER TABLE stripe_sync_windows ADD COLUMN usage_changed_at timestamptz`);
    await db.query(`
      CREATE TABLE stripe_usage_watermarks (
        tenant_id text NOT NULL,
        environment_id text NOT NULL,
        usage_source text NOT NULL,
        ingested_through_ms bigint NOT NULL,
        late_rows_beyond_limit bigint NOT NULL DEFAULT 0,
        last_late_row_beyond_limit_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, environment_id, usage_source)
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE IF EXISTS stripe_usage_watermarks`);
    await db.query(`ALTER TABLE stripe_sync_windows DROP COLUMN IF EXISTS usage_changed_at`);
    await db.query(`ALTER TABLE stripe_tenant_configs DROP COLUMN IF EXISTS usage_source`);
  }
}
