import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stripe validates meter events after accepting them and reports rejections asynchronously
 * (`v1.billing.meter.error_report_triggered`, `…no_meter_found`). Each report is recorded once per tenant+environment
 * (`stripe_meter_error_reports`, unique Stripe event id: a duplicate delivery changes nothing), even when none of its
 * sampled identifiers names a known row; the ledger rows it names carry the report's event id
 * (`stripe_sync_batches.stripe_error_report_id`).
 */
export class MeterErrorReports1766200000000 implements MigrationInterface {
  name = 'MeterErrorReports1766200000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE stripe_sync_batches ADD COLUMN stripe_error_report_id text`);
    await db.query(`
      CREATE TABLE stripe_meter_error_reports (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id text NOT NULL,
        environment_id text NOT NULL,
        stripe_event_id text NOT NULL,
        event_type text NOT NULL,
        stripe_meter_id text,
        error_count integer NOT NULL CHECK (error_count >= 0),
        sample_count integer NOT NULL CHECK (sample_count >= 0),
        matched_rows integer NOT NULL DEFAULT 0 CHECK (matched_rows >= 0),
        error_codes text[] NOT NULL DEFAULT '{}',
        stripe_created_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT stripe_meter_error_reports_event_unique UNIQUE (tenant_id, environment_id, stripe_event_id)
      )`);
    await db.query(
      `CREATE INDEX stripe_meter_error_reports_meter ON stripe_meter_error_reports (tenant_id, environment_id, stripe_meter_id, received_at)`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE stripe_meter_error_reports`);
    await db.query(`ALTER TABLE stripe_sync_batches DROP COLUMN stripe_error_report_id`);
  }
}
